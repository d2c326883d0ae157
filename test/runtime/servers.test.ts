import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, DATA_MIRROR, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';
import { completeJsonLines } from '../helpers/json-lines';

const STANDIN_DIR = join(REPO_ROOT, 'libs/inference/test/fixtures/standin-vllm');

const PIPELINE = `backend: vllm
gpu: h100-80gb
settings: { sample_limit: 3 }
models:
  - model: qwen3-4b
  - model: qwen3-8b
  - model: qwen2.5-7b-instruct
datasets: [gsm8k, arc-easy, math500, ifeval]
`;
const MODES = `backend: vllm
settings: { sample_limit: 2 }
models:
  - { model: qwen3-4b, id: think, mode: thinking }
  - { model: qwen3-4b, id: nothink, mode: non-thinking }
datasets: [gsm8k]
`;
const SLOW = `backend: vllm
settings: { sample_limit: 120 }
models:
  - model: qwen3-8b
datasets: [gsm8k, math500]
`;

interface Event { event: string; pid: number; model: string; time: number }
let ws: Scratch;
const eventsFile = () => join(ws.root, 'standin-events.jsonl');
const requestsFile = () => join(ws.root, 'standin-requests.jsonl');
const lines = completeJsonLines;
const standinEnv = (extra: Record<string, string> = {}) => ({
  PATH: `${STANDIN_DIR}:${process.env.PATH}`,
  STANDIN_EVENT_LOG: eventsFile(),
  STANDIN_REQUEST_LOG: requestsFile(),
  STANDIN_LOAD_DELAY_MS: '50',
  EVALGRAPH_WATCHDOG_GRACE_MS: '1500',
  ...extra,
});
const evaluate = (project: string, extra: Record<string, string> = {}, ...args: string[]) =>
  ws.nx(['run-many', '-t', 'evaluate', '-p', project, '--outputStyle=static', ...args], standinEnv(extra));

/** Processes of the stand-in or its watchdog still alive anywhere on the machine (from this workspace). */
/** Whether a process was started for this file's workspace: other test files run stand-ins of their own meanwhile. */
function ofThisWorkspace(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(eventsFile());
  } catch {
    return false; // gone already
  }
}
function leftovers(): string[] {
  const ps = execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' });
  return ps.split('\n').filter((l) => (l.includes(STANDIN_DIR) && ofThisWorkspace(Number(l.trim().split(/\s+/)[0]))) || (l.includes('evalgraph-watchdog') && l.includes(ws.root)));
}
/** The Nx batch worker under `nxPid` (not another test file's). */
function batchWorkerOf(nxPid: number): number | undefined {
  const rows = execFileSync('ps', ['-eo', 'pid,ppid,args'], { encoding: 'utf8' })
    .split('\n')
    .slice(1)
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3] }));
  const mine = new Set([nxPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (mine.has(r.pid) || !mine.has(r.ppid)) continue;
      mine.add(r.pid);
      grew = true;
    }
  }
  return rows.find((r) => mine.has(r.pid) && r.args.includes('run-batch'))?.pid;
}
async function waitNoLeftovers(ms = 8000): Promise<string[]> {
  const end = Date.now() + ms;
  while (Date.now() < end && leftovers().length) await new Promise((r) => setTimeout(r, 200));
  return leftovers();
}
const starts = () => lines<Event>(eventsFile()).filter((e) => e.event === 'start');
const scoresOf = (rel: string) =>
  readFileSync(join(ws.root, rel), 'utf8').trim().split('\n').map((l) => {
    const s = JSON.parse(l);
    return { id: s.id, response: s.response, score: s.score, outcome: s.outcome };
  });

describe('vLLM runtime through Nx, against the stand-in vLLM', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { rt: PIPELINE, modes: MODES, slow: SLOW } });
  });
  afterAll(() => ws?.dispose());

  it('3 models × 4 datasets start exactly 3 servers, one at a time (they do not fit together), also with --parallel=4', async () => {
    const r = evaluate('pipeline-rt', {}, '--parallel=4');
    expect(r.status, r.out).toBe(0);
    const ev = lines<Event>(eventsFile());
    const st = ev.filter((e) => e.event === 'start');
    expect(st.map((e) => e.model).sort()).toEqual(['qwen2.5-7b-instruct', 'qwen3-4b', 'qwen3-8b']);
    // Never two alive at once: each server stopped before the next started.
    const byPid = new Map(st.map((e) => [e.pid, { start: e.time, stop: ev.find((x) => x.event === 'stop' && x.pid === e.pid)?.time ?? Infinity }]));
    const spans = [...byPid.values()].sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) expect(spans[i].start).toBeGreaterThanOrEqual(spans[i - 1].stop);
    const run = JSON.parse(ws.read('results/rt/qwen3-8b/balanced/gsm8k/run.json'));
    expect(run.server.kind).toMatch(/standin/);
    expect(run.server.kind).not.toBe('vllm');
    expect(await waitNoLeftovers()).toEqual([]);
  });

  it('the fully cached re-run starts no server', () => {
    const before = starts().length;
    const r = evaluate('pipeline-rt', {}, '--parallel=4');
    expect(r.status, r.out).toBe(0);
    expect(starts().length).toBe(before);
  });

  it('thinking and non-thinking requests carry the documented sampling and chat_template_kwargs', () => {
    rmSync(requestsFile(), { force: true });
    // The non-thinking gsm8k bodies were answered in the first test; they must reach the server again here.
    rmSync(join(ws.root, '.evalgraph/request-cache.sqlite'), { force: true });
    const r = evaluate('pipeline-modes');
    expect(r.status, r.out).toBe(0);
    const bodies = lines<{ path: string; probe: boolean; body: Record<string, unknown> }>(requestsFile()).filter((l) => l.path === '/v1/chat/completions' && !l.probe);
    const think = bodies.filter((b) => (b.body.chat_template_kwargs as { enable_thinking?: boolean })?.enable_thinking === true);
    const nothink = bodies.filter((b) => (b.body.chat_template_kwargs as { enable_thinking?: boolean })?.enable_thinking === false);
    expect(think.length).toBeGreaterThan(0);
    expect(nothink.length).toBeGreaterThan(0);
    for (const b of think) expect(b.body).toMatchObject({ temperature: 0.6, top_p: 0.95, top_k: 20, min_p: 0 });
    for (const b of nothink) expect(b.body).toMatchObject({ temperature: 0.7, top_p: 0.8, top_k: 20, min_p: 0 });
  });

  it('10% of requests answered 503: the run completes with the same scores', () => {
    const clean = scoresOf('results/rt/qwen3-8b/balanced/gsm8k/samples.jsonl');
    rmSync(join(ws.root, '.evalgraph/request-cache.sqlite'), { force: true });
    const r = evaluate('pipeline-rt', { STANDIN_FAIL_RATE: '0.1' }, '--skip-nx-cache');
    expect(r.status, r.out).toBe(0);
    expect(scoresOf('results/rt/qwen3-8b/balanced/gsm8k/samples.jsonl')).toEqual(clean);
    expect(JSON.parse(ws.read('results/rt/qwen3-8b/balanced/gsm8k/metrics.json')).error_rate).toBe(0);
  });

  it('a server that crashes mid-cell is restarted once and the cell completes with the same scores', () => {
    const clean = scoresOf('results/rt/qwen3-4b/balanced/math500/samples.jsonl');
    rmSync(join(ws.root, '.evalgraph/request-cache.sqlite'), { force: true });
    const before = lines<Event>(eventsFile()).length;
    const r = evaluate('pipeline-rt', { STANDIN_CRASH_AFTER: '4', STANDIN_CRASH_MARKER: join(ws.root, 'crashed-once') }, '--skip-nx-cache');
    expect(r.status, r.out).toBe(0);
    const ev = lines<Event>(eventsFile()).slice(before);
    expect(ev.filter((e) => e.event === 'crash')).toHaveLength(1);
    expect(ev.filter((e) => e.event === 'start')).toHaveLength(4);
    expect(scoresOf('results/rt/qwen3-4b/balanced/math500/samples.jsonl')).toEqual(clean);
  });

  it('SIGKILL of the task mid-cell, then a re-run: finished requests are not sent again; results equal an uninterrupted run', async () => {
    rmSync(requestsFile(), { force: true });
    const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', EVALGRAPH_DATA_MIRROR: DATA_MIRROR, ...standinEnv({ STANDIN_LATENCY_MS: '1000' }) };
    const nx = spawn(process.execPath, [join(ws.root, 'node_modules/nx/dist/bin/nx.js'), 'run-many', '-t', 'evaluate', '-p', 'pipeline-slow', '--outputStyle=static'], { cwd: ws.root, env, stdio: 'ignore' });
    const exited = new Promise<void>((r) => nx.on('exit', () => r()));
    const gen = () => lines<{ path: string; time: number }>(requestsFile()).filter((l) => l.path === '/v1/chat/completions');
    const deadline = Date.now() + 60_000;
    // Up to 64 requests are in flight (the preset's concurrency), each answered after 1 s.
    while (gen().length < 140 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(gen().length).toBeGreaterThanOrEqual(140);
    const batch = batchWorkerOf(nx.pid!);
    expect(batch, 'the batch task process').toBeDefined();
    const killedAt = Date.now();
    process.kill(batch!, 'SIGKILL');
    await exited;
    expect(await waitNoLeftovers()).toEqual([]);
    // Requests answered well before the kill were cached; none of them may be sent again.
    const answered = new Set(lines<{ path: string; time: number; body: unknown }>(requestsFile()).filter((l) => l.path === '/v1/chat/completions' && l.time < killedAt - 1500).map((l) => JSON.stringify(l.body)));
    expect(answered.size).toBeGreaterThan(5);
    rmSync(requestsFile(), { force: true });
    const r = evaluate('pipeline-slow');
    expect(r.status, r.out).toBe(0);
    const resent = lines<{ path: string; body: unknown }>(requestsFile()).filter((l) => l.path === '/v1/chat/completions' && answered.has(JSON.stringify(l.body)));
    expect(resent).toEqual([]);
    const resumed = [scoresOf('results/slow/qwen3-8b/balanced/gsm8k/samples.jsonl'), scoresOf('results/slow/qwen3-8b/balanced/math500/samples.jsonl')];
    rmSync(join(ws.root, '.evalgraph/request-cache.sqlite'), { force: true });
    const clean = evaluate('pipeline-slow', {}, '--skip-nx-cache');
    expect(clean.status, clean.out).toBe(0);
    expect([scoresOf('results/slow/qwen3-8b/balanced/gsm8k/samples.jsonl'), scoresOf('results/slow/qwen3-8b/balanced/math500/samples.jsonl')]).toEqual(resumed);
  });

  for (const [name, extra] of [
    ['Ctrl-C (SIGINT) of nx leaves no process behind', {}],
    ['SIGTERM of nx with a stand-in that ignores SIGTERM: still gone after the grace period', { STANDIN_IGNORE_SIGTERM: '1' }],
  ] as const) {
    it(name, async () => {
      rmSync(requestsFile(), { force: true });
      const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', EVALGRAPH_DATA_MIRROR: DATA_MIRROR, ...standinEnv({ STANDIN_LATENCY_MS: '200', ...extra }) };
      const nx = spawn(process.execPath, [join(ws.root, 'node_modules/nx/dist/bin/nx.js'), 'run-many', '-t', 'evaluate', '-p', 'pipeline-slow', '--outputStyle=static', '--skip-nx-cache'], { cwd: ws.root, env, stdio: 'ignore' });
      const exited = new Promise<void>((r) => nx.on('exit', () => r()));
      rmSync(join(ws.root, '.evalgraph/request-cache.sqlite'), { force: true });
      const deadline = Date.now() + 60_000;
      while (lines(requestsFile()).length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(leftovers().length).toBeGreaterThan(0);
      nx.kill('SIGINT' in extra ? 'SIGINT' : Object.keys(extra).length ? 'SIGTERM' : 'SIGINT');
      await exited;
      expect(await waitNoLeftovers(10_000)).toEqual([]);
    });
  }
});
