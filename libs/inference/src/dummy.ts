import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { stableStringify, type EvalRequest, type EvalResponse } from '@evalgraph/core';
import { requestAt } from './request-runner';
import type { Backend, CellRequestOptions, RequestSource, RunStats } from './types';

const IDK = "I don't know.";

/** evalgraph's version (root package.json of the workspace this lib lives in). */
export function evalgraphVersion(): string {
  for (const rel of ['../../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel), 'utf8')) as { name?: string; version?: string };
      if (pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}

/** A number in [0, 1) from the sha256 of the parts. */
function unit(...parts: string[]): number {
  return createHash('sha256').update(parts.join('\u0000')).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * The dummy's accuracy for a model and mode: 0.35–0.85 from the model name (so models differ), a bit higher
 * (+0.06, at most 0.9) in a thinking mode.
 */
export function dummyAccuracy(modelName: string, modeName: string, reasoning = /think/.test(modeName) && !/non-?think/.test(modeName)): number {
  const p = 0.35 + 0.5 * unit('dummy-accuracy', modelName);
  return reasoning ? Math.min(0.9, p + 0.06) : p;
}

/** The request without its oracle (what a real server would see). */
function visible(req: EvalRequest): string {
  const { oracle: _oracle, ...rest } = req;
  return stableStringify(rest);
}

const approxTokens = (s: string) => Math.ceil(s.length / 4);

/**
 * In-process stand-in for a model (like lm-evaluation-harness's dummy model or Inspect's mockllm): no GPU,
 * deterministic, and labelled "dummy (in-process)" in every result. It answers with the request's oracle:
 * right with probability dummyAccuracy(model, mode), decided by a hash of (model, mode, request, sample_index).
 * For log-likelihood, the request whose context + continuation equals `oracle.answer` is gold; per item (context, sample_index) the
 * gold continuation gets the highest logprob with the same probability.
 */
export class DummyBackend implements Backend {
  readonly kind = 'dummy' as const;

  constructor(readonly modelName: string) {}

  /** Always labelled as the in-process dummy. */
  describe(): { kind: string; version: string | null; command: string[] | null } {
    return { kind: 'dummy (in-process)', version: evalgraphVersion(), command: null };
  }

  private answer(req: EvalRequest, opts: CellRequestOptions, p: number): EvalResponse {
    const key = [this.modelName, opts.modeName];
    if (req.kind === 'loglikelihood') {
      // The oracle names the gold request by its full text (context + continuation): WinoGrande's choices share
      // the continuation and differ in context. Every request of an item carries the same oracle, so the item's
      // right/wrong draw is keyed on it.
      const right = unit(...key, 'item', req.oracle?.answer ?? req.context, String(req.sample_index)) < p;
      const gold = req.oracle?.answer !== undefined && req.oracle.answer === req.context + req.continuation;
      const jitter = unit(...key, 'cont', req.context, req.continuation);
      const logprob = gold ? (right ? -0.5 : -4 - jitter) : right ? -3 - jitter : -1 - 0.4 * jitter;
      return { kind: 'loglikelihood', logprob, is_greedy: gold && right, continuation_tokens: approxTokens(req.continuation), latency_ms: 0, cached: false };
    }
    const right = unit(...key, visible(req), String(req.sample_index)) < p;
    const text = right ? (req.oracle?.answer ?? IDK) : (req.oracle?.wrong ?? IDK);
    const prompt = req.kind === 'chat' ? req.messages.map((m) => m.content).join('\n') : req.prompt;
    const reasoning = opts.mode.reasoning ? 'Dummy reasoning (in-process dummy backend, no model).' : undefined;
    return {
      kind: 'generate',
      text,
      ...(reasoning ? { reasoning } : {}),
      finish_reason: 'stop',
      prompt_tokens: approxTokens(prompt),
      completion_tokens: approxTokens(text) + (reasoning ? approxTokens(reasoning) : 0),
      latency_ms: 0,
      cached: false,
    };
  }

  /** Answers every request at once, deterministically. */
  async run(requests: RequestSource, opts: CellRequestOptions): Promise<{ responses: EvalResponse[]; stats: RunStats }> {
    const t0 = performance.now();
    const p = dummyAccuracy(this.modelName, opts.modeName, opts.mode.reasoning);
    const responses: EvalResponse[] = [];
    let promptTokens = 0;
    let completionTokens = 0;
    for (let i = 0; i < requests.length; i++) {
      opts.signal?.throwIfAborted();
      const res = this.answer(requestAt(requests, i), opts, p);
      if (res.kind === 'generate') {
        promptTokens += res.prompt_tokens;
        completionTokens += res.completion_tokens;
      }
      opts.onResult?.(i, res);
      if (opts.keepResponses !== false) responses.push(res);
    }
    return {
      responses,
      stats: {
        total: requests.length,
        sent: requests.length,
        fromCache: 0,
        failed: 0,
        retried: 0,
        promptTokens,
        completionTokens,
        wallMs: performance.now() - t0,
        peakGpuMemoryGiB: null,
        kvCacheUsageMax: null,
        englishFilter: opts.englishOnly ? { delivery: 'dummy', hash: 'none', allowedTokens: 0 } : null,
        serverTokens: null,
        restarts: 0,
      },
    };
  }

  /** Nothing to stop. */
  async close(): Promise<void> {
    // in-process: nothing was started
  }
}
