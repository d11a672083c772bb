/** Promises that resolve when the durable host has no unfinished instance left (tests, graceful shutdown). */
export class IdleWaiters {
  private readonly waiters = new Set<() => void>();

  constructor(private readonly unfinished: () => number) {}

  async wait(timeoutMs: number): Promise<void> {
    if (this.unfinished() === 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(done);
        reject(new Error(`Still ${this.unfinished()} unfinished instance(s) after ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.waiters.add(done);
    });
  }

  /** Resolves the waiters if nothing is unfinished any more. */
  notify(): void {
    if (this.unfinished() !== 0) return;
    for (const waiter of [...this.waiters]) waiter();
    this.waiters.clear();
  }
}
