import { z } from 'zod';
import { Slug } from './common';
import { checkSchedulerFields, SchedulerFields } from './scheduler';
import { builtinOrPlugin } from './plugin-ref';

/** Settings that may be set on a pipeline, a model entry, a dataset entry or one cell (most specific wins). */
export const CellSettings = z
  .object({
    sample_limit: z.number().int().min(1).max(1_000_000).optional(),
    max_tokens: z.number().int().min(1).max(262_144).optional(),
    samples_per_task: z.number().int().min(1).max(200).optional(),
    seed: z.number().int().min(0).optional(),
  })
  .strict();
export type CellSettings = z.infer<typeof CellSettings>;

/** The backends built into libs/inference. */
export const BackendName = z.enum(['vllm', 'endpoint', 'dummy']);
export type BackendName = z.infer<typeof BackendName>;
/** A built-in backend or a plugin that exports one (`backend: ./tools/plugins/<name>`). */
export const BackendRef = builtinOrPlugin(BackendName, 'backend').describe('vllm, endpoint, dummy, or a backend plugin: ./tools/plugins/<name> or an npm package name');
export type BackendRef = z.infer<typeof BackendRef>;
/** Whether `backend` names a plugin rather than a built-in backend. */
export const isBackendPlugin = (backend: string): boolean => !(BackendName.options as readonly string[]).includes(backend);

/** One model as evaluated by the pipeline: a model config in one mode, preset and filter setting. */
export const PipelineModel = z
  .object({
    model: Slug.describe('folder name under configs/models'),
    id: Slug.optional().describe('name of this variant in targets and results (default: derived)'),
    mode: z.string().optional().describe('model mode (default: the model’s default_mode)'),
    preset: Slug.optional().describe('preset under configs/presets (default: the pipeline’s)'),
    english_only: z.boolean().default(false),
    backend: BackendRef.optional(),
    adapter: Slug.optional().describe('a LoRA run under configs/train whose adapter this entry evaluates (served by the base model’s server); its cells depend on train-<run>:train'),
    settings: CellSettings.optional(),
  })
  .strict();
export type PipelineModel = z.infer<typeof PipelineModel>;

export const PipelineDataset = z.union([
  Slug,
  z
    .object({ dataset: Slug, settings: CellSettings.optional() })
    .strict(),
]);

export const Gates = z
  .object({
    max_error_rate: z.number().min(0).max(1).default(0.05),
    max_gpu_memory_fraction: z.number().gt(0).max(1).nullable().default(0.8).describe('null: not required (e.g. a dummy-backend pipeline); the report says so'),
    min_throughput_tok_s: z.number().min(0).nullable().default(100).describe('null: not required; the report says so'),
    require_all_models_covered: z.boolean().default(true),
    forbid_dummy: z.boolean().default(false),
  })
  .strict();
export type Gates = z.infer<typeof Gates>;

export const Comparison = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('matrix') }).strict(),
  z
    .object({ kind: z.literal('scaling'), family: z.string(), small: Slug, large: Slug })
    .strict()
    .describe('small/large are variant ids'),
  z
    .object({ kind: z.literal('modes'), name: z.string(), a: Slug, b: Slug })
    .strict()
    .describe('two variants of one model (thinking vs non-thinking, filter on vs off)'),
  z
    .object({ kind: z.literal('baseline'), summary: z.string().describe('path of a stored summary.json or git:<ref>') })
    .strict(),
]);
export type Comparison = z.infer<typeof Comparison>;

/** The judge of judged datasets (MT-Bench): an existing OpenAI-compatible endpoint, never started by evalgraph. */
export const Judge = z
  .object({
    endpoint: z.string().url().describe('base URL of an OpenAI-compatible server, e.g. https://api.openai.com/v1'),
    model: z.string().min(1).describe('the model name the endpoint serves (FastChat grades with gpt-4)'),
    api_key_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional().describe('name of the env var holding the key (never the key)'),
    max_tokens: z.number().int().min(16).max(8192).default(2048),
  })
  .strict();
export type Judge = z.infer<typeof Judge>;

/** pipelines/<pipeline>/pipeline.yaml. */
export const PipelineConfig = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    gpu: Slug.default('h100-80gb').describe('GPU profile under configs/gpus'),
    preset: Slug.default('balanced'),
    backend: BackendRef.default('vllm'),
    production: z.boolean().default(false).describe('a production pipeline may not use the dummy backend'),
    settings: CellSettings.default({}),
    models: z.array(PipelineModel).min(1),
    datasets: z.array(PipelineDataset).min(1),
    cells: z
      .record(z.string(), CellSettings)
      .default({})
      .describe('per-cell overrides keyed "<variant>/<dataset>"'),
    gates: Gates.default(Gates.parse({})),
    comparisons: z.array(Comparison).default([]),
    judge: Judge.optional().describe('judge for MT-Bench; the dummy backend judges dummy runs'),
    tracker: z.string().optional().describe('Markdown file whose results section the report rewrites'),
    ...SchedulerFields,
  })
  .strict()
  .superRefine(checkSchedulerFields);
export type PipelineConfig = z.infer<typeof PipelineConfig>;
