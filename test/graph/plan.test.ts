import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../tools/evalgraph-plugin/src/cli/plan/build-plan';
import { REPO_ROOT, DATA_MIRROR, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

const STANDIN_DIR = join(REPO_ROOT, 'libs/inference/test/fixtures/standin-vllm');
// One request at a time per cell and a fixed stand-in latency, so a cell's GPU time is about records × latency.
const LATENCY_MS = 250;
const PIPELINE = `backend: vllm
gpu: h100-80gb
preset: plan-serial
settings: { sample_limit: 6 }
models:
  - model: qwen3-4b
  - model: qwen3-8b
datasets: [gsm8k, math500]
`;

let ws: Scratch;
const requestsFile = () => join(ws.root, 'standin-requests.jsonl');
const env = () => ({
  PATH: `${STANDIN_DIR}:${process.env.PATH}`,
  STANDIN_REQUEST_LOG: requestsFile(),
  STANDIN_LOAD_DELAY_MS: '50',
  STANDIN_LATENCY_MS: String(LATENCY_MS),
  EVALGRAPH_WATCHDOG_GRACE_MS: '1500',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  CI: 'true',
  EVALGRAPH_DATA_MIRROR: DATA_MIRROR,
});
const evaluate = (...args: string[]) => ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-plan', '--outputStyle=static', ...args], env());

function plan(...args: string[]): Plan {
  const r = spawnSync(process.execPath, [join(ws.root, 'tools/evalgraph-plugin/bin/evalgraph.js'), 'plan', '--json', 'run-many', '-t', 'evaluate', '-p', 'pipeline-plan', ...args], {
    cwd: ws.root,
    encoding: 'utf8',
    env: { ...process.env, ...env() },
  });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Plan;
}

/** Seconds the stand-in servers spent answering: per server process, first request received to last answer sent. */
function standinBusySeconds(): number {
  const byPid = new Map<number, number[]>();
  for (const l of readFileSync(requestsFile(), 'utf8').split('\n').filter(Boolean)) {
    const r = JSON.parse(l) as { pid: number; time: number; probe: boolean; path: string };
    if (r.probe || !/completions/.test(r.path)) continue;
    byPid.set(r.pid, [...(byPid.get(r.pid) ?? []), r.time]);
  }
  return [...byPid.values()].reduce((a, t) => a + (Math.max(...t) + LATENCY_MS - Math.min(...t)) / 1000, 0);
}

const cellsOf = (p: Plan) => p.executes.map((e) => e.task).sort();
const oneGpuSeconds = (p: Plan) => p.gpuTime.reduce((a, g) => a + g.oneGpuS, 0);

describe('evalgraph plan against real nx runs (stand-in vLLM)', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { plan: PIPELINE } });
    const serial = ws.read('configs/presets/balanced.yaml').replace(/^concurrency: \d+$/m, 'concurrency: 1');
    expect(serial).toMatch(/^concurrency: 1$/m);
    writeFileSync(join(ws.root, 'configs/presets/plan-serial.yaml'), serial);
  });
  afterAll(() => ws?.dispose());

  it('plans nothing once every cell is cached', () => {
    const r = evaluate();
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toHaveLength(4);

    const cached = plan();
    expect(cached.cells).toEqual({ total: 4, run: 0, cached: 4, fromRemoteCache: 0 });
    expect(cached.executes).toEqual([]);
    expect(cached.servers).toEqual([]);
    expect(oneGpuSeconds(cached)).toBe(0);
  });

  it('after one dataset edit names exactly that dataset’s cells, each model’s server, and predicts from their last run', () => {
    const file = 'configs/datasets/math500/dataset.yaml';
    const original = ws.read(file);
    ws.edit(file, (t) => `${t}\n# edited by the plan test\n`);
    try {
      const p = plan();
      expect(cellsOf(p)).toEqual(['cell-plan--qwen3-4b--math500:evaluate', 'cell-plan--qwen3-8b--math500:evaluate']);
      expect(p.servers.map((s) => [s.model, s.cells])).toEqual([['qwen3-4b', 1], ['qwen3-8b', 1]]);
      for (const e of p.executes) {
        expect(e.why).toMatch(/^runs after dataset-math500:prepare/);
        expect(e.estimate.source).toBe('measured');
      }
      expect(p.otherTasks.run.map((t) => t.task)).toContain('dataset-math500:prepare');
      expect(p.otherTasks.run.map((t) => t.task)).not.toContain('dataset-gsm8k:prepare');
    } finally {
      writeFileSync(join(ws.root, file), original);
    }
  });

  it('predicts the GPU time of a re-run of the measured cells within 20% of the stand-in’s measured time', () => {
    // Force a re-run that sends every request again: no Nx cache, no request cache.
    rmSync(join(ws.root, '.evalgraph/request-cache.sqlite'), { force: true });
    const p = plan('--skip-nx-cache');
    expect(p.cells.run).toBe(4);
    for (const e of p.executes) expect(e.estimate.source, e.estimate.basis).toBe('measured');
    const predicted = oneGpuSeconds(p);

    rmSync(requestsFile(), { force: true });
    const r = evaluate('--skip-nx-cache');
    expect(r.status, r.out).toBe(0);
    expect(existsSync(requestsFile())).toBe(true);
    const measured = standinBusySeconds();
    console.log(`evalgraph plan: predicted ${predicted.toFixed(2)} GPU s for the re-run, the stand-in measured ${measured.toFixed(2)} s`);
    // 4 cells × 6 requests × 250 ms, two cells at a time on each model's server: about 3 s in all.
    expect(measured).toBeGreaterThan(2);
    expect(Math.abs(predicted - measured) / measured, `predicted ${predicted.toFixed(2)} s, measured ${measured.toFixed(2)} s`).toBeLessThanOrEqual(0.2);
  });
});
