/**
 * The Slurm scheduler end to end: a real local one-node Slurm (Debian's slurm-wlm + munge, started with
 * `evalgraph slurm up --gpus 2`) and the stand-in vLLM as each job's `vllm`. Needs root and the packages of
 * `npm run setup -- --tests`; in CI (CI=true) their absence fails the test instead of skipping it.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlurmSettings } from '@evalgraph/core';
import { findExecutable, slurmSelfCancelBoundS } from '@evalgraph/inference';
import { DATA_MIRROR, REPO_ROOT, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';
import { slurmDown, slurmUp } from '../../tools/evalgraph-plugin/src/cli/slurm-cluster';
import { completeJsonLines } from '../helpers/json-lines';

const STANDIN_DIR = join(REPO_ROOT, 'libs/inference/test/fixtures/standin-vllm');
const MODELS = ['qwen3-4b', 'qwen3-8b', 'qwen3-14b', 'qwen2.5-7b-instruct', 'qwen2.5-14b-instruct', 'qwen-7b-chat'];
/** The heartbeat bound is short here; the default (120 s) suits real clusters. */
const HEARTBEAT_S = 4;
const GRACE_MS = 2000;
const pipeline = (limit: number, models: string[], datasets: string[], heartbeatS = HEARTBEAT_S) => `backend: vllm
gpu: h100-80gb
scheduler: slurm
slurm: { heartbeat_timeout_s: ${heartbeatS}, bind_host: 127.0.0.1, time_limit: "10:00" }
settings: { sample_limit: ${limit} }
models:
${models.map((m) => `  - model: ${m}`).join('\n')}
datasets: [${datasets.join(', ')}]
`;

const sbin = `${process.env.PATH}:/usr/sbin:/sbin`;
const missing = ['sbatch', 'squeue', 'sacct', 'slurmctld', 'slurmd', 'munged'].filter((b) => !findExecutable(b, sbin));
const notRoot = typeof process.getuid === 'function' && process.getuid() !== 0;
const unavailable = missing.length ? `missing ${missing.join(', ')} (npm run setup -- --tests)` : notRoot ? 'not root (the local Slurm needs root)' : null;
const inCi = process.env.CI === 'true';

interface Event { event: string; pid: number; model: string; time: number }
const jsonLines = completeJsonLines;

if (unavailable && inCi) {
  describe('Slurm scheduler', () => {
    it('has a local Slurm to run against', () => {
      throw new Error(`the Slurm tests cannot run in CI: ${unavailable}`);
    });
  });
}

describe.skipIf(unavailable !== null)('Slurm scheduler against a local two-GPU Slurm and the stand-in vLLM', () => {
  let ws: Scratch;
  let slurmEnvs: NodeJS.ProcessEnv;
  const events = () => join(ws.root, 'standin-events.jsonl');
  const requests = () => join(ws.root, 'standin-requests.jsonl');
  const standin = (extra: Record<string, string> = {}) => ({
    PATH: `${STANDIN_DIR}:${process.env.PATH}`,
    STANDIN_EVENT_LOG: events(),
    STANDIN_REQUEST_LOG: requests(),
    STANDIN_LOAD_DELAY_MS: '50',
    EVALGRAPH_SERVER_GRACE_MS: String(GRACE_MS),
    SLURM_CONF: join(ws.root, '.evalgraph/slurm/slurm.conf'),
    ...extra,
  });
  const slurm = (cmd: string, args: string[]) => spawnSync(cmd, args, { env: slurmEnvs, encoding: 'utf8' }).stdout.trim();
  const queue = () => slurm('squeue', ['-h', '-o', '%i %T']);

  beforeAll(async () => {
    ws = scratchWorkspace({
      pipelines: {
        six: pipeline(2, MODELS, ['gsm8k', 'arc-easy']),
        slow: pipeline(40, MODELS.slice(0, 2), ['gsm8k']),
        // A heartbeat far longer than the test: only scancel can end these jobs in time.
        interrupted: pipeline(40, MODELS.slice(2, 4), ['gsm8k'], 600),
        lost: pipeline(40, MODELS.slice(4, 6), ['gsm8k']),
      },
    });
    const lines: string[] = [];
    const code = await slurmUp(ws.root, { gpus: 2, log: (l) => lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    slurmEnvs = { ...process.env, PATH: sbin, SLURM_CONF: join(ws.root, '.evalgraph/slurm/slurm.conf') };
  });
  afterAll(async () => {
    if (ws) await slurmDown(ws.root, { log: () => undefined });
    ws?.dispose();
  });

  it('six models on two GPUs: one job per model, at most two servers at once, every job ended (sacct)', () => {
    const r = ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-six', '--outputStyle=static'], standin());
    expect(r.status, r.out).toBe(0);
    expect(r.out).toMatch(/Slurm job \d+ (pending in the queue|running on)/);

    // Each model's cells were answered by its own job, recorded in run.json.
    const jobOf = new Map<string, Set<string>>();
    for (const m of MODELS) {
      for (const d of ['gsm8k', 'arc-easy']) {
        const run = JSON.parse(ws.read(`results/six/${m}/balanced/${d}/run.json`));
        expect(run.server.slurm, `${m}/${d}`).toMatchObject({ job_id: expect.stringMatching(/^\d+$/), node: expect.any(String), gres: 'gpu:1' });
        expect(['0', '1']).toContain(run.server.slurm.gpus);
        expect(run.server.slurm.queue_wait_s).toBeGreaterThanOrEqual(0);
        jobOf.set(m, (jobOf.get(m) ?? new Set()).add(run.server.slurm.job_id));
      }
    }
    for (const m of MODELS) expect(jobOf.get(m)?.size, m).toBe(1);
    const jobs = [...jobOf.values()].map((s) => [...s][0]);
    expect(new Set(jobs).size).toBe(6);

    // One stand-in server per model, never more than two alive at the same time.
    const ev = jsonLines<Event>(events());
    const started = ev.filter((e) => e.event === 'start');
    expect(started.map((e) => e.model).sort()).toEqual([...MODELS].sort());
    const spans = started.map((s) => ({ start: s.time, stop: ev.find((e) => e.event === 'stop' && e.pid === s.pid)?.time ?? Infinity }));
    const maxAlive = Math.max(...spans.map((a) => spans.filter((b) => b.start <= a.start && b.stop > a.start).length));
    expect(maxAlive).toBe(2);
    for (const s of spans) expect(s.stop).toBeLessThan(Infinity);

    // Slurm's own record: every job finished or was cancelled, none is left in the queue.
    const sacct = slurm('sacct', ['-c', '-n', '-P', '-o', 'JobID,State']).split('\n').map((l) => l.split('|'));
    for (const id of jobs) expect(sacct.find(([j]) => j === id)?.[1], `job ${id}`).toMatch(/^(COMPLETED|CANCELLED)/);
    expect(queue()).toBe('');
  });

  /** Starts `nx run-many -t evaluate` of a pipeline in its own process group; resolves once both GPUs run a server that answered. */
  async function startRun(project: string, extra: Record<string, string> = {}) {
    const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', EVALGRAPH_DATA_MIRROR: DATA_MIRROR, ...standin({ STANDIN_LATENCY_MS: '1000', ...extra }) };
    const answeredBefore = jsonLines(requests()).length;
    // Jobs an earlier test left are not this run's: each test judges only the jobs its own run submitted.
    const before = new Set(queue().split('\n').filter(Boolean).map((l) => l.split(' ')[0]));
    const nx = spawn(process.execPath, [join(ws.root, 'node_modules/nx/dist/bin/nx.js'), 'run-many', '-t', 'evaluate', '-p', project, '--outputStyle=static'], { cwd: ws.root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    nx.stdout!.on('data', (d) => (out += d));
    nx.stderr!.on('data', (d) => (out += d));
    const exited = new Promise<{ code: number | null; out: string }>((r) => nx.on('exit', (code) => r({ code, out })));
    const deadline = Date.now() + 90_000;
    const ours = () => queue().split('\n').filter((l) => l && !before.has(l.split(' ')[0]));
    const running = () => ours().filter((l) => l.endsWith('RUNNING')).length;
    const answered = () => jsonLines<{ path: string; probe?: boolean }>(requests()).slice(answeredBefore).filter((l) => !l.probe).length;
    while ((running() < 2 || answered() === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(running()).toBe(2);
    const jobs = ours().map((l) => l.split(' ')[0]);
    return { pid: nx.pid!, exited, jobs, left: () => queue().split('\n').filter((l) => jobs.includes(l.split(' ')[0])) };
  }

  it('Ctrl-C of nx mid-run scancels the jobs at once (their heartbeat would keep them for 10 minutes)', async () => {
    const run = await startRun('pipeline-interrupted');
    process.kill(-run.pid, 'SIGINT');
    const t0 = Date.now();
    while (run.left().length && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 200));
    expect(run.left()).toEqual([]);
    await run.exited;
    const sacct = slurm('sacct', ['-c', '-n', '-P', '-o', 'JobID,State']).split('\n').map((l) => l.split('|'));
    for (const id of run.jobs) expect(sacct.find(([j]) => j === id)?.[1], `job ${id}`).toMatch(/^CANCELLED/);
  });

  it('SIGKILL of nx and its workers mid-run: the jobs cancel themselves within the heartbeat bound', async () => {
    // One kill reaches nx and the batch worker that keeps the heartbeat fresh: nobody is left to scancel.
    const run = await startRun('pipeline-slow');
    process.kill(-run.pid, 'SIGKILL');
    await run.exited;
    const killedAt = Date.now();
    // The job script's bound after the last heartbeat (the worker beat until the kill), plus Slurm's own bookkeeping.
    const boundMs = slurmSelfCancelBoundS(SlurmSettings.parse({ heartbeat_timeout_s: HEARTBEAT_S }), GRACE_MS) * 1000 + 3000;
    while (run.left().length && Date.now() - killedAt < boundMs + 10_000) await new Promise((r) => setTimeout(r, 200));
    const tookMs = Date.now() - killedAt;
    expect(run.left()).toEqual([]);
    expect(tookMs).toBeLessThanOrEqual(boundMs);
  });

  it('a job that ends under the run (node failure, scancel by an admin): the model gets a new job and its cells complete', async () => {
    // A pretend GPU answers the 40 requests one after another (~0.25 s each): the cancelled job's cell is mid-way.
    const run = await startRun('pipeline-lost', { STANDIN_GPU_TOK_S: '1500' });
    const [lost] = run.jobs;
    spawnSync('scancel', [lost], { env: slurmEnvs });
    const { code, out } = await run.exited;
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toMatch(new RegExp(`the server crashed \\(Slurm job ${lost} ended \\((CANCELLED[^)]*|no longer known to Slurm)\\)\\); starting it again \\(restart 1 of 1\\)`));
    const jobs = MODELS.slice(4, 6).map((m) => JSON.parse(ws.read(`results/lost/${m}/balanced/gsm8k/run.json`)).server.slurm.job_id as string);
    expect(jobs).not.toContain(lost); // the cell that lost its server finished on the replacement
    expect(run.left()).toEqual([]);
    expect(queue()).toBe('');
    const sacct = slurm('sacct', ['-c', '-n', '-P', '-o', 'JobID,State']).split('\n').map((l) => l.split('|'));
    expect(sacct.find(([j]) => j === lost)?.[1]).toMatch(/^CANCELLED/);
  });
});
