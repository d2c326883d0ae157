import type { EvalRequest, EvalResponse } from '@evalgraph/core';
import { errorStatus, type CallResult, type ChatResponseShape, type CompletionResponseShape, type InferenceClient } from './client';
import { englishRequestFields, loadEnglishFilter, type EnglishFilterDelivery } from './english-filter';
import { ServerCrashedError } from './errors';
import { continuationScore } from './logprobs';
import { buildRequestBody, splitReasoning, type BodyContext } from './modes';
import { requestCacheKey, type CacheKeyParts, type RequestCache } from './request-cache';
import type { CellRequestOptions, RequestSource, RunStats, ServerSpec } from './types';

/** Counters one run accumulates (a subset of RunStats). */
export interface RunCounters {
  sent: number;
  fromCache: number;
  failed: number;
  retried: number;
  promptTokens: number;
  completionTokens: number;
}

/** Everything needed to turn requests into responses against one server. */
export interface RunnerContext {
  /** Config name of the model (request-cache stats and prune use it). */
  modelName: string;
  body: Omit<BodyContext, 'mode' | 'maxTokens' | 'seed' | 'englishFields'>;
  cache: RequestCache | null;
  /** Key parts other than the body and sample index; null disables caching. */
  cacheKeyBase: Omit<CacheKeyParts, 'body' | 'sampleIndex'> | null;
  client: InferenceClient;
  englishFields?: Record<string, unknown>;
}

/** What differs between backends in the setup of a run. */
export interface RunSetupOptions {
  cache: RequestCache | null;
  /** How the English-only filter reaches the server, when the cell asks for it. */
  englishDelivery: EnglishFilterDelivery;
  /** Called after the English filter loads: working out the key may read the vLLM version or write the processor module, which a cell whose filter fails should not do. */
  cacheKey: () => Pick<CacheKeyParts, 'runtime' | 'serverArgs'>;
}

/** The runner context a backend's run() starts from, and the English filter as applied (for RunStats). */
export function runSetup(spec: ServerSpec, opts: CellRequestOptions, setup: RunSetupOptions): { ctx: Omit<RunnerContext, 'client'>; englishFilter: RunStats['englishFilter'] } {
  let englishFields: Record<string, unknown> | undefined;
  let englishFilter: RunStats['englishFilter'] = null;
  if (opts.englishOnly) {
    const filter = loadEnglishFilter(spec.workspaceRoot);
    const delivery = setup.englishDelivery;
    englishFields = englishRequestFields(filter, delivery);
    englishFilter = { delivery, hash: filter.hash, allowedTokens: filter.counts.allowed_total };
  }
  const ctx = {
    modelName: spec.modelName,
    body: { servedModel: spec.requestModel ?? spec.modelName },
    cache: setup.cache,
    cacheKeyBase: { model: { hf_id: spec.model.hf_id, revision: spec.model.revision }, ...setup.cacheKey() },
    englishFields,
  };
  return { ctx, englishFilter };
}

/** A new zeroed counter set. */
export function newCounters(): RunCounters {
  return { sent: 0, fromCache: 0, failed: 0, retried: 0, promptTokens: 0, completionTokens: 0 };
}

function retriesOf(e: unknown): number {
  const r = (e as { retries?: unknown }).retries;
  return typeof r === 'number' ? r : 0;
}

function toResponse(req: EvalRequest, call: CallResult<ChatResponseShape> | CallResult<CompletionResponseShape>, endpoint: 'chat' | 'completion'): EvalResponse {
  const usage = call.data.usage;
  const prompt_tokens = usage?.prompt_tokens ?? 0;
  const completion_tokens = usage?.completion_tokens ?? 0;
  if (req.kind === 'loglikelihood') {
    const lp = (call.data as CompletionResponseShape).choices[0].logprobs;
    if (!lp) throw new Error('the server returned no logprobs for an echo=true, logprobs=1 completion');
    const score = continuationScore({ ...lp, top_logprobs: lp.top_logprobs ?? null }, req.context, req.continuation);
    return { kind: 'loglikelihood', logprob: score.logprob, is_greedy: score.isGreedy, continuation_tokens: score.tokens, latency_ms: call.latencyMs, cached: false };
  }
  if (endpoint === 'chat') {
    const choice = (call.data as ChatResponseShape).choices[0];
    const { text, reasoning } = splitReasoning(choice.message);
    return {
      kind: 'generate',
      text,
      ...(reasoning !== undefined ? { reasoning } : {}),
      finish_reason: choice.finish_reason ?? 'unknown',
      prompt_tokens,
      completion_tokens,
      latency_ms: call.latencyMs,
      cached: false,
    };
  }
  const choice = (call.data as CompletionResponseShape).choices[0];
  return { kind: 'generate', text: choice.text ?? '', finish_reason: choice.finish_reason ?? 'unknown', prompt_tokens, completion_tokens, latency_ms: call.latencyMs, cached: false };
}

/** A request that was not in the cache: which one, and where to store the answer (its body is rebuilt at send time). */
export interface PendingRequest {
  i: number;
  key: string | null;
}

/** The endpoint and body of one request (the oracle never leaves the process). */
function bodyOf(req: EvalRequest, opts: CellRequestOptions, ctx: Omit<RunnerContext, 'client'>) {
  return buildRequestBody(req, {
    ...ctx.body,
    mode: opts.mode,
    maxTokens: opts.maxTokens,
    seed: opts.seed,
    englishFields: opts.englishOnly && req.kind !== 'loglikelihood' ? ctx.englishFields : undefined,
  });
}

/** Stands in for a response already handed to onResult when the caller keeps none (keepResponses: false). */
const DELIVERED: EvalResponse = Object.freeze({ kind: 'error', error: 'delivered through onResult', latency_ms: 0 });

/** Records a finished request and hands it to the caller. */
function deliver(responses: (EvalResponse | undefined)[], i: number, res: EvalResponse, opts: CellRequestOptions): void {
  responses[i] = opts.keepResponses === false ? DELIVERED : res;
  opts.onResult?.(i, res);
}

/** The responses a run returns: in request order, or none when the caller took them through onResult. */
export function returnedResponses(responses: (EvalResponse | undefined)[], opts: CellRequestOptions): EvalResponse[] {
  return opts.keepResponses === false ? [] : (responses as EvalResponse[]);
}

/** The request at `i`; a source that has none there is a bug in its caller. */
export function requestAt(requests: RequestSource, i: number): EvalRequest {
  const req = requests.at(i);
  if (!req) throw new Error(`request ${i} of ${requests.length} is missing`);
  return req;
}

/**
 * Answers each request from the request cache when possible (no server needed); returns the ones
 * that must be sent. Only keys are kept: bodies are rebuilt when sent, so memory does not grow with the cell.
 */
export function lookupCached(
  requests: RequestSource,
  responses: (EvalResponse | undefined)[],
  opts: CellRequestOptions,
  ctx: Omit<RunnerContext, 'client'>,
  counters: RunCounters,
): PendingRequest[] {
  const pending: PendingRequest[] = [];
  for (let i = 0; i < requests.length; i++) {
    const req = requestAt(requests, i);
    const key = ctx.cache && ctx.cacheKeyBase ? requestCacheKey({ ...ctx.cacheKeyBase, body: bodyOf(req, opts, ctx).body, sampleIndex: req.sample_index }) : null;
    const hit = key && ctx.cache ? ctx.cache.get(key) : null;
    if (hit && hit.kind === (req.kind === 'loglikelihood' ? 'loglikelihood' : 'generate')) {
      counters.fromCache++;
      deliver(responses, i, hit, opts);
      continue;
    }
    pending.push({ i, key });
  }
  return pending;
}

/**
 * Sends the pending requests into `responses`, writing each finished response to the cache at once and
 * calling onResult. Errors become ErrorResponses, except a crashed server (ServerCrashedError), which is
 * thrown after every in-flight request has settled, so the caller can restart the server and send again
 * the ones still missing. As many workers as the client's concurrency take requests in turn, so only the
 * requests in flight hold a body and a promise: memory stays flat in the number of requests.
 */
export async function sendPending(
  requests: RequestSource,
  pending: PendingRequest[],
  responses: (EvalResponse | undefined)[],
  opts: CellRequestOptions,
  ctx: RunnerContext,
  counters: RunCounters,
): Promise<void> {
  let crash: ServerCrashedError | null = null;
  let next = 0;
  const sendOne = async ({ i, key }: PendingRequest) => {
    const req = requestAt(requests, i);
    const { endpoint, body } = bodyOf(req, opts, ctx);
    counters.sent++;
    try {
      const call = endpoint === 'chat' ? await ctx.client.chat(body, opts.signal) : await ctx.client.completion(body, opts.signal);
      counters.retried += call.retries;
      const res = toResponse(req, call, endpoint);
      if (res.kind === 'generate') {
        counters.promptTokens += res.prompt_tokens;
        counters.completionTokens += res.completion_tokens;
      }
      if (key && ctx.cache) ctx.cache.put(key, ctx.modelName, res);
      deliver(responses, i, res, opts);
    } catch (e) {
      counters.retried += retriesOf(e);
      if (e instanceof ServerCrashedError) {
        crash ??= e;
        counters.sent--; // it will be sent again after the restart
        return;
      }
      if (opts.signal?.aborted) throw e;
      counters.failed++;
      const latency = (e as { latencyMs?: unknown }).latencyMs;
      const status = errorStatus(e);
      const res: EvalResponse = {
        kind: 'error',
        error: e instanceof Error ? e.message : String(e),
        ...(status !== undefined ? { status } : {}),
        latency_ms: typeof latency === 'number' ? latency : 0,
      };
      deliver(responses, i, res, opts);
    }
  };
  const worker = async () => {
    while (next < pending.length && !crash) {
      opts.signal?.throwIfAborted();
      await sendOne(pending[next++]);
    }
  };
  const workers = Math.max(1, Math.min(pending.length, ctx.client.concurrency));
  await Promise.allSettled(Array.from({ length: workers }, worker));
  opts.signal?.throwIfAborted();
  if (crash) throw crash;
}
