import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, DATA_MIRROR, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';
import { completeJsonLines } from '../helpers/json-lines';

// Two concurrent `nx run-many` on one 8-GPU host (fake nvidia-smi, stand-in vLLM): the six large-scale models in
// one run, a tensor-parallel-2 model in the other. 6 + 2 GPUs: all seven servers fit at once, on distinct GPUs.
const STANDIN_DIR = join(REPO_ROOT, 'libs/inference/test/fixtures/standin-vllm');
const FAKE_SMI = join(REPO_ROOT, 'libs/inference/test/fixtures/fake-nvidia-smi/nvidia-smi');
const SIX = ['qwen3-8b', 'qwen3-14b', 'qwen2.5-7b-instruct', 'qwen2.5-14b-instruct', 'qwen-7b-chat', 'qwen-14b-chat'];
const pipeline = (models: string[], samples = 2) => `backend: vllm
gpu: h100-80gb-x8
settings: { sample_limit: ${samples} }
models:
${models.map((m) => `  - model: ${m}`).join('\n')}
datasets: [gsm8k]
`;

interface StartEvent { event: string; pid: number; model: string; time: number; cuda_visible_devices: string | null; cuda_device_order: string | null; tensor_parallel_size: number }
let ws: Scratch;
const events = (): StartEvent[] => {
  const f = join(ws.root, 'standin-events.jsonl');
  return completeJsonLines<StartEvent>(f);
};
/** Whether a stand-in was started for this file's workspace: other test files run stand-ins of their own meanwhile. */
const ofThisWorkspace = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').includes(ws.root);
  } catch {
    return false; // gone already
  }
};
const leftovers = () =>
  execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => (l.includes(STANDIN_DIR) && ofThisWorkspace(Number(l.trim().split(/\s+/)[0]))) || (l.includes('evalgraph-watchdog') && l.includes(ws.root)));

/** The 8-GPU host: fake nvidia-smi, stand-in vLLM first on PATH, its start events logged in the workspace. */
const hostEnv = () => ({
  PATH: `${STANDIN_DIR}:${process.env.PATH}`,
  EVALGRAPH_NVIDIA_SMI: FAKE_SMI,
  FAKE_SMI_GPUS: '8',
  FAKE_SMI_FILTER: STANDIN_DIR,
  STANDIN_EVENT_LOG: join(ws.root, 'standin-events.jsonl'),
});

function nxRun(project: string, env: Record<string, string>): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const child = spawn(process.execPath, [join(ws.root, 'node_modules/nx/dist/bin/nx.js'), 'run-many', '-t', 'evaluate', '-p', project, '--outputStyle=static'], {
    cwd: ws.root,
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', CI: 'true', EVALGRAPH_DATA_MIRROR: DATA_MIRROR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, done: new Promise((r) => child.on('exit', (code) => r({ code, out }))) };
}

describe('several GPUs on one host (fake nvidia-smi with 8 GPUs, stand-in vLLM)', () => {
  beforeAll(() => {
    // visible: a third sample, so its cells are not all answered by the request cache the six models filled.
    const visible = pipeline(['qwen3-8b', 'qwen-7b-chat', 'qwen2.5-7b-instruct'], 3);
    ws = scratchWorkspace({ pipelines: { six: pipeline(SIX), tp: pipeline(['qwen3-8b-tp2']), visible, hidden: pipeline(['qwen3-14b']) } });
    cpSync(join(ws.root, 'configs/models/qwen3-8b'), join(ws.root, 'configs/models/qwen3-8b-tp2'), { recursive: true });
    ws.edit('configs/models/qwen3-8b-tp2/model.yaml', (s) => `${s}\nvllm_args:\n  tensor_parallel_size: 2\n`);
    ws.commit('a tensor-parallel-2 model');
  });
  afterAll(() => ws?.dispose());

  it('two concurrent nx runs: six models at once on distinct GPUs, the TP-2 model on two more, none shared', async () => {
    const hold = join(ws.root, 'go');
    const env = {
      ...hostEnv(),
      STANDIN_LOAD_DELAY_MS: '50',
      // Servers answer no generation request until every one of the seven is up: proof they ran at once.
      STANDIN_HOLD_FILE: hold,
      EVALGRAPH_WATCHDOG_GRACE_MS: '1500',
    };
    const runs = [nxRun('pipeline-six', env), nxRun('pipeline-tp', env)];
    try {
      const deadline = Date.now() + 150_000;
      const ready = () => events().filter((e) => e.event === 'ready').length;
      while (ready() < 7 && Date.now() < deadline && runs.every((r) => r.child.exitCode === null)) await new Promise((r) => setTimeout(r, 200));
      const early = runs.find((r) => r.child.exitCode !== null);
      if (early) expect.fail(`a run ended before all seven servers were ready (exit ${early.child.exitCode}):\n${(await early.done).out.slice(-4000)}`);
      expect(ready(), 'seven servers ready before any answered a request').toBe(7);
      writeFileSync(hold, '');
      const results = await Promise.all(runs.map((r) => r.done));
      for (const r of results) expect(r.code, r.out.slice(-3000)).toBe(0);
    } finally {
      writeFileSync(hold, '');
      for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGTERM');
    }
    const starts = events().filter((e) => e.event === 'start');
    expect(starts.map((e) => e.model).sort()).toEqual([...SIX, 'qwen3-8b-tp2'].sort());
    const devices = new Map(starts.map((e) => [e.model, (e.cuda_visible_devices ?? '').split(',').filter(Boolean).map(Number)]));
    for (const m of SIX) expect(devices.get(m), m).toHaveLength(1);
    const tp = starts.find((e) => e.model === 'qwen3-8b-tp2')!;
    expect(devices.get('qwen3-8b-tp2')).toHaveLength(2);
    expect(tp.tensor_parallel_size).toBe(2);
    // Seven servers alive together on 8 GPUs, each claiming 0.85 of a GPU: only disjoint GPUs keep every GPU within its memory.
    const all = [...devices.values()].flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((d) => d >= 0 && d < 8)).toBe(true);
    expect(JSON.parse(ws.read('results/tp/qwen3-8b-tp2/balanced/gsm8k/run.json')).server.kind).toMatch(/standin/);
    const end = Date.now() + 8000;
    while (leftovers().length && Date.now() < end) await new Promise((r) => setTimeout(r, 200));
    expect(leftovers()).toEqual([]);
  });

  it('CUDA_VISIBLE_DEVICES=5,6: servers go only on GPU 5 and 6 (nvidia-smi indices, PCI bus order); three models share those two', async () => {
    const before = events().length;
    const env = { ...hostEnv(), CUDA_VISIBLE_DEVICES: '5,6' };
    const run = nxRun('pipeline-visible', env);
    const { code, out } = await run.done;
    expect(code, out.slice(-3000)).toBe(0);
    expect(out).toContain('(CUDA_VISIBLE_DEVICES: GPU 5, 6 of 8)');
    const starts = events().slice(before).filter((e) => e.event === 'start');
    expect(starts.map((e) => e.model).sort()).toEqual(['qwen-7b-chat', 'qwen2.5-7b-instruct', 'qwen3-8b']);
    for (const e of starts) {
      expect(['5', '6'], e.model).toContain(e.cuda_visible_devices);
      expect(e.cuda_device_order, e.model).toBe('PCI_BUS_ID');
    }
    // run.json records them, and the memory gate divides by their memory (nvidia-smi's, not the profile's).
    const runs = readdirSync(join(ws.root, 'results/visible'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('run.json'));
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const placed = runs.map((f) => JSON.parse(ws.read(`results/visible/${f}`)).server.gpus).filter(Boolean);
    expect(placed.length).toBeGreaterThan(0); // cells answered wholly from the request cache started no server
    for (const g of placed) expect([{ devices: [5], name: 'NVIDIA H100 80GB HBM3', memory_gib: 79.65 }, { devices: [6], name: 'NVIDIA H100 80GB HBM3', memory_gib: 79.65 }]).toContainEqual(g);
  });

  it('a CUDA_VISIBLE_DEVICES naming no GPU fails the cells with one error naming it, and starts no server', async () => {
    const before = events().length;
    const env = { ...hostEnv(), CUDA_VISIBLE_DEVICES: '9' };
    const { code, out } = await nxRun('pipeline-hidden', env).done;
    expect(code).toBe(1);
    expect(out).toContain('CUDA_VISIBLE_DEVICES=9 names "9", which is no GPU nvidia-smi lists');
    expect(events().slice(before)).toEqual([]);
  });
});
