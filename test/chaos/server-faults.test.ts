import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_PIPELINE, ChaosWorkspace, type NxRun, type StandinEvent } from './helpers/chaos-workspace';
import { expectClearFailure, expectSuccess } from './helpers/expect-run';
import { recordFigure } from './helpers/figures';
import { referenceResults } from './helpers/reference';

// Scenario 2: the server crashes mid-cell, never becomes healthy, answers only 503, answers past the request
// timeout, or finds its port taken. Each run ends complete or with one clear message; the error-rate gate decides.
const PIPELINES = {
  c: BASE_PIPELINE,
  // 25 samples, no retries: one failed request is 4% (recorded), two are 8% (the cell fails).
  gate: `backend: vllm
preset: chaos-noretry
settings: { sample_limit: 25 }
models: [{ model: qwen3-4b }]
datasets: [gsm8k]
`,
  // A 1 s request timeout and one retry.
  slow: `backend: vllm
preset: chaos-timeout
settings: { sample_limit: 4 }
models: [{ model: qwen3-4b }]
datasets: [gsm8k]
`,
};

let cw: ChaosWorkspace;
let reference: Record<string, unknown>;
let faults = 0;
let runs = 0;
let completed = 0;
let clearFailures = 0;
let lost = 0;

beforeAll(async () => {
  reference = await referenceResults(BASE_PIPELINE);
  cw = new ChaosWorkspace(PIPELINES);
  const preset = readFileSync(join(cw.root, 'configs/presets/chaos.yaml'), 'utf8');
  cw.write('configs/presets/chaos-noretry.yaml', preset.replace('max_retries: 1', 'max_retries: 0'));
  cw.write('configs/presets/chaos-timeout.yaml', preset.replace('request_timeout_s: 5', 'request_timeout_s: 1'));
});
afterAll(async () => {
  recordFigure({ scenario: '2 server faults', faults, runs, completed, resultsLost: lost, note: `${clearFailures} runs ended in one clear message, the rest completed` });
  await cw?.dispose();
});

/** Runs one pipeline from scratch (no Nx cache, no request cache) with a fault switched on; checks the process table after. */
async function faultRun(pipeline: keyof typeof PIPELINES, env: Record<string, string>): Promise<{ r: NxRun; events: StandinEvent[] }> {
  rmSync(join(cw.root, 'results', pipeline), { recursive: true, force: true });
  for (const suffix of ['', '-wal', '-shm']) rmSync(cw.requestCacheFile + suffix, { force: true });
  const eventsBefore = cw.events().length;
  const r = await cw.evaluate(env, ['--skip-nx-cache'], pipeline);
  runs++;
  faults++;
  expect(await cw.waitClean(), `processes left after ${JSON.stringify(env)}`).toEqual([]);
  return { r, events: cw.events().slice(eventsBefore) };
}

function ok(r: NxRun, context: string): void {
  expectSuccess(r, context);
  completed++;
}

function clear(r: NxRun, message: RegExp, context: string): void {
  expectClearFailure(r, message, context);
  clearFailures++;
}

const metricsOf = (pipeline: string, dataset: string) => JSON.parse(readFileSync(join(cw.root, 'results', pipeline, 'qwen3-4b/chaos-' + (pipeline === 'gate' ? 'noretry' : 'timeout'), dataset, 'metrics.json'), 'utf8'));

describe('scenario 2: server faults end in a completed run or one clear message', () => {
  for (const after of [1, 8, 17]) {
    it(`the server crashes after ${after} request(s): restarted once, the run completes with the uninterrupted results`, async () => {
      const { r, events } = await faultRun('c', { STANDIN_CRASH_AFTER: String(after), STANDIN_CRASH_MARKER: join(cw.logDir, `crash-${after}`) });
      ok(r, `crash after ${after}`);
      expect(r.out).toMatch(/qwen3-4b: the server crashed \((exit code \d+|signal \w+|exited, status not yet known)\); starting it again \(restart 1 of 1\)/);
      expect(events.map((e) => e.event)).toEqual(['start', 'ready', 'crash', 'start', 'ready', 'stop']);
      const results = cw.results();
      if (JSON.stringify(results) !== JSON.stringify(reference)) lost++;
      expect(results).toEqual(reference);
    });
  }

  it('a server that crashes again after its restart: one clear message, nothing left running', async () => {
    const { r, events } = await faultRun('c', { STANDIN_CRASH_AFTER: '3' });
    clear(r, /qwen3-4b: the server crashed again after 1 restart\(s\) \(exit code 1\); giving up/, 'crash twice');
    expect(events.filter((e) => e.event === 'crash')).toHaveLength(2);
    // A cell the crash stopped has no result; one that finished before it has a complete one.
    for (const d of ['gsm8k', 'arc-easy']) {
      const file = join(cw.root, `results/c/qwen3-4b/chaos/${d}/metrics.json`);
      if (existsSync(file)) expect(JSON.parse(readFileSync(file, 'utf8')).complete).toBe(true);
      else expect(r.out).toMatch(new RegExp(`qwen3-4b/${d}: qwen3-4b: the server crashed again`));
    }
  });

  it('a server that never becomes healthy: a start timeout with the stage it was stuck in', async () => {
    const { r, events } = await faultRun('c', { STANDIN_NEVER_READY: '1', EVALGRAPH_SERVER_START_TIMEOUT_MS: '1500' });
    clear(r, /qwen3-4b: the server did not become ready: not ready after 2 s \(waiting for \/health\)/, 'never ready');
    expect(events.map((e) => e.event)).toEqual(['start', 'stop']);
  });

  it('a server that dies of CUDA out-of-memory while loading: the cause and the fix', async () => {
    const { r } = await faultRun('c', { STANDIN_LOG_OOM: '1' });
    clear(r, /qwen3-4b: the server did not become ready: .*out of memory/i, 'oom');
    expect(r.out).toMatch(/fix: /);
  });

  it('a server that answers only 503: the error-rate gate fails each cell and says why', async () => {
    const { r } = await faultRun('slow', { STANDIN_FAIL_RATE: '1' });
    clear(r, /qwen3-4b\/gsm8k: 4 of 4 samples \(100\.0%\) failed with server errors, above the pipeline's max_error_rate 5\.0%/, '503');
    expect(existsSync(join(cw.root, 'results/slow/qwen3-4b/chaos-timeout/gsm8k/metrics.json'))).toBe(false);
  });

  it('1 failed request in 25 (4%) is under the 5% gate: the cell completes and records it', async () => {
    const { r } = await faultRun('gate', { STANDIN_FAIL_RATE: '0.04' });
    ok(r, '4%');
    const m = metricsOf('gate', 'gsm8k');
    expect(m.error_rate).toBe(0.04);
    expect(m.outcomes.server_error).toBe(1);
    expect(m.requests.failed).toBe(1);
    const samples = readFileSync(join(cw.root, 'results/gate/qwen3-4b/chaos-noretry/gsm8k/samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples.filter((s) => s.outcome === 'server_error')).toHaveLength(1);
  });

  it('2 failed requests in 25 (8%) are over the 5% gate: the cell fails and says so', async () => {
    const { r } = await faultRun('gate', { STANDIN_FAIL_RATE: '0.08' });
    clear(r, /qwen3-4b\/gsm8k: 2 of 25 samples \(8\.0%\) failed with server errors, above the pipeline's max_error_rate 5\.0%/, '8%');
  });

  it('latency spikes past the request timeout are retried, counted, and the run completes', async () => {
    const { r } = await faultRun('slow', { STANDIN_SPIKE_EVERY: '2', STANDIN_SPIKE_MS: '1600' });
    ok(r, 'spikes');
    const m = metricsOf('slow', 'gsm8k');
    expect(m.requests.retried).toBe(2);
    expect(m.error_rate).toBe(0);
  });

  it('every answer slower than the request timeout: the gate fails the cell', async () => {
    const { r } = await faultRun('slow', { STANDIN_LATENCY_MS: '1600' });
    clear(r, /qwen3-4b\/gsm8k: 4 of 4 samples \(100\.0%\) failed with server errors/, 'all slow');
  });

  it('the port is taken when the server binds: one retry on a new port, and the run completes', async () => {
    const { r, events } = await faultRun('c', { STANDIN_PORT_TAKEN: '1', STANDIN_PORT_TAKEN_MARKER: join(cw.logDir, 'port-once') });
    ok(r, 'port once');
    expect(events.filter((e) => e.event === 'start')).toHaveLength(2);
    const results = cw.results();
    if (JSON.stringify(results) !== JSON.stringify(reference)) lost++;
    expect(results).toEqual(reference);
  });

  it('the port is taken on every try: one clear message naming the cause', async () => {
    const { r } = await faultRun('c', { STANDIN_PORT_TAKEN: '1' });
    clear(r, /qwen3-4b: the server did not become ready: .*(port|address already in use)/i, 'port always');
  });
});
