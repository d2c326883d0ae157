import type { GpuProfile, ResolvedPipeline, SampleResult } from '@evalgraph/core';
import {
  baseline as compareBaseline,
  disagreements,
  errorCategories,
  extremes,
  modes,
  performanceMatrix,
  scaling,
  scoreTable,
  metricOf,
  serverThroughput,
  type BaselineSummary,
  type BootstrapOptions,
  type LoadedCell,
  type LoadedCells,
} from '@evalgraph/analysis';
import { evaluateGates } from './readiness';
import { SUMMARY_SCHEMA_FILE, type Summary, type SummaryCell } from './summary-schema';

export interface BuildSummaryInput {
  pipeline: ResolvedPipeline;
  /** What loadCells returned for the pipeline. */
  loaded: LoadedCells;
  /** The pipeline's GPU profile (null when unknown: the memory gate then fails as not measured). */
  gpu?: GpuProfile | null;
  /** A stored summary to compare against (the pipeline's `baseline` comparison), already read and validated. */
  baseline?: BaselineSummary | null;
  git?: { commit: string | null; dirty: boolean | null };
  /** ISO time stamp (default: now). */
  generatedAt?: string;
  bootstrap?: BootstrapOptions;
  /** Disagreeing samples kept per dataset (default 50) and extreme samples kept (default 10). */
  limits?: { disagreements?: number; extremes?: number };
}

function summaryCell(c: LoadedCell): SummaryCell {
  return {
    key: c.cell.key,
    variant: c.cell.variant,
    dataset: c.cell.dataset,
    model: c.run.model.name,
    hf_id: c.run.model.hf_id,
    revision: c.run.model.revision,
    mode: c.run.model.mode,
    preset: c.run.preset,
    english_only: c.run.model.english_only,
    backend: c.run.backend,
    server: { kind: c.run.server.kind, version: c.run.server.version, ...(c.run.server.gpus && { gpus: c.run.server.gpus }) },
    gpu: c.run.gpu,
    dataset_sha256: c.run.dataset.sha256,
    config_hashes: c.run.config_hashes,
    versions: c.run.versions,
    started_at: c.run.started_at,
    finished_at: c.run.finished_at,
    samples: c.samples.length,
    metrics: c.metrics,
    sample_scores: scoreTable(c.samples, metricOf(c.metrics.primary)),
  };
}

function mergeVersions(cells: readonly LoadedCell[]): Record<string, string> {
  const seen = new Map<string, Set<string>>();
  for (const c of cells) for (const [k, v] of Object.entries(c.run.versions)) seen.set(k, (seen.get(k) ?? new Set()).add(v));
  return Object.fromEntries([...seen].sort(([a], [b]) => a.localeCompare(b)).map(([k, vs]) => [k, [...vs].sort().join(' | ')]));
}

function uniqueBy<T>(xs: readonly T[], key: (x: T) => string): T[] {
  const m = new Map<string, T>();
  for (const x of xs) if (!m.has(key(x))) m.set(key(x), x);
  return [...m.values()];
}

/** Runs the comparisons the pipeline asks for; the matrix is always made. */
function comparisons(input: BuildSummaryInput): Summary['comparisons'] {
  const { pipeline, loaded } = input;
  const byVariant = (v: string) => loaded.cells.filter((c) => c.cell.variant === v);
  const problems: string[] = [];
  const out: Summary['comparisons'] = {
    matrix: performanceMatrix(loaded.cells, { variants: pipeline.variants.map((v) => v.id), datasets: pipeline.datasets }),
    servers: serverThroughput(loaded.cells),
    scaling: [],
    modes: [],
    baseline: null,
    problems,
  };
  const need = (label: string, ...variants: string[]) => {
    const absent = variants.filter((v) => byVariant(v).length === 0);
    if (absent.length) problems.push(`${label}: no results for variant ${absent.map((v) => `"${v}"`).join(', ')}`);
    return absent.length === 0;
  };
  for (const c of pipeline.config.comparisons) {
    if (c.kind === 'scaling' && need(`scaling ${c.family}`, c.small, c.large)) {
      out.scaling.push(...scaling(byVariant(c.small), byVariant(c.large), c.family, input.bootstrap));
    } else if (c.kind === 'modes' && need(`modes ${c.name}`, c.a, c.b)) {
      out.modes.push(...modes(byVariant(c.a), byVariant(c.b), c.name, input.bootstrap));
    } else if (c.kind === 'baseline') {
      if (input.baseline) out.baseline = compareBaseline(loaded.cells.map(summaryCell), input.baseline, input.bootstrap);
      else problems.push(`baseline ${c.summary}: no baseline summary was given`);
    }
  }
  if (!out.baseline && input.baseline) out.baseline = compareBaseline(loaded.cells.map(summaryCell), input.baseline, input.bootstrap);
  return out;
}

/** Builds summary.json: run metadata, every cell's metrics, the comparisons, per-sample analysis and readiness. */
export function buildSummary(input: BuildSummaryInput): Summary {
  const { pipeline, loaded } = input;
  const cells = loaded.cells.map(summaryCell);
  const runs = loaded.cells.map((c) => c.run);
  const gpu = input.gpu ?? null;
  const times = (k: 'started_at' | 'finished_at') => runs.map((r) => r[k]).sort();
  const ex = extremes(loaded.cells, { k: input.limits?.extremes });
  const base = {
    $schema: `./${SUMMARY_SCHEMA_FILE}`,
    schema_version: 1 as const,
    pipeline: pipeline.name,
    description: pipeline.config.description ?? null,
    generated_at: input.generatedAt ?? new Date().toISOString(),
    production: pipeline.config.production,
    dummy: runs.some((r) => r.backend === 'dummy'),
    complete: loaded.missing.length === 0,
    meta: {
      git_commit: input.git?.commit ?? null,
      git_dirty: input.git?.dirty ?? null,
      gpu: { profile: pipeline.config.gpu, name: gpu?.name ?? null, memory_gib: gpu?.memory_gib ?? null, count: gpu?.count ?? null, used: runs.some((r) => r.backend !== 'dummy') },
      backends: [...new Set(runs.map((r) => r.backend))].sort(),
      servers: uniqueBy(runs.map((r) => ({ kind: r.server.kind, version: r.server.version })), (s) => `${s.kind}\u0000${s.version}`),
      vllm_versions: [...new Set(runs.filter((r) => r.backend === 'vllm' && r.server.version).map((r) => r.server.version as string))].sort(),
      versions: mergeVersions(loaded.cells),
      started_at: times('started_at')[0] ?? null,
      finished_at: times('finished_at').at(-1) ?? null,
    },
    variants: pipeline.variants.map((v) => ({ id: v.id, model: v.model, mode: v.mode, preset: v.preset, english_only: v.englishOnly, backend: v.backend })),
    datasets: pipeline.datasets,
    cells,
    missing_cells: loaded.missing,
    comparisons: comparisons(input),
    analysis: {
      error_categories: errorCategories(loaded.cells),
      disagreements: disagreements(loaded.cells, { limit: input.limits?.disagreements }),
      longest: ex.longest,
      slowest: ex.slowest,
    },
  };
  const gates = evaluateGates(base, pipeline.config.gates, gpu);
  return { ...base, readiness: { pass: gates.every((g) => g.pass), gates } };
}

/** Samples of every loaded cell keyed by cell key, as renderHtml takes them. */
export function samplesByCell(loaded: LoadedCells): Record<string, SampleResult[]> {
  return Object.fromEntries(loaded.cells.map((c) => [c.cell.key, c.samples]));
}
