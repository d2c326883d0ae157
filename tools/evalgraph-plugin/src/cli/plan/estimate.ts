import { loadNamed } from '@evalgraph/core';
import { readManifest } from '@evalgraph/datasets';
import { getScorer } from '@evalgraph/scoring';
import { predictFromMeasured, publishedTokS, requestVolume, type MeasuredCost } from '@evalgraph/analysis';
import type { CellOptions } from '../../nodes/pipeline-project';
import { loadCell } from '../../executors/evaluate/load-cell';

/** Predicted GPU seconds of one cell, and what the prediction rests on. */
export interface CellEstimate {
  /** null: no GPU of this machine (dummy, external endpoint) — or no estimate could be made (see basis). */
  gpuS: number | null;
  basis: string;
  source: 'measured' | 'measured elsewhere' | 'projection' | 'no GPU' | 'none';
}

/** Records a run of the cell evaluates: its sample limit, capped by the prepared dataset (when prepared). */
function plannedRecords(root: string, o: CellOptions, fallback?: MeasuredCost): number | null {
  try {
    const n = readManifest(root, o.dataset).records;
    return o.sampleLimit ? Math.min(o.sampleLimit, n) : n;
  } catch {
    // Not prepared yet: the limit is the best bound, or what the last run used.
    return o.sampleLimit ?? fallback?.records ?? null;
  }
}

function samplesPerTask(root: string, o: CellOptions): number {
  if (o.samplesPerTask) return o.samplesPerTask;
  try {
    return loadNamed(root, 'dataset', o.dataset).samples_per_task ?? 1;
  } catch {
    return 1;
  }
}

/** The projection's estimate for a cell no run has measured: the scorer's real prompts at published throughput. */
function projected(root: string, o: CellOptions): CellEstimate {
  try {
    const input = loadCell(root, o);
    const scorer = getScorer(input.dataset.scorer);
    const mode = input.model.modes[input.modeName] ?? input.model.modes[input.model.default_mode];
    const maxTokens = input.maxTokens ?? input.dataset.max_tokens ?? mode.max_tokens;
    const ctx = { dataset: o.dataset, datasetConfig: input.dataset, model: input.model, fewshotPool: input.fewshotPool, maxTokens, samplesPerTask: input.samplesPerTask ?? input.dataset.samples_per_task ?? 1, workspaceRoot: root, services: {}, aux: input.aux };
    const requests = input.records.slice(0, o.sampleLimit).flatMap((r) => scorer.buildRequests(r, ctx).requests);
    // MT-Bench: the model answers two turns (the second is built from the first answer); the judge is not this GPU.
    const v = requestVolume(requests, maxTokens, input.dataset.scorer === 'mt-bench' ? 2 : 1);
    const tput = publishedTokS(input.model.architecture.params_b);
    return { gpuS: (v.promptTokens + v.outputTokens) / tput.tokS, basis: `projection: ${v.requests} requests, ~${v.promptTokens + v.outputTokens} tokens at the ${tput.basis}`, source: 'projection' };
  } catch (e) {
    return { gpuS: null, basis: `no estimate: ${(e as Error).message.split('\n')[0]}`, source: 'none' };
  }
}

/**
 * GPU seconds one cell is predicted to take: from its own last run when there is one (seconds per request sent,
 * scaled to the records and samples it will evaluate), else from the same model on the same dataset in another
 * pipeline, else the projection's defaults. Dummy and endpoint cells use no GPU of this machine.
 */
export function estimateCell(root: string, o: CellOptions, costs: Map<string, MeasuredCost>): CellEstimate {
  if (o.backend === 'dummy') return { gpuS: null, basis: 'dummy backend: in-process, no GPU', source: 'no GPU' };
  if (o.backend === 'endpoint') return { gpuS: null, basis: "external endpoint: not this machine's GPU", source: 'no GPU' };
  const spt = samplesPerTask(root, o);
  const own = costs.get(o.resultsDir);
  if (own && own.backend === o.backend) {
    const records = plannedRecords(root, o, own);
    const s = records === null ? null : predictFromMeasured(own, records, spt);
    if (s !== null) return { gpuS: s, basis: `measured: its last run (${own.sent} requests sent, ${own.gpuS.toFixed(1)} GPU s, finished ${own.finishedAt})`, source: 'measured' };
  }
  const elsewhere = [...costs.entries()]
    .filter(([key, m]) => key !== o.resultsDir && m.model === o.model && m.backend === o.backend && key.endsWith(`/${o.dataset}`) && m.sent > 0)
    .sort((a, b) => b[1].finishedAt.localeCompare(a[1].finishedAt))[0];
  if (elsewhere) {
    const records = plannedRecords(root, o, elsewhere[1]);
    const s = records === null ? null : predictFromMeasured(elsewhere[1], records, spt);
    if (s !== null) return { gpuS: s, basis: `measured elsewhere: ${elsewhere[0]} (same model and dataset)`, source: 'measured elsewhere' };
  }
  return projected(root, o);
}
