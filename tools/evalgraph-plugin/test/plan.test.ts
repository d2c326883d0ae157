import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ProjectGraph, TaskGraph } from '@nx/devkit';
import type { MeasuredCost } from '@evalgraph/analysis';
import { nxInternals } from '../src/cli/plan/nx-internals';
import { checkPlanArgs, PlanUsageError } from '../src/cli/plan/task-selection';
import { cacheFlags, waves, type TaskFate } from '../src/cli/plan/cache-status';
import { buildPlan } from '../src/cli/plan/build-plan';
import { formatPlan } from '../src/cli/plan/format-plan';
import type { CellOptions } from '../src/nodes/pipeline-project';

const REPO = resolve(__dirname, '../../..');

describe('evalgraph plan: the Nx internals it needs', () => {
  // Nx has no public API for "which tasks would miss the cache"; nx-internals.ts takes the hasher, the per-task
  // environment and the cache lookup from nx/src. This fails, naming what moved, when an Nx upgrade changes them.
  it('are all present in the installed Nx, in the shape the plan calls', () => {
    const nx = nxInternals();
    for (const f of ['createTaskHasher', 'taskEnv', 'openCache', 'readNxJson', 'loadRootEnvFiles'] as const) expect(typeof nx[f], f).toBe('function');
    const nxJson = nx.readNxJson(REPO);
    expect(nxJson.cacheDirectory).toBe('.nx/cache');
    const cacheModule = require('nx/src/tasks-runner/cache') as { DbCache: { prototype: Record<string, unknown> } };
    for (const m of ['init', 'getBatch', 'copyFilesFromCache']) expect(typeof cacheModule.DbCache.prototype[m], `DbCache.${m}`).toBe('function');
  });
});

describe('evalgraph plan: arguments and cache flags', () => {
  it('takes the arguments of nx run-many or nx affected, and refuses options that would not run', () => {
    expect(() => checkPlanArgs(['run-many', '-t', 'evaluate'])).not.toThrow();
    expect(() => checkPlanArgs(['affected', '-t', 'evaluate', '--base=HEAD~1'])).not.toThrow();
    expect(() => checkPlanArgs([])).toThrow(PlanUsageError);
    expect(() => checkPlanArgs(['run', 'pipeline-smoke:evaluate'])).toThrow(/run-many.*affected.*found "run"/);
    expect(() => checkPlanArgs(['run-many', '-t', 'evaluate', '--graph=x.html'])).toThrow(/--graph/);
  });

  it("reads the cache options Nx reads: its flags and environment variables", () => {
    expect(cacheFlags(['run-many', '-t', 'evaluate'], {})).toEqual({ skipNxCache: false, skipRemoteCache: false, parallel: 3 });
    expect(cacheFlags(['--skip-nx-cache', '--parallel=8'], {})).toMatchObject({ skipNxCache: true, parallel: 8 });
    expect(cacheFlags([], { NX_SKIP_NX_CACHE: 'true', NX_SKIP_REMOTE_CACHE: 'true' })).toMatchObject({ skipNxCache: true, skipRemoteCache: true });
  });

  it('orders tasks in waves after the tasks they depend on', () => {
    const g = graph(['p:prepare', 'c1:evaluate', 'c2:evaluate', 'pipe:evaluate'], { 'c1:evaluate': ['p:prepare'], 'c2:evaluate': ['p:prepare'], 'pipe:evaluate': ['c1:evaluate', 'c2:evaluate'] });
    expect(waves(g)).toEqual([['p:prepare'], ['c1:evaluate', 'c2:evaluate'], ['pipe:evaluate']]);
    expect(() => waves(graph(['a:t', 'b:t'], { 'a:t': ['b:t'], 'b:t': ['a:t'] }))).toThrow(/cycle/);
  });
});

describe('evalgraph plan: cells, servers and GPU time', () => {
  const root = mkdtempSync(join(tmpdir(), 'evalgraph-plan-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'configs/gpus'), { recursive: true });
  writeFileSync(join(root, 'configs/gpus/h100x2.yaml'), readFileSync(join(REPO, 'configs/gpus/h100-80gb.yaml'), 'utf8').replace(/^count: 1$/m, 'count: 2'));

  const opts = (model: string, dataset: string, backend: CellOptions['backend'] = 'vllm'): CellOptions => ({
    pipeline: 'p', cell: `${model}/${dataset}`, variant: model, model, mode: 'non-thinking', preset: 'balanced', dataset, gpu: 'h100x2', backend, englishOnly: false, sampleLimit: 10, maxErrorRate: 0.05, resultsDir: `results/p/${model}/balanced/${dataset}`,
  });
  const cells = [opts('qwen3-8b', 'gsm8k'), opts('qwen3-8b', 'math500'), opts('qwen3-14b', 'gsm8k'), opts('qwen3-4b', 'gsm8k'), opts('qwen3-8b', 'ifeval', 'dummy')];
  const id = (o: CellOptions) => `cell-${o.variant}--${o.dataset}:evaluate`;
  const projectGraph = {
    nodes: Object.fromEntries([
      ...cells.map((o) => [id(o).split(':')[0], { name: id(o).split(':')[0], type: 'app', data: { root: '.', targets: { evaluate: { executor: '@evalgraph/plugin:evaluate', options: o } } } }]),
      ['dataset-gsm8k', { name: 'dataset-gsm8k', type: 'lib', data: { root: '.', targets: { prepare: { executor: '@evalgraph/plugin:prepare', options: {} } } } }],
    ]),
    dependencies: {},
  } as unknown as ProjectGraph;
  const g = graph(['dataset-gsm8k:prepare', ...cells.map(id)], {});
  // Measured: 4 s a request for qwen3-8b on gsm8k (10 records, all sent) and 2 s a request for qwen3-14b.
  const measured = (model: string, gpuS: number): MeasuredCost => ({ gpuS, sent: 10, requests: 10, records: 10, samplesPerTask: 1, model, backend: 'vllm', finishedAt: '2026-01-01T00:00:00.000Z' });
  const costs = new Map<string, MeasuredCost>([
    ['results/p/qwen3-8b/balanced/gsm8k', measured('qwen3-8b', 40)],
    ['results/other/qwen3-14b/balanced/gsm8k', measured('qwen3-14b', 20)],
  ]);
  const fates = new Map<string, TaskFate>([
    ['dataset-gsm8k:prepare', { task: 'dataset-gsm8k:prepare', fate: 'cached', hash: 'h0', remote: false }],
    ...cells.map((o): [string, TaskFate] => [id(o), o.dataset === 'math500' ? { task: id(o), fate: 'cached', hash: 'h1', remote: true } : { task: id(o), fate: 'runs', hash: `h-${o.model}`, why: 'cache miss' }]),
  ]);

  it('lists the cells that miss, one server per model with a miss, and predicts from measured runs first', () => {
    const p = buildPlan(root, ['run-many', '-t', 'evaluate'], g, projectGraph, fates, costs);
    expect(p.cells).toEqual({ total: 5, run: 4, cached: 1, fromRemoteCache: 1 });
    expect(p.executes.map((e) => [e.task, e.estimate.source])).toEqual([
      ['cell-qwen3-14b--gsm8k:evaluate', 'measured elsewhere'],
      ['cell-qwen3-4b--gsm8k:evaluate', 'none'],
      ['cell-qwen3-8b--gsm8k:evaluate', 'measured'],
      ['cell-qwen3-8b--ifeval:evaluate', 'no GPU'],
    ]);
    expect(p.executes.find((e) => e.model === 'qwen3-8b' && e.dataset === 'gsm8k')!.estimate.gpuS).toBeCloseTo(40);
    // The dummy cell runs in-process: no server. qwen3-4b has no history and no prepared data here: no estimate.
    expect(p.servers.map((s) => [s.model, s.cells, s.gpuS])).toEqual([['qwen3-14b', 1, 20], ['qwen3-4b', 1, null], ['qwen3-8b', 1, 40]]);
    expect(p.gpuTime).toEqual([{ profile: 'h100x2', gpus: 2, servers: 3, cells: 3, oneGpuS: 60, profileGpusS: 40, cellsWithoutEstimate: 1 }]);
    expect(p.otherTasks).toEqual({ run: [], cached: 1 });

    const text = formatPlan(p);
    expect(text).toMatch(/^cells: 4 of 5 would run, 1 restored from the Nx cache \(1 of them from the remote cache\)$/m);
    expect(text).toMatch(/^ {2}vLLM server qwen3-8b \(balanced, h100x2\): 1 cell, ~40\.0 s GPU$/m);
    expect(text).toMatch(/^GPU time on h100x2: ~60\.0 s on 1 GPU; ~40\.0 s wall on its 2 GPUs \(3 servers, side by side, longest first\) \(\+ 1 cell without an estimate\)/m);
  });

  it('says so when no cell has an estimate instead of printing a total of zero', () => {
    const p = buildPlan(root, ['run-many', '-t', 'evaluate'], g, projectGraph, fates, new Map());
    expect(p.gpuTime).toMatchObject([{ profile: 'h100x2', cells: 3, cellsWithoutEstimate: 3 }]);
    expect(formatPlan(p)).toMatch(/^GPU time on h100x2: no estimate for any of its 3 cells \(see above\)$/m);
  });

  it('plans nothing when every task is cached', () => {
    const all = new Map<string, TaskFate>([...fates.keys()].map((k) => [k, { task: k, fate: 'cached', hash: 'h', remote: false }]));
    const p = buildPlan(root, ['run-many', '-t', 'evaluate'], g, projectGraph, all, costs);
    expect(p.cells).toEqual({ total: 5, run: 0, cached: 5, fromRemoteCache: 0 });
    expect(p.executes).toEqual([]);
    expect(p.servers).toEqual([]);
    expect(p.gpuTime).toEqual([]);
    expect(formatPlan(p)).toMatch(/^servers that would start: none$/m);
    const none = buildPlan(root, ['run-many', '-t', 'evaluate', '-p', 'nope'], graph([], {}), projectGraph, new Map(), costs);
    expect(formatPlan(none)).toMatch(/^nx selects no task for these arguments/m);
  });
});

function graph(ids: string[], deps: Record<string, string[]>): TaskGraph {
  const tasks = Object.fromEntries(ids.map((id) => {
    const [project, target] = id.split(':');
    return [id, { id, target: { project, target }, overrides: {}, outputs: [], cache: true, parallelism: true, continuous: false }];
  }));
  return { roots: ids.filter((i) => !deps[i]?.length), tasks, dependencies: Object.fromEntries(ids.map((i) => [i, (deps[i] ?? []).map((d) => ({ id: d }))])), continuousDependencies: {} } as unknown as TaskGraph;
}
