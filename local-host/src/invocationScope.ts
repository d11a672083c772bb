import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Which function the code running now belongs to. Every invocation runs inside `runInvocation`, so callbacks it
 * schedules (timers, I/O, promises) carry the function's name: the foreground's crash guard names the function
 * when one of them throws outside the invocation's promise.
 */
export interface InvocationScope {
  readonly functionName: string;
}

const scope = new AsyncLocalStorage<InvocationScope>();

/** The invocation the current code runs for, if any. */
export const currentInvocation = (): InvocationScope | undefined => scope.getStore();

/** hh:mm:ss (with days as d. when longer), as host.json writes durations. */
const timespan = (ms: number): string => {
  const total = Math.floor(ms / 1000);
  const two = (n: number): string => String(n).padStart(2, "0");
  const days = Math.floor(total / 86_400);
  const clock = `${two(Math.floor(total / 3600) % 24)}:${two(Math.floor(total / 60) % 60)}:${two(total % 60)}`;
  const fraction = ms % 1000 === 0 ? "" : `.${String(Math.floor(ms % 1000)).padStart(3, "0")}`;
  return (days > 0 ? `${days}.${clock}` : clock) + fraction;
};

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(
      `Timeout value of ${timespan(timeoutMs)} exceeded by function "${functionName}" (host.json functionTimeout): the invocation is failed; its code may still be running`,
    );
    this.name = "FunctionTimeoutError";
  }
}

/**
 * Runs one invocation of `functionName` in its scope, failed with a FunctionTimeoutError once it runs longer than
 * `timeoutMs` (undefined: no limit). JavaScript cannot be cancelled: late results are dropped.
 */
export const runInvocation = <T>(
  functionName: string,
  timeoutMs: number | undefined,
  run: () => T | PromiseLike<T>,
): Promise<T> =>
  scope.run({ functionName }, () => {
    const invocation = Promise.resolve().then(run);
    if (timeoutMs === undefined) return invocation;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new FunctionTimeoutError(functionName, timeoutMs)), timeoutMs);
      timer.unref();
    });
    return Promise.race([invocation, timeout]).finally(() => clearTimeout(timer));
  });
