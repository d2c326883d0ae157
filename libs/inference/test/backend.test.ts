import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EvalRequest, EvalResponse, ModelMode } from '@evalgraph/core';
import { RequestCache } from '../src/request-cache';
import { ServerPool } from '../src/server-pool';
import type { CellRequestOptions, ServerSpec } from '../src/types';
import { VllmBackend } from '../src/vllm-backend';
import { NON_THINKING, THINKING, gpu, preset, processesMatching, readJsonLines, spec, tempRoot, useStandin, type StandinEvent, type StandinRequest } from './helpers';

let root: string;
let cleanup: () => void;
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
});
afterAll(() => cleanup());

let n = 0;
function setup(env: Record<string, string> = {}, over: Partial<ServerSpec> = {}, restartLimit = 1) {
  const name = `be${++n}-${Math.random().toString(36).slice(2, 7)}`;
  // 8 GiB each: these tests run several servers at once and are not about the GPU lease
  const s = { ...spec(root, name), preset: preset({ gpu_memory_utilization: 0.1 }), ...over };
  const reqLog = join(root, `${name}.requests.jsonl`);
  const evLog = join(root, `${name}.events.jsonl`);
  const pool = new ServerPool({
    workspaceRoot: root,
    restartLimit,
    startOptions: { pollIntervalMs: 50, graceMs: 2000, gpuReleaseTimeoutMs: 200, env: { STANDIN_REQUEST_LOG: reqLog, STANDIN_EVENT_LOG: evLog, ...env } },
  });
  const cache = RequestCache.open(join(root, `${name}.cache.sqlite`));
  const backend = () => new VllmBackend(s, { pool, cache, backoff: { baseMs: 5, maxMs: 20 }, metricsIntervalMs: 100 });
  const sent = () => readJsonLines<StandinRequest>(reqLog).filter((r) => !r.probe);
  const events = () => readJsonLines<StandinEvent>(evLog);
  const done = async () => {
    await pool.closeAll();
    cache.close();
    expect(processesMatching(name)).toEqual([]);
  };
  return { name, s, pool, cache, backend, sent, events, done };
}

const chat = (i: number, sample_index = 0): EvalRequest => ({ kind: 'chat', messages: [{ role: 'user', content: `Question ${i}: what is ${i} + ${i}?` }], sample_index });
const cellOpts = (mode: ModelMode, modeName: string, extra: Partial<CellRequestOptions> = {}): CellRequestOptions => ({ mode, modeName, englishOnly: false, maxTokens: mode.max_tokens, ...extra });
const texts = (rs: EvalResponse[]) => rs.map((r) => (r.kind === 'generate' ? r.text : r.kind));

describe('VllmBackend against the stand-in', () => {
  it('thinking and non-thinking requests carry the documented sampling and chat_template_kwargs; reasoning is split off', async () => {
    const t = setup();
    const be = t.backend();
    try {
      const think = await be.run([chat(1), chat(2, 1)], cellOpts(THINKING, 'thinking', { seed: 7 }));
      const plain = await be.run([chat(3)], cellOpts(NON_THINKING, 'non-thinking'));
      const bodies = t.sent().map((r) => r.body);
      expect(bodies).toHaveLength(3);
      expect(bodies[0]).toMatchObject({ model: t.name, temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0, presence_penalty: 0, frequency_penalty: 0, repetition_penalty: 1, max_tokens: 64, n: 1, chat_template_kwargs: { enable_thinking: true } });
      expect(bodies.map((b) => b.seed).sort()).toEqual([0, 7, 8]); // seed + sample_index; default seed 0
      expect(bodies[2]).toMatchObject({ temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0, max_tokens: 32, chat_template_kwargs: { enable_thinking: false } });
      for (const b of bodies) expect(Object.keys(b)).not.toContain('oracle');
      const r0 = think.responses[0];
      expect(r0.kind).toBe('generate');
      if (r0.kind === 'generate') {
        expect(r0.reasoning).toMatch(/^Stand-in reasoning/);
        expect(r0.text).toMatch(/^Stand-in answer/);
        expect(r0.text).not.toContain('reasoning');
      }
      const p0 = plain.responses[0];
      expect(p0.kind === 'generate' ? p0.reasoning : 'not generate').toBeUndefined();
      expect(be.describe()).toMatchObject({ kind: 'standin-vllm (test stand-in, not vLLM)', version: 'standin-vllm 1.0.0' });
      expect(think.stats).toMatchObject({ total: 2, sent: 2, fromCache: 0, failed: 0 });
      expect(think.stats.serverTokens?.generation).toBeGreaterThan(0);
      expect(think.stats.kvCacheUsageMax).not.toBeNull();
    } finally {
      await be.close();
      await t.done();
    }
  });

  it('with 10% of requests answered 503 every request still succeeds (retried), with the same answers', async () => {
    const reqs = Array.from({ length: 30 }, (_, i) => chat(i));
    const clean = setup();
    const flaky = setup({ STANDIN_FAIL_RATE: '0.1' });
    const [b1, b2] = [clean.backend(), flaky.backend()];
    try {
      const r1 = await b1.run(reqs, cellOpts(NON_THINKING, 'non-thinking'));
      const r2 = await b2.run(reqs, cellOpts(NON_THINKING, 'non-thinking'));
      expect(r2.stats.failed).toBe(0);
      expect(r2.stats.retried).toBeGreaterThanOrEqual(3);
      expect(r2.responses.every((r) => r.kind === 'generate')).toBe(true);
      expect(texts(r2.responses)).toEqual(texts(r1.responses));
      expect(flaky.sent().length).toBe(30 + r2.stats.retried);
    } finally {
      await b1.close();
      await b2.close();
      await clean.done();
      await flaky.done();
    }
  });

  it("on a host with several GPUs a cell is divided among the model's servers, every answer in its place", async () => {
    // Two GPUs, two requests in flight per server: the cell goes in parts of one request, so a second server that
    // starts while the first works takes part of the same cell.
    const reqs = Array.from({ length: 24 }, (_, i) => chat(300 + i));
    const many = setup({ STANDIN_LATENCY_MS: '150' }, { preset: preset({ gpu_memory_utilization: 0.1, concurrency: 2 }), gpu: gpu({ count: 2 }) });
    const one = setup({}, { preset: preset({ gpu_memory_utilization: 0.1, concurrency: 2 }) });
    const be = many.backend();
    const ref = one.backend();
    try {
      const r = await be.run(reqs, cellOpts(NON_THINKING, 'non-thinking'));
      expect(r.stats.sent).toBe(24);
      const pids = new Set(many.sent().map((x) => x.pid));
      expect(pids.size).toBe(2);
      expect(be.describe().replicas).toBe(2);
      expect(r.stats.serverTokens).toBeNull(); // each part's counters were a whole server's
      expect(r.stats.served && r.stats.served.to > r.stats.served.from).toBe(true);
      // The same answers, in the same order, as one server gives for the whole cell.
      const whole = await ref.run(reqs, cellOpts(NON_THINKING, 'non-thinking'));
      expect(texts(r.responses)).toEqual(texts(whole.responses));
      expect(ref.describe().replicas).toBeUndefined();
    } finally {
      await be.close();
      await ref.close();
      await many.done();
      await one.done();
    }
    // Every part released its server: both stopped once the cell closed, none left.
    expect(many.events().filter((e) => e.event === 'stop')).toHaveLength(2);
  });

  it('a server that crashes mid-run is restarted once; finished requests are not sent again', async () => {
    const t = setup({ STANDIN_CRASH_AFTER: '5', STANDIN_CRASH_MARKER: join(root, `crash-marker-${n + 1}`) });
    const be = t.backend();
    try {
      const reqs = Array.from({ length: 16 }, (_, i) => chat(100 + i));
      const finishedAt: number[] = [];
      const r = await be.run(reqs, cellOpts(NON_THINKING, 'non-thinking', { onResult: (i) => (finishedAt[i] = Date.now()) }));
      expect(r.stats.restarts).toBe(1);
      expect(r.responses.every((x) => x.kind === 'generate')).toBe(true);
      const starts = t.events().filter((e) => e.event === 'start');
      expect(starts).toHaveLength(2);
      expect(t.events().some((e) => e.event === 'crash')).toBe(true);
      // requests finished before the second server started were answered by the first one
      const content = (i: number) => `Question ${100 + i}: what is ${100 + i} + ${100 + i}?`;
      const finishedFirst = reqs.map((_, i) => i).filter((i) => finishedAt[i] <= starts[1].time);
      expect(finishedFirst.length).toBeGreaterThanOrEqual(1);
      expect(finishedFirst.length).toBeLessThanOrEqual(5);
      const resent = t
        .sent()
        .filter((x) => x.pid === starts[1].pid)
        .map((x) => (x.body.messages as { content: string }[])[0].content)
        .sort();
      const expected = reqs.map((_, i) => i).filter((i) => !finishedFirst.includes(i)).map(content).sort();
      expect(resent).toEqual(expected);
    } finally {
      await be.close();
      await t.done();
    }
  });

  it('a server that keeps crashing fails the run with a clear message', async () => {
    const t = setup({ STANDIN_CRASH_AFTER: '2' });
    const be = t.backend();
    try {
      await expect(be.run(Array.from({ length: 12 }, (_, i) => chat(200 + i)), cellOpts(NON_THINKING, 'non-thinking'))).rejects.toThrow(/crashed again after 1 restart/);
    } finally {
      await be.close();
      await t.done();
    }
  });

  it('the request cache answers finished requests without sending them, and no server starts when all are cached', async () => {
    const t = setup();
    const reqs = Array.from({ length: 6 }, (_, i) => chat(300 + i));
    const b1 = t.backend();
    const r1 = await b1.run(reqs, cellOpts(NON_THINKING, 'non-thinking'));
    await b1.close();
    expect(t.sent()).toHaveLength(6);
    const b2 = t.backend();
    try {
      const r2 = await b2.run(reqs, cellOpts(NON_THINKING, 'non-thinking'));
      expect(t.sent()).toHaveLength(6); // nothing resent
      expect(r2.stats).toMatchObject({ fromCache: 6, sent: 0 });
      expect(r2.responses.every((r) => r.kind === 'generate' && r.cached)).toBe(true);
      expect(texts(r2.responses)).toEqual(texts(r1.responses));
      expect(t.events().filter((e) => e.event === 'start')).toHaveLength(1); // only the first run started one
      // a different sample_index is a different request
      await b2.run([chat(300, 1)], cellOpts(NON_THINKING, 'non-thinking'));
      expect(t.sent()).toHaveLength(7);
    } finally {
      await b2.close();
      await t.done();
    }
  });

  it('log-likelihood goes through /v1/completions with echo + logprobs and sums the continuation', async () => {
    const t = setup();
    const be = t.backend();
    try {
      const req: EvalRequest = { kind: 'loglikelihood', context: 'The capital of France is', continuation: ' Paris, of course', sample_index: 0 };
      const { responses } = await be.run([req], cellOpts(NON_THINKING, 'non-thinking'));
      const body = t.sent()[0].body;
      expect(body).toMatchObject({ prompt: 'The capital of France is Paris, of course', echo: true, logprobs: 1, max_tokens: 1, temperature: 0 });
      // ask the stand-in directly for the same echo and add up the continuation tokens by hand
      const server = await t.pool.acquire(t.s);
      const raw = (await (await fetch(`${server.baseUrl}/v1/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-evalgraph-probe': '1' }, body: JSON.stringify(body) })).json()) as {
        choices: { logprobs: { tokens: string[]; token_logprobs: number[] } }[];
      };
      await t.pool.release(t.s);
      const lp = raw.choices[0].logprobs;
      expect(lp.tokens).toEqual(['The', ' capital', ' of', ' France', ' is', ' Paris,', ' of', ' course', lp.tokens[8]]);
      const expected = lp.token_logprobs[5] + lp.token_logprobs[6] + lp.token_logprobs[7];
      const r = responses[0];
      expect(r.kind).toBe('loglikelihood');
      if (r.kind === 'loglikelihood') {
        expect(r.logprob).toBeCloseTo(expected, 9);
        expect(r.continuation_tokens).toBe(3);
      }
    } finally {
      await be.close();
      await t.done();
    }
  });
});
