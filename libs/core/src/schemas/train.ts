import { z } from 'zod';
import { Slug, PinnedRevision } from './common';
import { SourceFile } from './dataset';

/** SFT builders in libs/datasets that turn a mirrored train split into chat examples. */
export const SftFormat = z.enum(['gsm8k', 'mbpp']);
export type SftFormat = z.infer<typeof SftFormat>;

/** One mirrored training split a fine-tuning set is built from. */
export const TrainDataSource = z
  .object({
    name: Slug.describe('name of this source in the manifest and the contamination report'),
    format: SftFormat.describe('how rows become chat examples (gsm8k: question → worked solution; mbpp: task + tests → code)'),
    split: z.string().min(1).describe('which split of the file to take (gsm8k: the file is the split; mbpp: train, validation or prompt by task_id)'),
    kind: z.enum(['github', 'huggingface', 'url']),
    repo: z.string().min(1),
    revision: PinnedRevision,
    license: z.string().min(1),
    files: z.array(SourceFile).min(1),
    limit: z.number().int().min(1).optional().describe('keep at most this many examples of this source (after filters, dedup and decontamination)'),
  })
  .strict();
export type TrainDataSource = z.infer<typeof TrainDataSource>;

/** configs/train-data/<name>.yaml: a supervised fine-tuning set built from mirrored train splits. */
export const TrainDataConfig = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    system: z.string().optional().describe('system message put before every example'),
    sources: z.array(TrainDataSource).min(1),
    filters: z
      .object({
        min_chars: z.number().int().min(0).default(1).describe('drop examples whose user and assistant messages total fewer characters'),
        max_chars: z.number().int().min(1).default(16_000).describe('drop examples whose user and assistant messages total more characters'),
      })
      .strict()
      .default({ min_chars: 1, max_chars: 16_000 }),
    dedupe: z.boolean().default(true).describe('drop examples whose normalized text repeats an earlier one'),
    decontamination: z
      .object({
        ngram: z.number().int().min(4).max(50).default(13).describe('n-gram length (13 as GPT-3 and lm-evaluation-harness)'),
        datasets: z.union([z.literal('all'), z.array(Slug).min(1)]).default('all').describe('evaluation sets under configs/datasets to check against'),
      })
      .strict()
      .default({ ngram: 13, datasets: 'all' }),
    mirror: z.string().optional().describe('local directory laid out like shared/datasets (overridden by EVALGRAPH_DATA_MIRROR)'),
  })
  .strict();
export type TrainDataConfig = z.infer<typeof TrainDataConfig>;

/** Mixed precision of a training run. */
export const TrainPrecision = z.enum(['bf16', 'fp16', 'fp32']);
export type TrainPrecision = z.infer<typeof TrainPrecision>;

/** A GPU profile's training defaults; a run's recipe may override each. */
export const GpuTrainingDefaults = z
  .object({
    batch_size: z.number().int().min(1).max(1024).describe('micro-batch per GPU'),
    gradient_accumulation: z.number().int().min(1).max(1024),
    precision: TrainPrecision,
  })
  .strict();
export type GpuTrainingDefaults = z.infer<typeof GpuTrainingDefaults>;

export const LoraSettings = z
  .object({
    rank: z.number().int().min(1).max(512),
    alpha: z.number().positive().max(4096),
    dropout: z.number().min(0).max(0.9).default(0),
    target_modules: z.array(z.string().regex(/^[A-Za-z0-9_.]+$/)).min(1).default(['q_proj', 'k_proj', 'v_proj', 'o_proj']),
  })
  .strict();
export type LoraSettings = z.infer<typeof LoraSettings>;

/** configs/train/<run>.yaml: one LoRA run of a model config on a prepared fine-tuning set. */
export const TrainConfig = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    model: Slug.describe('base model: folder name under configs/models'),
    data: Slug.describe('fine-tuning set: name of configs/train-data/<name>.yaml'),
    gpu: Slug.default('h100-80gb').describe('GPU profile under configs/gpus; its training defaults fill batch, accumulation and precision'),
    trainer: z.enum(['transformers', 'fake']).default('transformers').describe('fake: a CPU stand-in that trains nothing (tests, CI); labelled in every output'),
    lora: LoraSettings,
    learning_rate: z.number().positive().max(1),
    schedule: z.enum(['linear', 'cosine', 'constant']).default('cosine'),
    warmup_ratio: z.number().min(0).max(0.5).default(0.03),
    weight_decay: z.number().min(0).max(1).default(0),
    epochs: z.number().positive().max(100).optional(),
    max_steps: z.number().int().min(1).max(10_000_000).optional(),
    batch_size: z.number().int().min(1).max(1024).optional().describe('override of the GPU profile’s micro-batch'),
    gradient_accumulation: z.number().int().min(1).max(1024).optional(),
    precision: TrainPrecision.optional(),
    max_length: z.number().int().min(16).max(262_144).default(2048).describe('tokens per example; longer ones are truncated'),
    seed: z.number().int().min(0).default(0),
    base_weights: z.string().optional().describe('local path of the base weights (default: hf_id at revision from the HF cache)'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if ((c.epochs === undefined) === (c.max_steps === undefined)) {
      ctx.addIssue({ code: 'custom', path: c.epochs === undefined ? ['epochs'] : ['max_steps'], message: 'exactly one of epochs or max_steps' });
    }
  });
export type TrainConfig = z.infer<typeof TrainConfig>;

/** One chat message of a fine-tuning example. */
export const ChatTurn = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }).strict();

/** One line of a prepared fine-tuning set (`data.jsonl`): chat messages the trainer renders with the model's template. */
export const SftExample = z
  .object({
    id: z.string().min(1).describe('"<source>/<id in the source>"'),
    source: Slug,
    messages: z.array(ChatTurn).min(2),
  })
  .strict();
export type SftExample = z.infer<typeof SftExample>;

/** Why examples left a fine-tuning set, per source. */
export const DropCounts = z.object({ filtered: z.number().int(), duplicate: z.number().int(), contaminated: z.number().int(), over_limit: z.number().int() }).strict();

/** The manifest `prepare` of a train-data project writes; its hash is what a training run depends on. */
export const TrainDataManifest = z
  .object({
    train_data: z.string(),
    examples: z.number().int().min(0),
    sha256: z.string().describe('sha256 of data.jsonl'),
    sources: z.array(
      z.object({ name: z.string(), format: z.string(), split: z.string(), repo: z.string(), revision: z.string(), read: z.number().int(), kept: z.number().int(), dropped: DropCounts }).strict(),
    ),
    decontamination: z.object({ ngram: z.number().int(), datasets: z.array(z.object({ dataset: z.string(), sha256: z.string() }).strict()) }).strict(),
    builder_version: z.number().int(),
  })
  .strict();
export type TrainDataManifest = z.infer<typeof TrainDataManifest>;

/** contamination.json: which training examples shared an n-gram with which evaluation set. */
export const ContaminationReport = z
  .object({
    ngram: z.number().int(),
    checked_examples: z.number().int(),
    dropped: z.number().int(),
    datasets: z.array(
      z
        .object({
          dataset: z.string(),
          records: z.number().int(),
          too_short: z.number().int().describe('records with fewer words than the n-gram length (cannot be checked)'),
          overlapping_examples: z.number().int(),
          examples: z.array(z.object({ id: z.string(), eval_id: z.string(), ngram: z.string() }).strict()).describe('the first few overlaps, for a person to judge'),
        })
        .strict(),
    ),
  })
  .strict();
export type ContaminationReport = z.infer<typeof ContaminationReport>;

/** The job file the `train` executor hands to tools/trainer/train.py (paths relative to the workspace root). */
export const TrainerJob = z
  .object({
    run: z.string(),
    trainer: z.enum(['transformers', 'fake']),
    base: z.object({ hf_id: z.string(), revision: z.string(), weights: z.string().optional(), standin_seed: z.number().int() }).strict(),
    data_file: z.string(),
    out_dir: z.string(),
    metrics_file: z.string(),
    lora: LoraSettings,
    learning_rate: z.number(),
    schedule: z.enum(['linear', 'cosine', 'constant']),
    warmup_ratio: z.number(),
    weight_decay: z.number(),
    epochs: z.number().nullable(),
    max_steps: z.number().int().nullable(),
    batch_size: z.number().int(),
    gradient_accumulation: z.number().int(),
    precision: TrainPrecision,
    max_length: z.number().int(),
    seed: z.number().int(),
    end_text: z.string().describe('what closes an assistant turn in the model’s chat format (trained on, so the model stops)'),
    chat_template_kwargs: z.record(z.string(), z.union([z.boolean(), z.string(), z.number()])),
  })
  .strict();
export type TrainerJob = z.infer<typeof TrainerJob>;

/** metrics.json a trainer writes: the loss curve and what the run cost. */
export const TrainMetrics = z
  .object({
    trainer: z.enum(['transformers', 'fake']),
    note: z.string().optional(),
    run: z.string(),
    examples: z.number().int().min(0),
    steps: z.number().int().min(1),
    loss_curve: z.array(z.object({ step: z.number().int(), loss: z.number() }).strict()).min(1),
    first_loss: z.number(),
    final_loss: z.number(),
    tokens: z.number().int().min(0),
    tokens_per_s: z.number().nullable(),
    wall_s: z.number().nullable(),
    adapter_bytes: z.number().int().min(1),
    trainable_params: z.number().int().optional(),
    peak_gpu_memory_gib: z.number().nullable(),
    gpu: z.string().nullable(),
    versions: z.record(z.string(), z.string()),
    batch_size: z.number().int(),
    gradient_accumulation: z.number().int(),
    precision: TrainPrecision,
  })
  .strict();
export type TrainMetrics = z.infer<typeof TrainMetrics>;

/** run.json of a LoRA run: what was trained from what, with digests of every output file. */
export const TrainRunFile = z
  .object({
    run: z.string(),
    trainer: z.string().describe('"transformers + peft" or "fake (CPU stand-in: nothing trained)"'),
    model: z.object({ name: z.string(), hf_id: z.string(), revision: z.string() }).strict(),
    data: z.object({ name: z.string(), sha256: z.string(), examples: z.number().int() }).strict(),
    gpu: z.object({ profile: z.string(), name: z.string() }).strict(),
    recipe: z.object({ batch_size: z.number().int(), gradient_accumulation: z.number().int(), precision: TrainPrecision, from: z.record(z.string(), z.string()) }).strict(),
    versions: z.record(z.string(), z.string()),
    command: z.array(z.string()),
    files: z.record(z.string(), z.object({ sha256: z.string(), bytes: z.number().int() }).strict()),
  })
  .strict();
export type TrainRunFile = z.infer<typeof TrainRunFile>;
