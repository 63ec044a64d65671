/**
 * Retry decisions, pure (BullMQ's Backoffs.calculate, Celery's get_exponential_backoff_interval): whether
 * a failed run goes again, and after how long.
 */
import { MaxRetriesExceededError, Retry, toErrorInfo } from "../errors.js";
import type { Outcome } from "../message.js";
import type { EffectiveOptions } from "../task/options.js";

/** The wait before retry number `retries + 1`: an explicit countdown, else backoff, else defaultRetryDelay. */
export function retryDelayMs(options: EffectiveOptions, retries: number, countdownMs?: number, random: () => number = Math.random): number {
  if (countdownMs !== undefined) return countdownMs;
  if (options.retryBackoff === false) return options.defaultRetryDelayMs;
  const factorMs = options.retryBackoff === true ? 1000 : options.retryBackoff * 1000;
  const delay = Math.min(options.retryBackoffMaxMs, factorMs * 2 ** retries);
  return options.retryJitter ? Math.floor(random() * (delay + 1)) : delay;
}

function autoretries(options: EffectiveOptions, error: unknown): boolean {
  return options.autoretryFor.some((match) =>
    typeof match === "string" ? error instanceof Error && error.name === match : error instanceof match,
  );
}

/**
 * What a thrown error means for this run: RETRY (ctx.retry() or an autoretryFor error, with retries left)
 * or FAILURE. When no retry is left, the error that caused the retry is the one stored (as Celery re-raises
 * the exc given to retry()); a bare ctx.retry() fails with MaxRetriesExceededError.
 */
export function settleError(thrown: unknown, options: EffectiveOptions, retries: number, random?: () => number): Outcome {
  // Matching by name too: a Retry thrown in a child process loses its prototype on the way back.
  const isRetry = thrown instanceof Retry || (thrown instanceof Error && thrown.name === "Retry");
  if (!isRetry && !autoretries(options, thrown)) return { status: "FAILURE", error: toErrorInfo(thrown) };
  const cause = isRetry ? (thrown as Retry).error : thrown;
  if (retries >= options.maxRetries) {
    const error = cause ?? new MaxRetriesExceededError(`retried ${retries} times, the most allowed (maxRetries ${options.maxRetries})`);
    return { status: "FAILURE", error: toErrorInfo(error) };
  }
  const countdownMs = isRetry ? (thrown as Retry).countdownMs : undefined;
  return {
    status: "RETRY",
    error: toErrorInfo(cause ?? thrown),
    countdownMs: retryDelayMs(options, retries, countdownMs, random),
  };
}
