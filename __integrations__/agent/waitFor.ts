/** Waiting on conditions instead of sleeping: poll until true or until the deadline, then fail saying what. */

export interface WaitOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
  /** What was awaited, for the error message (no payload values). */
  readonly what?: string;
  /** Extra state for the error message, read at timeout. */
  readonly detail?: () => string;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const waitFor = async (
  condition: () => boolean | Promise<boolean>,
  options: WaitOptions = {},
): Promise<void> => {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      const detail = options.detail === undefined ? "" : ` (${options.detail()})`;
      throw new Error(
        `Timed out after ${timeoutMs} ms waiting for ${options.what ?? "a condition"}${detail}`,
      );
    }
    await delay(options.intervalMs ?? 25);
  }
};

/** Polls until `probe` returns a value (not undefined), and returns it. */
export const waitForValue = async <T>(
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitOptions = {},
): Promise<T> => {
  let value: T | undefined;
  await waitFor(async () => {
    value = await probe();
    return value !== undefined;
  }, options);
  return value as T;
};

/**
 * The one bounded wait allowed where the assertion is an absence: checks `condition` keeps holding for `ms`,
 * failing as soon as it breaks.
 */
export const holdsFor = async (
  condition: () => boolean,
  ms: number,
  what = "a condition to keep holding",
): Promise<void> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (!condition()) throw new Error(`Expected ${what} for ${ms} ms, but it stopped holding`);
    await delay(20);
  }
  if (!condition()) throw new Error(`Expected ${what} for ${ms} ms, but it stopped holding`);
};
