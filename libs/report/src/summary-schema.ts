import { z } from 'zod';
import { MetricsFile, ServerGpus } from '@evalgraph/core';
import {
  BaselineReport,
  DisagreementSet,
  ErrorCategoryRow,
  MatrixRow,
  ModesRow,
  SampleHighlight,
  ScalingRow,
  ScoreTable,
  ServerThroughputRow,
  jsonSchemaOf,
} from '@evalgraph/analysis';

/** Readiness gates, in the order reports list them. */
export const GateName = z.enum(['error_rate', 'gpu_memory', 'throughput', 'coverage', 'no_dummy']);
export type GateName = z.infer<typeof GateName>;

/** One readiness gate's verdict: a gate that could not be measured fails, with that reason. */
export const GateResult = z
  .object({
    gate: GateName,
    pass: z.boolean(),
    value: z.union([z.number(), z.boolean()]).nullable().describe('the measured value (null when not measured)'),
    threshold: z.union([z.number(), z.boolean()]).nullable(),
    value_text: z.string().describe('the value as reports show it, with its unit ("not measured" when null)'),
    threshold_text: z.string().describe('the threshold as reports show it, with its unit'),
    reason: z.string(),
  })
  .strict();
export type GateResult = z.infer<typeof GateResult>;

/** One evaluated cell: provenance from run.json, metrics.json verbatim, and per-sample primary scores. */
export const SummaryCell = z
  .object({
    key: z.string(),
    variant: z.string(),
    dataset: z.string(),
    model: z.string(),
    hf_id: z.string(),
    revision: z.string(),
    mode: z.string(),
    preset: z.string(),
    english_only: z.boolean(),
    backend: z.enum(['dummy', 'vllm', 'endpoint', 'plugin']),
    server: z
      .object({
        kind: z.string(),
        version: z.string().nullable(),
        gpus: ServerGpus.optional().describe('the GPUs the server ran on, from nvidia-smi (run.json server.gpus); absent: the GPU profile stands'),
      })
      .strict(),
    gpu: z.string(),
    dataset_sha256: z.string(),
    config_hashes: z.record(z.string(), z.string()),
    versions: z.record(z.string(), z.string()),
    started_at: z.string(),
    finished_at: z.string(),
    samples: z.number().int().min(0).describe('lines in samples.jsonl'),
    metrics: MetricsFile.describe('the cell’s metrics.json, unchanged'),
    sample_scores: ScoreTable.describe('primary metric per task id and sample_index, on the metric’s own scale, for paired comparisons against this run later'),
  })
  .strict();
export type SummaryCell = z.infer<typeof SummaryCell>;

/** results/<pipeline>/summary.json: everything the Markdown and HTML reports show, for machines. */
export const Summary = z
  .object({
    $schema: z.string().optional(),
    schema_version: z.literal(1),
    pipeline: z.string(),
    description: z.string().nullable(),
    generated_at: z.string(),
    production: z.boolean(),
    dummy: z.boolean().describe('true when any cell ran on the dummy backend: the numbers are not model results'),
    complete: z.boolean().describe('every cell of the pipeline has results'),
    meta: z
      .object({
        git_commit: z.string().nullable(),
        git_dirty: z.boolean().nullable(),
        gpu: z
          .object({
            profile: z.string(),
            name: z.string().nullable().describe("the GPU profile's configured name, not a detected device"),
            memory_gib: z.number().nullable(),
            count: z.number().int().nullable(),
            used: z.boolean().describe('false when every cell ran on the dummy backend: no GPU was involved, and the profile is not hardware the run measured'),
          })
          .strict(),
        backends: z.array(z.string()),
        servers: z.array(z.object({ kind: z.string(), version: z.string().nullable() }).strict()),
        vllm_versions: z.array(z.string()),
        versions: z.record(z.string(), z.string()).describe('software versions of the run; differing values across cells are joined with " | "'),
        started_at: z.string().nullable(),
        finished_at: z.string().nullable(),
      })
      .strict(),
    variants: z.array(
      z.object({ id: z.string(), model: z.string(), mode: z.string(), preset: z.string(), english_only: z.boolean(), backend: z.string() }).strict(),
    ),
    datasets: z.array(z.string()),
    cells: z.array(SummaryCell),
    missing_cells: z.array(z.object({ key: z.string(), variant: z.string(), dataset: z.string(), reason: z.string() }).strict()),
    comparisons: z
      .object({
        matrix: z.array(MatrixRow),
        servers: z.array(ServerThroughputRow).describe('tok/s per model server over the window it served (cells on one server at the same time share it)'),
        scaling: z.array(ScalingRow),
        modes: z.array(ModesRow),
        baseline: BaselineReport.nullable(),
        problems: z.array(z.string()).describe('comparisons the pipeline asked for that could not be made, and why'),
      })
      .strict(),
    analysis: z
      .object({
        error_categories: z.array(ErrorCategoryRow),
        disagreements: z.array(DisagreementSet),
        longest: z.array(SampleHighlight),
        slowest: z.array(SampleHighlight),
      })
      .strict(),
    readiness: z.object({ pass: z.boolean(), gates: z.array(GateResult) }).strict(),
  })
  .strict();
export type Summary = z.infer<typeof Summary>;

/** File name of the JSON Schema written next to summary.json. */
export const SUMMARY_SCHEMA_FILE = 'summary.schema.json';

/** JSON Schema of summary.json, generated from the zod schema. */
export function summaryJsonSchema(): Record<string, unknown> {
  return { ...jsonSchemaOf(Summary), title: 'evalgraph summary.json' };
}
