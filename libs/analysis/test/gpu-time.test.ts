import { describe, expect, it } from 'vitest';
import type { EvalRequest } from '@evalgraph/core';
import { makespan, measuredCosts, predictFromMeasured, publishedTokS, PUBLISHED, requestVolume, type CostCell } from '../src';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

/** A measured cell: served [from, to] seconds, `sent` of `total` requests sent, `tokens` processed in all. */
function cell(key: string, o: { model?: string; from?: number; to?: number; sent: number; total?: number; tokens?: number; records?: number; backend?: CostCell['run']['backend']; started?: number }): CostCell {
  const total = o.total ?? o.sent;
  return {
    cell: { key },
    run: {
      model: { name: o.model ?? 'qwen3-8b', hf_id: 'Qwen/Qwen3-8B', revision: 'r', mode: 'non-thinking', english_only: false },
      backend: o.backend ?? 'vllm',
      server: { kind: 'vllm', version: '0.11.0', command: ['vllm', 'serve', o.model ?? 'qwen3-8b'] },
      // The cell's own window starts long before its server worked (the GPU lease, the server's start).
      started_at: at(o.started ?? 0),
      finished_at: at((o.to ?? 0) + 1),
      ...(o.from !== undefined && { served: { from: at(o.from), to: at(o.to ?? o.from) } }),
      dataset: { name: key.split('/').pop()!, split: 'test', sha256: 'x', records: o.records ?? total },
      settings: { sample_limit: o.records ?? total, samples_per_task: 1 },
    },
    metrics: { tokens: { prompt: o.tokens ?? 0, completion: 0 }, throughput_tok_s: null, requests: { total, sent: o.sent, from_cache: total - o.sent, failed: 0, retried: 0 }, n: o.records ?? total },
  };
}

describe('GPU time accounting', () => {
  it('splits a shared server window by how long each cell was served, and ignores lease waits', () => {
    // Two cells on one server, served 100–160 s and 120–140 s: the server was busy 60 s, three quarters of the
    // served time was the first cell's. A third cell of another model was served alone for 10 s, after waiting
    // 100 s for the GPU (its wall time is 110 s).
    const costs = measuredCosts([
      cell('results/p/a/balanced/gsm8k', { from: 100, to: 160, sent: 10, tokens: 1000 }),
      cell('results/p/a/balanced/math500', { from: 120, to: 140, sent: 10, tokens: 3000 }),
      cell('results/p/b/balanced/gsm8k', { model: 'qwen3-14b', from: 200, to: 210, sent: 5, tokens: 500, started: 100 }),
    ]);
    expect(costs.get('results/p/a/balanced/gsm8k')!.gpuS).toBeCloseTo(45);
    expect(costs.get('results/p/a/balanced/math500')!.gpuS).toBeCloseTo(15);
    expect(costs.get('results/p/b/balanced/gsm8k')!.gpuS).toBeCloseTo(10);
  });

  it('counts only what the server did: cached answers cost nothing, and cells without a served window measure nothing', () => {
    const costs = measuredCosts([
      // Half its requests came from the request cache: its served window covers the other half only.
      cell('results/p/a/balanced/gsm8k', { from: 0, to: 20, sent: 5, total: 10, tokens: 2000 }),
      cell('results/p/a/balanced/math500', { from: 0, to: 20, sent: 10, tokens: 1000 }),
      cell('results/p/a/balanced/ifeval', { sent: 0, total: 10, tokens: 900 }),
      cell('results/p/d/balanced/gsm8k', { from: 0, to: 20, sent: 10, tokens: 900, backend: 'dummy' }),
    ]);
    expect([...costs.keys()].sort()).toEqual(['results/p/a/balanced/gsm8k', 'results/p/a/balanced/math500']);
    expect(costs.get('results/p/a/balanced/gsm8k')!.gpuS).toBeCloseTo(10);
    expect(costs.get('results/p/a/balanced/math500')!.gpuS).toBeCloseTo(10);
  });

  it('predicts a re-run from seconds per request sent, scaled to the records it will evaluate', () => {
    const [m] = measuredCosts([cell('results/p/a/balanced/gsm8k', { from: 0, to: 20, sent: 5, total: 10, tokens: 100, records: 10 })]).values();
    // 20 s for 5 requests sent: 4 s a request; a full re-run sends all 10.
    expect(predictFromMeasured(m, 10, 1)).toBeCloseTo(40);
    expect(predictFromMeasured(m, 5, 1)).toBeCloseTo(20);
    expect(predictFromMeasured(m, 10, 4)).toBeCloseTo(160);
    expect(predictFromMeasured({ ...m, sent: 0 }, 10, 1)).toBeNull();
  });

  it('puts servers side by side on the GPUs, longest first', () => {
    expect(makespan([10, 10, 10, 10], 1)).toBe(40);
    expect(makespan([10, 10, 10, 10], 2)).toBe(20);
    expect(makespan([30, 10, 10, 10], 2)).toBe(30);
    // Longest first is a heuristic: 14 here where the best split ({7, 6} and {5, 4, 3}) takes 13.
    expect(makespan([7, 6, 5, 4, 3], 2)).toBe(14);
    expect(makespan([], 8)).toBe(0);
  });

  it("uses the projection's published throughput and token assumptions where nothing was measured", () => {
    expect(publishedTokS(8.19).tokS).toBe(PUBLISHED.small.tokS);
    expect(publishedTokS(14.8).tokS).toBe(PUBLISHED.large.tokS);
    const chat: EvalRequest = { kind: 'chat', messages: [{ role: 'user', content: 'x'.repeat(400) }], max_tokens: 256 } as EvalRequest;
    const ll: EvalRequest = { kind: 'loglikelihood', context: 'a'.repeat(40), continuation: 'b'.repeat(40) } as EvalRequest;
    expect(requestVolume([chat, ll], 1024)).toEqual({ requests: 2, promptTokens: 100 + 20, outputTokens: 128 + 1 });
    expect(requestVolume([chat], 1024, 2)).toEqual({ requests: 2, promptTokens: 200, outputTokens: 256 });
  });
});
