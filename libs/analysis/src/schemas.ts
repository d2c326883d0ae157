import { z } from 'zod';
import { MetricValue, Outcome } from '@evalgraph/core';

const Interval = z.tuple([z.number(), z.number()]);

/** Result of comparing a against b (diff = a − b). */
export const ComparisonResult = z
  .object({
    a: z.number().describe('mean of a over the compared samples'),
    b: z.number().describe('mean of b over the compared samples'),
    diff: z.number().describe('a − b'),
    ci95: Interval.nullable(),
    p_value: z.number().min(0).max(1).nullable().describe('null when the data cannot support a test'),
    test: z.enum(['mcnemar-exact', 'paired-bootstrap', 'paired-cluster-bootstrap', 'unpaired-z', 'none']),
    significant: z.boolean().describe('p_value < alpha (0.05)'),
    n_paired: z.number().int().min(0).describe('samples present in both (0 for unpaired tests)'),
  })
  .strict();
export type ComparisonResult = z.infer<typeof ComparisonResult>;

/** Per-sample primary scores of one cell: task id → score per sample_index (null where that index is absent). */
export const ScoreTable = z.record(z.string(), z.array(z.number().nullable()));
export type ScoreTable = z.infer<typeof ScoreTable>;

/** One cell of the variant × dataset performance matrix (numbers copied from metrics.json). */
export const MatrixRow = z
  .object({
    key: z.string(),
    variant: z.string(),
    dataset: z.string(),
    metric: z.string(),
    value: z.number(),
    stderr: z.number().nullable(),
    ci95: Interval.nullable(),
    n: z.number().int(),
    higher_is_better: z.boolean(),
    error_rate: z.number(),
    throughput_tok_s: z.number().nullable().describe("the cell's own tok/s; null where it is not a measurement (see throughput_note)"),
    throughput_note: z.string().nullable().describe('why throughput_tok_s is null: dummy backend, shared server, nothing generated'),
    latency_p50_ms: z.number().nullable(),
    latency_p90_ms: z.number().nullable(),
    latency_p99_ms: z.number().nullable(),
    peak_gpu_memory_gib: z.number().nullable(),
  })
  .strict();
export type MatrixRow = z.infer<typeof MatrixRow>;

/** Tokens per second of one model server over the window it served (cells that ran on it at the same time). */
export const ServerThroughputRow = z
  .object({
    model: z.string(),
    backend: z.string(),
    server: z.string(),
    cells: z.array(z.string()).describe('cells that ran on this server in this window'),
    started_at: z.string(),
    finished_at: z.string(),
    window_s: z.number().min(0),
    completion_tokens: z.number().int().min(0).describe("sum of the cells' own generated tokens (each counted once)"),
    tok_s: z.number().nullable().describe('completion_tokens ÷ window_s; null when not a measurement (see note)'),
    note: z.string().nullable(),
  })
  .strict();
export type ServerThroughputRow = z.infer<typeof ServerThroughputRow>;

/** Efficiency of one variant: accuracy per GiB of GPU memory and per 1k generated tokens/s. */
const Efficiency = z
  .object({ small: z.number().nullable(), large: z.number().nullable(), ratio: z.number().nullable().describe('large ÷ small') })
  .strict();

/** Small vs large model of one family on one dataset: accuracy gain and what it costs. */
export const ScalingRow = z
  .object({
    family: z.string(),
    small: z.string(),
    large: z.string(),
    dataset: z.string(),
    metric: z.string(),
    small_value: z.number(),
    large_value: z.number(),
    gain: ComparisonResult.describe("large − small of the primary metric (named in `metric`, on its own scale) on the paired samples"),
    memory_ratio: z.number().nullable().describe('peak GPU memory large ÷ small'),
    throughput_ratio: z.number().nullable().describe('tokens/s large ÷ small'),
    accuracy_per_gib: Efficiency,
    accuracy_per_1k_tok_s: Efficiency,
  })
  .strict();
export type ScalingRow = z.infer<typeof ScalingRow>;

/** Two variants of one model (thinking vs not, English filter on vs off) on one dataset. */
export const ModesRow = z
  .object({
    name: z.string(),
    a: z.string(),
    b: z.string(),
    dataset: z.string(),
    metric: z.string(),
    a_value: z.number(),
    b_value: z.number(),
    accuracy: ComparisonResult.describe("a − b of the primary metric (named in `metric`, on its own scale) on the paired samples"),
    completion_tokens: ComparisonResult.describe('mean generated tokens per sample, a − b'),
    latency_ms: ComparisonResult.describe('mean latency per sample, a − b'),
    a_latency_p50_ms: z.number().nullable(),
    b_latency_p50_ms: z.number().nullable(),
  })
  .strict();
export type ModesRow = z.infer<typeof ModesRow>;

/** What a baseline comparison needs of a cell; the report's summary cells are a superset. */
export const BaselineCell = z.object({
  key: z.string(),
  variant: z.string(),
  dataset: z.string(),
  metrics: z.object({ primary: z.string(), metrics: z.array(MetricValue) }),
  sample_scores: ScoreTable.optional(),
});
export type BaselineCell = z.infer<typeof BaselineCell>;

/** A stored summary.json as far as a baseline comparison reads it. */
export const BaselineSummary = z.object({
  pipeline: z.string(),
  generated_at: z.string().optional(),
  git_commit: z.string().nullable().optional(),
  cells: z.array(BaselineCell),
});
export type BaselineSummary = z.infer<typeof BaselineSummary>;

/** One metric of one cell, this run vs the baseline. */
export const BaselineRow = z
  .object({
    key: z.string(),
    metric: z.string(),
    primary: z.boolean(),
    current: z.number(),
    baseline: z.number(),
    higher_is_better: z.boolean(),
    comparison: ComparisonResult.describe('current − baseline'),
    regression: z.boolean().describe('significantly worse than the baseline'),
    improvement: z.boolean().describe('significantly better than the baseline'),
  })
  .strict();
export type BaselineRow = z.infer<typeof BaselineRow>;

export const BaselineReport = z
  .object({
    baseline_pipeline: z.string(),
    baseline_generated_at: z.string().nullable(),
    baseline_git_commit: z.string().nullable(),
    rows: z.array(BaselineRow),
    regressions: z.number().int().min(0),
    improvements: z.number().int().min(0),
    missing_in_current: z.array(z.string()).describe('cells in the baseline that this run does not have'),
    new_in_current: z.array(z.string()),
  })
  .strict();
export type BaselineReport = z.infer<typeof BaselineReport>;

/** Outcome counts of one cell (copied from metrics.json). */
export const ErrorCategoryRow = z
  .object({
    key: z.string(),
    variant: z.string(),
    dataset: z.string(),
    n: z.number().int(),
    error_rate: z.number(),
    outcomes: z.record(z.string(), z.number().int()),
  })
  .strict();
export type ErrorCategoryRow = z.infer<typeof ErrorCategoryRow>;

/** A sample on which variants scored differently. */
export const Disagreement = z
  .object({
    dataset: z.string(),
    id: z.string(),
    sample_index: z.number().int(),
    scores: z.record(z.string(), z.number()),
    outcomes: z.record(z.string(), Outcome),
    prompt: z.string(),
  })
  .strict();
export type Disagreement = z.infer<typeof Disagreement>;

export const DisagreementSet = z
  .object({ dataset: z.string(), variants: z.array(z.string()), compared: z.number().int(), total: z.number().int(), shown: z.array(Disagreement) })
  .strict();
export type DisagreementSet = z.infer<typeof DisagreementSet>;

/** A notable sample (long or slow) with its prompt and response. */
export const SampleHighlight = z
  .object({
    key: z.string(),
    variant: z.string(),
    dataset: z.string(),
    id: z.string(),
    sample_index: z.number().int(),
    outcome: Outcome,
    score: z.number(),
    completion_tokens: z.number().int(),
    latency_ms: z.number(),
    prompt: z.string(),
    response: z.string(),
  })
  .strict();
export type SampleHighlight = z.infer<typeof SampleHighlight>;
