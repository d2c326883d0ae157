import { sleep } from './proc';

/** Backoff settings: delay before retry k (0-based) is base·2^k capped at max, times a jitter in [0.5, 1.5). */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Injectable randomness for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/** The jittered exponential delay before retry number `attempt` (0-based). */
export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  const raw = Math.min(opts.maxMs, opts.baseMs * 2 ** attempt);
  return Math.round(raw * (0.5 + (opts.random ?? Math.random)()));
}

/**
 * Runs `fn` until it succeeds, a non-retryable error is thrown, or `maxRetries` retries were spent.
 * `shouldStop` (checked after every retryable failure, the last one included) lets the caller replace the error,
 * e.g. with "the server process died", so a crash is recognized even when no retry is left.
 */
export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  opts: {
    maxRetries: number;
    backoff?: BackoffOptions;
    isRetryable: (e: unknown) => boolean;
    onRetry?: (e: unknown, attempt: number, delayMs: number) => void;
    shouldStop?: (e: unknown) => Error | null | Promise<Error | null>;
    signal?: AbortSignal;
  },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const retryable = opts.isRetryable(e);
      const stop = retryable ? await opts.shouldStop?.(e) : null;
      if (stop) throw stop;
      if (attempt >= opts.maxRetries || !retryable) throw e;
      opts.signal?.throwIfAborted();
      const delay = backoffDelay(attempt, opts.backoff);
      opts.onRetry?.(e, attempt, delay);
      await sleep(delay);
    }
  }
}
