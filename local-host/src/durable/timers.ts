/**
 * Durable timers in process: each armed timer fires once the clock reaches its due time. One Node timer wakes
 * for the earliest due time, but never sleeps longer than `pollMs`, so an injected clock that jumps ahead (tests)
 * is noticed promptly. Timers are re-armed from history after a restart; past-due ones fire at once.
 */
export interface Clock {
  now(): Date;
}

interface Armed {
  readonly key: string;
  readonly dueMs: number;
  readonly fire: () => void;
}

export class TimerWheel {
  private readonly armed = new Map<string, Armed>();
  private handle: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly pollMs = 200,
  ) {}

  arm(key: string, due: Date, fire: () => void): void {
    if (this.stopped) return;
    this.armed.set(key, { key, dueMs: due.getTime(), fire });
    this.reschedule();
  }

  disarm(key: string): void {
    this.armed.delete(key);
  }

  get size(): number {
    return this.armed.size;
  }

  stop(): void {
    this.stopped = true;
    this.armed.clear();
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private reschedule(): void {
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
    if (this.armed.size === 0 || this.stopped) return;
    const next = Math.min(...[...this.armed.values()].map((t) => t.dueMs));
    const wait = Math.max(0, Math.min(next - this.clock.now().getTime(), this.pollMs));
    this.handle = setTimeout(() => this.tick(), wait);
    this.handle.unref();
  }

  private tick(): void {
    this.handle = undefined;
    const now = this.clock.now().getTime();
    const due = [...this.armed.values()].filter((t) => t.dueMs <= now).sort((a, b) => a.dueMs - b.dueMs);
    for (const t of due) {
      this.armed.delete(t.key);
      t.fire();
    }
    this.reschedule();
  }
}
