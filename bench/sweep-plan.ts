// The plan for the full large-scale sweep on 1 × H100, one 8 × H100 node and 4 such nodes, from the projection's
// inputs in bench/results.json (written by `npm run bench`): per-dataset requests and tokens of the scorers' real
// prompts, published vLLM throughput on one H100, and the overheads measured on the bench machine; and from a
// bench run of item 6 (multi-GPU makespan), how close to ideal the pool schedules the same sweep on 8 GPUs.
//
//   node -r @swc-node/register bench/sweep-plan.ts [bench/results.json] [bench/runs/<item 6 run>/results.json]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MODELS } from './items/projection';
import { spread } from './lib/stats';

interface Volume { dataset: string; prompt: number; output: number; requests: number }
interface ProjectionRaw {
  volumes: Volume[];
  perModel: { requests: number; tokens: number };
  published: Record<'small' | 'large', { tokS: number; model: string; source: string }>;
  inputs: { startS: number; tailS: number; marginalMs: number; perServerS: number };
}

/** What bench item 6 measured: the 8-GPU runs' makespan ÷ ideal (total GPU time ÷ 8). */
interface MultiGpuRaw { runs: { gpus: number; makespan_s: number; ideal_s: number }[] }

/** The median makespan ÷ ideal of the 8-GPU runs of an item-6 bench run. */
export function eightGpuRatio(m: MultiGpuRaw): number {
  const r = m.runs.filter((x) => x.gpus === 8).map((x) => x.makespan_s / x.ideal_s);
  if (!r.length) throw new Error('no 8-GPU run in this bench result (run: npm run bench -- --only multigpu)');
  return spread(r).median;
}

export interface PlanRow { setup: string; gpus: number; wallH: number; gpuHoursBusy: number; gpuHoursAllocated: number; how: string }

/** Longest-processing-time split of datasets into `k` groups by tokens (each group is one node's share). */
export function splitDatasets(volumes: Volume[], k: number): Volume[][] {
  const groups: { tokens: number; items: Volume[] }[] = Array.from({ length: k }, () => ({ tokens: 0, items: [] }));
  for (const v of [...volumes].sort((a, b) => b.prompt + b.output - (a.prompt + a.output))) {
    const g = groups.reduce((min, x) => (x.tokens < min.tokens ? x : min));
    g.tokens += v.prompt + v.output;
    g.items.push(v);
  }
  return groups.map((g) => g.items);
}

/** GPU seconds of one model over `volumes` on one H100 (tokens ÷ published total tokens/s). */
const modelSeconds = (volumes: Volume[], tokS: number) => volumes.reduce((s, v) => s + v.prompt + v.output, 0) / tokS;

/**
 * The three setups' wall time and GPU-hours. On one GPU the models' servers run one after another; on an 8-GPU node
 * the pool spreads the models' work over all eight GPUs (servers on spare GPUs, cells divided among a model's
 * servers), which bench item 6 measured at `ratio8` × the ideal (GPU time ÷ 8) for this sweep, server starts included.
 */
export function sweepPlan(p: ProjectionRaw, ratio8: number): PlanRow[] {
  const speeds = MODELS.map((m) => p.published[m.size].tokS);
  const cells = MODELS.length * p.volumes.length;
  // nx start-up and exit once per run, plus the marginal orchestration cost of each cell (measured by the bench).
  const orchestrationS = (cellsPerRun: number) => p.inputs.startS + p.inputs.tailS + (p.inputs.marginalMs / 1000) * cellsPerRun;
  const busy = speeds.reduce((s, t) => s + modelSeconds(p.volumes, t), 0);
  // 1 GPU: the models' servers one after another.
  const one = busy + MODELS.length * p.inputs.perServerS + orchestrationS(cells);
  // 8 GPUs: the GPU time spread over eight GPUs at the measured makespan ratio.
  const eight = (busy / 8) * ratio8 + orchestrationS(cells);
  // 4 nodes: the datasets split in 4 token-balanced groups, one nx run per node (results meet in the remote cache);
  // each node's group scheduled as the bench's sweep was (the groups have other cell mixes: an approximation).
  const groups = splitDatasets(p.volumes, 4);
  const nodeWall = groups.map((g) => (speeds.reduce((s, t) => s + modelSeconds(g, t), 0) / 8) * ratio8 + orchestrationS(MODELS.length * g.length));
  const four = Math.max(...nodeWall);
  const h = (s: number) => s / 3600;
  return [
    { setup: '1 × H100', gpus: 1, wallH: h(one), gpuHoursBusy: h(busy), gpuHoursAllocated: h(one), how: 'six model servers one after another' },
    { setup: '1 node, 8 × H100', gpus: 8, wallH: h(eight), gpuHoursBusy: h(busy), gpuHoursAllocated: h(eight) * 8, how: `six servers at once, more on the spare GPUs, cells divided among a model's servers; ${ratio8.toFixed(3)} × ideal (bench item 6, 8-GPU median)` },
    { setup: '4 nodes, 8 × H100 each', gpus: 32, wallH: h(four), gpuHoursBusy: h(busy), gpuHoursAllocated: h(four) * 32, how: `datasets in 4 token-balanced groups (${groups.map((g) => g.length).join('/')} datasets), one \`nx run-many\` per node, scheduled as on one node` },
  ];
}

if (require.main === module) {
  const file = path.resolve(process.argv[2] ?? path.join(__dirname, 'results.json'));
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const p: ProjectionRaw = results.raw.projection;
  const mgpuFile = path.resolve(process.argv[3] ?? path.join(__dirname, 'runs/2026-12-08-multigpu/results.json'));
  const mgpu = JSON.parse(readFileSync(mgpuFile, 'utf8'));
  const ratio8 = eightGpuRatio(mgpu.raw.multigpu);
  console.log(`8-GPU makespan ÷ ideal: ${ratio8.toFixed(3)} (median of the 8-GPU runs in ${path.relative(process.cwd(), mgpuFile)}, bench of ${mgpu.date})`);
  console.log(`inputs: ${file} (bench of ${results.date}); ${MODELS.length} models × ${p.volumes.length} datasets, ${p.perModel.requests.toLocaleString('en')} requests and ${p.perModel.tokens.toLocaleString('en')} tokens per model`);
  const perRequest = p.perModel.tokens / p.perModel.requests;
  console.log(`per request: ${perRequest.toFixed(1)} tokens = ${MODELS.map((m) => m.size).filter((x, i, a) => a.indexOf(x) === i).map((sz) => `${((perRequest / p.published[sz].tokS) * 1000).toFixed(1)} ms of one H100 for a ${sz === 'small' ? '7–8B' : '14B'} model (${p.published[sz].tokS} tok/s, ${p.published[sz].model})`).join(', ')}`);
  splitDatasets(p.volumes, 4).forEach((g, i) => console.log(`node ${i + 1}: -p '${g.map((v) => `cell-large-scale--*--${v.dataset.split(' ')[0]}`).join(',')}' (${g.reduce((s, v) => s + v.prompt + v.output, 0).toLocaleString('en')} tokens per model)`));
  console.log('| setup | GPUs | wall time | GPU-hours busy | GPU-hours allocated | how |\n|---|---|---|---|---|---|');
  for (const r of sweepPlan(p, ratio8)) console.log(`| ${r.setup} | ${r.gpus} | ${r.wallH.toFixed(2)} h | ${r.gpuHoursBusy.toFixed(2)} | ${r.gpuHoursAllocated.toFixed(2)} | ${r.how} |`);
}
