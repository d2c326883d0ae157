import type { ProjectGraph, TaskGraph } from '@nx/devkit';
import { loadNamed } from '@evalgraph/core';
import { makespan, type MeasuredCost } from '@evalgraph/analysis';
import type { CellOptions } from '../../nodes/pipeline-project';
import { withOverrides } from '../../executors/evaluate/batch';
import type { TaskFate } from './cache-status';
import { estimateCell, type CellEstimate } from './estimate';

const EVALUATE_EXECUTOR = '@evalgraph/plugin:evaluate';

/** A cell that the run would execute. */
export interface PlannedCell {
  task: string;
  pipeline: string;
  variant: string;
  model: string;
  preset: string;
  dataset: string;
  gpu: string;
  backend: CellOptions['backend'];
  why: string;
  /** Nx's hash of the task (null when it depends on the outputs of a task that runs first). */
  hash: string | null;
  server: string | null;
  estimate: CellEstimate;
}

/** A model server (or other runner) that the run would start, for the cells that miss the cache. */
export interface PlannedServer {
  key: string;
  kind: string;
  model: string;
  preset: string;
  gpu: string;
  englishOnly: boolean;
  cells: number;
  /** Predicted GPU seconds of its cells; null when some had no estimate (see the cells). */
  gpuS: number | null;
}

/** GPU time of a plan on one GPU profile: all servers one after another, and side by side on the profile's GPUs. */
export interface GpuTotal {
  profile: string;
  gpus: number;
  servers: number;
  cells: number;
  oneGpuS: number;
  profileGpusS: number;
  cellsWithoutEstimate: number;
}

export interface Plan {
  command: string[];
  cells: { total: number; run: number; cached: number; fromRemoteCache: number };
  executes: PlannedCell[];
  servers: PlannedServer[];
  gpuTime: GpuTotal[];
  otherTasks: { run: { task: string; why: string }[]; cached: number };
  historyUnreadable: string[];
}

/** The evaluate options of a cell task (its target options with the run's overrides), or null for other tasks. */
export function cellOptions(projectGraph: ProjectGraph, task: TaskGraph['tasks'][string]): CellOptions | null {
  const target = projectGraph.nodes[task.target.project]?.data.targets?.[task.target.target];
  if (target?.executor !== EVALUATE_EXECUTOR || !target.options) return null;
  return withOverrides(target.options as CellOptions, task.overrides as Record<string, unknown>);
}

/** How a cell's server is run: a vLLM server this run starts, or nothing of this machine's GPU. */
function serverKind(root: string, o: CellOptions): string | null {
  if (o.backend !== 'vllm') return null;
  try {
    const gpu = loadNamed(root, 'gpu', o.gpu) as { scheduler?: unknown };
    if (gpu.scheduler === 'slurm') return 'Slurm job (vLLM server)';
  } catch {
    // A broken GPU profile fails the run's check; the plan still names the server.
  }
  return 'vLLM server';
}

/** Cells, servers and GPU time of a run, from the fate Nx's cache decides for each of its tasks. */
export function buildPlan(root: string, command: string[], graph: TaskGraph, projectGraph: ProjectGraph, fates: Map<string, TaskFate>, costs: Map<string, MeasuredCost>, historyUnreadable: string[] = []): Plan {
  const executes: PlannedCell[] = [];
  const servers = new Map<string, PlannedServer & { unknown: number }>();
  const other: Plan['otherTasks'] = { run: [], cached: 0 };
  const cells = { total: 0, run: 0, cached: 0, fromRemoteCache: 0 };
  for (const id of Object.keys(graph.tasks).sort()) {
    const fate = fates.get(id);
    if (!fate) continue;
    const o = cellOptions(projectGraph, graph.tasks[id]);
    if (!o) {
      if (fate.fate === 'runs') other.run.push({ task: id, why: fate.why });
      else other.cached++;
      continue;
    }
    cells.total++;
    if (fate.fate === 'cached') {
      cells.cached++;
      if (fate.remote) cells.fromRemoteCache++;
      continue;
    }
    cells.run++;
    const kind = serverKind(root, o);
    // The batch executor shares one server between cells with the same backend, model, preset, GPU and filter.
    const key = kind ? [o.backend, o.model, o.preset, o.gpu, o.englishOnly ? 'en' : ''].join('|') : null;
    const estimate = estimateCell(root, o, costs);
    executes.push({ task: id, pipeline: o.pipeline, variant: o.variant, model: o.model, preset: o.preset, dataset: o.dataset, gpu: o.gpu, backend: o.backend, why: fate.why, hash: fate.hash, server: key, estimate });
    if (key && kind) {
      const s = servers.get(key) ?? { key, kind, model: o.model, preset: o.preset, gpu: o.gpu, englishOnly: o.englishOnly, cells: 0, gpuS: 0, unknown: 0 };
      s.cells++;
      if (estimate.gpuS === null) s.unknown++;
      else s.gpuS = (s.gpuS ?? 0) + estimate.gpuS;
      servers.set(key, s);
    }
  }
  const byProfile = new Map<string, (PlannedServer & { unknown: number })[]>();
  for (const s of servers.values()) byProfile.set(s.gpu, [...(byProfile.get(s.gpu) ?? []), s]);
  const gpuTime: GpuTotal[] = [...byProfile.entries()].map(([profile, list]) => {
    let gpus = 1;
    try {
      gpus = loadNamed(root, 'gpu', profile).count;
    } catch {
      // Unreadable profile: plan for one GPU; the run's check reports the profile.
    }
    const jobs = list.map((s) => s.gpuS ?? 0);
    return { profile, gpus, servers: list.length, cells: list.reduce((a, s) => a + s.cells, 0), oneGpuS: jobs.reduce((a, b) => a + b, 0), profileGpusS: makespan(jobs, gpus), cellsWithoutEstimate: list.reduce((a, s) => a + s.unknown, 0) };
  });
  return {
    command,
    cells,
    executes,
    servers: [...servers.values()].map(({ unknown, ...s }) => ({ ...s, gpuS: unknown ? null : s.gpuS })),
    gpuTime,
    otherTasks: other,
    historyUnreadable,
  };
}
