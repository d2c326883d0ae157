import { describe, expect, it } from 'vitest';
import type { EvalRequest } from '@evalgraph/core';
import { DummyBackend, dummyAccuracy, evalgraphVersion } from '../src/dummy';
import { NON_THINKING, THINKING } from './helpers';

const chats = (n: number): EvalRequest[] =>
  Array.from({ length: n }, (_, i) => ({ kind: 'chat', messages: [{ role: 'user', content: `q${i}` }], sample_index: 0, oracle: { answer: `right ${i}`, wrong: `wrong ${i}` } }));
const opts = (thinking: boolean) => ({ mode: thinking ? THINKING : NON_THINKING, modeName: thinking ? 'thinking' : 'non-thinking', englishOnly: false, maxTokens: 16 });

describe('DummyBackend', () => {
  it('is labelled as the in-process dummy with the evalgraph version', () => {
    expect(new DummyBackend('qwen3-8b').describe()).toEqual({ kind: 'dummy (in-process)', version: evalgraphVersion(), command: null });
    expect(evalgraphVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('is deterministic, right about as often as its accuracy, and differs between models and modes', async () => {
    const reqs = chats(600);
    const a1 = await new DummyBackend('qwen3-8b').run(reqs, opts(false));
    const a2 = await new DummyBackend('qwen3-8b').run(reqs, opts(false));
    expect(a2.responses).toEqual(a1.responses);
    const rate = (rs: typeof a1.responses) => rs.filter((r) => r.kind === 'generate' && r.text.startsWith('right')).length / rs.length;
    const p = dummyAccuracy('qwen3-8b', 'non-thinking', false);
    expect(p).toBeGreaterThanOrEqual(0.35);
    expect(p).toBeLessThanOrEqual(0.85);
    expect(Math.abs(rate(a1.responses) - p)).toBeLessThan(0.08);
    expect(dummyAccuracy('qwen3-14b', 'non-thinking', false)).not.toBeCloseTo(p, 3);
    expect(dummyAccuracy('qwen3-8b', 'thinking', true)).toBeGreaterThan(p);
    const t = await new DummyBackend('qwen3-8b').run(reqs, opts(true));
    const r0 = t.responses[0];
    expect(r0.kind === 'generate' && r0.reasoning).toMatch(/dummy/i);
    expect(a1.stats).toMatchObject({ total: 600, sent: 600, failed: 0, peakGpuMemoryGiB: null });
    expect(a1.responses.every((r) => r.kind === 'generate' && r.latency_ms === 0 && r.completion_tokens === Math.ceil(r.text.length / 4))).toBe(true);
  });

  it("says \"I don't know.\" when the request has no oracle", async () => {
    const { responses } = await new DummyBackend('m').run([{ kind: 'chat', messages: [{ role: 'user', content: 'x' }], sample_index: 0 }], opts(false));
    expect(responses[0]).toMatchObject({ kind: 'generate', text: "I don't know." });
  });

  it('for log-likelihood the gold continuation wins with the same probability', async () => {
    const items = 400;
    const reqs: EvalRequest[] = [];
    for (let i = 0; i < items; i++) {
      for (const c of ['A', 'B', 'C', 'D']) reqs.push({ kind: 'loglikelihood', context: `Item ${i}:`, continuation: ` ${c}`, sample_index: 0, oracle: { answer: `Item ${i}: B` } });
    }
    const { responses } = await new DummyBackend('qwen3-8b').run(reqs, opts(false));
    let wins = 0;
    for (let i = 0; i < items; i++) {
      const lps = responses.slice(4 * i, 4 * i + 4).map((r) => (r.kind === 'loglikelihood' ? r.logprob : NaN));
      if (lps.indexOf(Math.max(...lps)) === 1) wins++;
      const gold = responses[4 * i + 1];
      expect(gold.kind === 'loglikelihood' && gold.is_greedy).toBe(lps.indexOf(Math.max(...lps)) === 1);
    }
    expect(Math.abs(wins / items - dummyAccuracy('qwen3-8b', 'non-thinking', false))).toBeLessThan(0.08);
  });
});
