import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import pLimit from 'p-limit';
import { z } from 'zod';
import { directPost } from './direct-post';
import { keepAliveFetch } from './keep-alive-fetch';
import { DEFAULT_BACKOFF, withRetry, type BackoffOptions } from './retry';

const Usage = z.object({ prompt_tokens: z.number().default(0), completion_tokens: z.number().default(0) }).partial().nullish();

/** The parts of a /v1/chat/completions response evalgraph reads (vLLM adds reasoning fields). */
export const ChatResponseShape = z.object({
  choices: z
    .array(
      z.object({
        message: z.object({
          content: z.string().nullish(),
          reasoning_content: z.string().nullish(),
          reasoning: z.string().nullish(),
        }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: Usage,
});
export type ChatResponseShape = z.infer<typeof ChatResponseShape>;

/** The parts of a /v1/completions response evalgraph reads, logprobs included. */
export const CompletionResponseShape = z.object({
  choices: z
    .array(
      z.object({
        text: z.string().nullish(),
        finish_reason: z.string().nullish(),
        logprobs: z
          .object({
            tokens: z.array(z.string()),
            token_logprobs: z.array(z.number().nullable()),
            top_logprobs: z.array(z.record(z.string(), z.number()).nullable()).nullish(),
            text_offset: z.array(z.number()),
          })
          .nullish(),
      }),
    )
    .min(1),
  usage: Usage,
});
export type CompletionResponseShape = z.infer<typeof CompletionResponseShape>;

export interface InferenceClientOptions {
  /** OpenAI-compatible base URL including /v1, e.g. http://127.0.0.1:8123/v1. */
  baseURL: string;
  /** Endpoint API key (from the env var the model names); never logged, never hashed. */
  apiKey?: string;
  /** Requests in flight at once (preset.concurrency). */
  concurrency: number;
  /** A limiter shared with other clients of the same server (then `concurrency` is ignored). */
  limit?: ReturnType<typeof pLimit>;
  /** Per-request timeout (preset.request_timeout_s × 1000). */
  timeoutMs: number;
  /** Retries per request on 429 / 5xx / connection errors / timeouts (preset.max_retries). */
  maxRetries: number;
  backoff?: BackoffOptions;
  /**
   * How requests are sent: 'direct' (default) POSTs JSON on a pooled keep-alive agent and raises the SDK's error
   * classes; 'sdk' goes through the `openai` SDK's request pipeline on the same agent. Both retry, time out and
   * classify errors alike; 'direct' spends about half the client CPU per request (bench/RESULTS.md, item 2).
   */
  http?: 'direct' | 'sdk';
  /** Called after every retryable failure, the last included; return an Error to give up (e.g. the server process has exited). */
  shouldStop?: (e: unknown) => Error | null | Promise<Error | null>;
}

/** One finished call. */
export interface CallResult<T> {
  data: T;
  latencyMs: number;
  retries: number;
}

/** Whether an error from the SDK is worth retrying: 408, 429, 5xx, dropped connections and timeouts. */
export function isRetryableError(e: unknown): boolean {
  if (e instanceof APIUserAbortError) return false;
  if (e instanceof APIConnectionError) return true; // includes APIConnectionTimeoutError
  if (e instanceof APIError) return e.status === 408 || e.status === 429 || (e.status !== undefined && e.status >= 500);
  return false;
}

/** HTTP status of an SDK error, if it has one. */
export function errorStatus(e: unknown): number | undefined {
  return e instanceof APIError && typeof e.status === 'number' ? e.status : undefined;
}

const transports = new Map<string, typeof fetch>();

/**
 * One keep-alive transport per origin for the process, so the cells of a run (each with its own client) reuse
 * the same warm connections; concurrency is bounded by the clients' limiters, not by the agent.
 */
function sharedTransport(baseURL: string): typeof fetch {
  const origin = new URL(baseURL).origin;
  let t = transports.get(origin);
  if (!t) {
    t = keepAliveFetch();
    transports.set(origin, t);
  }
  return t;
}

/**
 * A client of one OpenAI-compatible server in the `openai` SDK's terms (its error classes, or its request
 * pipeline with `http: 'sdk'`), with evalgraph's own retry policy (the SDK's maxRetries is 0 so retries are
 * counted), bounded concurrency (p-limit), a per-request timeout and pooled keep-alive connections.
 */
export class InferenceClient {
  private readonly sdk: OpenAI;
  private readonly limit: ReturnType<typeof pLimit>;
  /** Counters over the client's life. */
  readonly counters = { calls: 0, retried: 0, failed: 0, promptTokens: 0, completionTokens: 0 };

  private readonly transport: typeof fetch;
  private readonly base: string;

  constructor(private readonly opts: InferenceClientOptions) {
    this.transport = sharedTransport(opts.baseURL);
    this.base = opts.baseURL.replace(/\/+$/, '');
    this.sdk = new OpenAI({ baseURL: opts.baseURL, apiKey: opts.apiKey || 'EMPTY', maxRetries: 0, timeout: opts.timeoutMs, fetch: this.transport });
    this.limit = opts.limit ?? pLimit(Math.max(1, opts.concurrency));
  }

  /** Requests this client keeps in flight (its limiter's, shared or its own). */
  get concurrency(): number {
    return this.limit.concurrency;
  }

  private post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<unknown> {
    if (this.opts.http === 'sdk') return this.sdk.post<unknown>(path, { body, timeout: this.opts.timeoutMs, signal });
    return directPost(`${this.base}${path}`, body, { fetch: this.transport, apiKey: this.opts.apiKey || 'EMPTY', timeoutMs: this.opts.timeoutMs, signal });
  }

  private async call<T>(path: string, body: Record<string, unknown>, shape: z.ZodType<T>, signal?: AbortSignal): Promise<CallResult<T>> {
    return this.limit(async () => {
      this.counters.calls++;
      let retries = 0;
      const t0 = performance.now();
      try {
        const raw = await withRetry(
          () => this.post(path, body, signal),
          {
            maxRetries: this.opts.maxRetries,
            backoff: this.opts.backoff ?? DEFAULT_BACKOFF,
            isRetryable: isRetryableError,
            shouldStop: this.opts.shouldStop,
            signal,
            onRetry: () => {
              retries++;
              this.counters.retried++;
            },
          },
        );
        const data = shape.parse(raw);
        const usage = (data as { usage?: { prompt_tokens?: number; completion_tokens?: number } | null }).usage;
        this.counters.promptTokens += usage?.prompt_tokens ?? 0;
        this.counters.completionTokens += usage?.completion_tokens ?? 0;
        return { data, latencyMs: performance.now() - t0, retries };
      } catch (e) {
        this.counters.failed++;
        throw Object.assign(e instanceof Error ? e : new Error(String(e)), { retries, latencyMs: performance.now() - t0 });
      }
    });
  }

  /** POST /chat/completions with the given body (vLLM extra fields pass through as body keys). */
  chat(body: Record<string, unknown>, signal?: AbortSignal): Promise<CallResult<ChatResponseShape>> {
    return this.call('/chat/completions', body, ChatResponseShape, signal);
  }

  /** POST /completions with the given body. */
  completion(body: Record<string, unknown>, signal?: AbortSignal): Promise<CallResult<CompletionResponseShape>> {
    return this.call('/completions', body, CompletionResponseShape, signal);
  }
}
