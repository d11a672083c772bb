import type { CapturedFunction } from "./functionsCore";
import type { RpcRetryContext } from "./workerInvocation";

/**
 * A function's retry policy as @azure/functions registers it (`retry: { strategy, maxRetryCount, delayInterval,
 * minimumInterval, maximumInterval }`, durations in seconds), applied by the host the way the Functions host does
 * for timer and Event Hub triggers: a failed invocation runs again after the policy's delay, with
 * `context.retryContext` telling the handler which retry this is; maxRetryCount -1 retries forever.
 */
interface RpcRetryOptions {
  readonly maxRetryCount?: number;
  readonly retryStrategy?: string;
  readonly delayInterval?: { readonly seconds?: number };
  readonly minimumInterval?: { readonly seconds?: number };
  readonly maximumInterval?: { readonly seconds?: number };
}

export interface RetryPolicy {
  readonly maxRetryCount: number;
  /** The wait before retry n (1-based), in milliseconds. */
  delayMs(retry: number): number;
}

export const retryPolicyOf = (fn: CapturedFunction): RetryPolicy | undefined => {
  const options = (fn.metadata as { retryOptions?: RpcRetryOptions }).retryOptions;
  if (options === undefined || options.maxRetryCount === undefined) return undefined;
  const seconds = (d: { seconds?: number } | undefined): number => (d?.seconds ?? 0) * 1000;
  if (options.retryStrategy === "exponentialBackoff") {
    const min = seconds(options.minimumInterval);
    const max = Math.max(min, seconds(options.maximumInterval));
    return {
      maxRetryCount: options.maxRetryCount,
      delayMs: (retry) => Math.min(max, min * 2 ** (retry - 1)),
    };
  }
  const delay = seconds(options.delayInterval);
  return { maxRetryCount: options.maxRetryCount, delayMs: () => delay };
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * Runs `invoke` under the function's retry policy (once without one). Failure policy: after the last retry the
 * error is thrown to the caller (which logs it; a timer then waits for its next occurrence). `stopped` ends the
 * waiting early when the host stops.
 */
export const withRetries = async <T>(
  fn: CapturedFunction,
  invoke: (retryContext: RpcRetryContext | undefined) => Promise<T>,
  stopped: () => boolean = () => false,
): Promise<T> => {
  const policy = retryPolicyOf(fn);
  let retryContext: RpcRetryContext | undefined;
  for (let retry = 0; ; retry += 1) {
    try {
      return await invoke(retryContext);
    } catch (error) {
      const more = policy !== undefined && (policy.maxRetryCount === -1 || retry < policy.maxRetryCount);
      if (!more || stopped()) throw error;
      await sleep(policy.delayMs(retry + 1));
      retryContext = {
        retryCount: retry + 1,
        maxRetryCount: policy.maxRetryCount,
        exception: { message: messageOf(error), source: fn.name },
      };
    }
  }
};
