import { TrainerJob, type ModelConfig, type ResolvedTrainRun } from '@evalgraph/core';

/** Where a job's files go, relative to the workspace root (the trainer runs there, so outputs hold no machine paths). */
export interface TrainerPaths {
  dataFile: string;
  outDir: string;
  metricsFile: string;
}

/** The token text that ends an assistant turn in each chat format; trained on so the adapter learns to stop. */
const END_TEXT: Record<ModelConfig['chat_format'], string> = { chatml: '<|im_end|>', 'qwen3-chatml': '<|im_end|>', 'qwen-chatml': '<|im_end|>' };

/**
 * The job file of a resolved run. Prompts are rendered in the model's default mode with its chat_template_kwargs
 * (Qwen3 non-thinking: `enable_thinking: false`), the form the evaluation cells of that mode send.
 */
export function buildTrainerJob(r: ResolvedTrainRun, paths: TrainerPaths): TrainerJob {
  const c = r.config;
  const mode = r.modelConfig.modes[r.modelConfig.default_mode];
  return TrainerJob.parse({
    run: r.run,
    trainer: c.trainer,
    // The vLLM runtime serves with --seed 0 (vllm-args.ts); the GPU stand-in builds its random weights from it.
    base: { hf_id: r.modelConfig.hf_id, revision: r.modelConfig.revision, ...(c.base_weights && { weights: c.base_weights }), standin_seed: 0 },
    data_file: paths.dataFile,
    out_dir: paths.outDir,
    metrics_file: paths.metricsFile,
    lora: c.lora,
    learning_rate: c.learning_rate,
    schedule: c.schedule,
    warmup_ratio: c.warmup_ratio,
    weight_decay: c.weight_decay,
    epochs: c.epochs ?? null,
    max_steps: c.max_steps ?? null,
    batch_size: r.batchSize,
    gradient_accumulation: r.gradientAccumulation,
    precision: r.precision,
    max_length: c.max_length,
    seed: c.seed,
    end_text: END_TEXT[r.modelConfig.chat_format],
    chat_template_kwargs: mode?.chat_template_kwargs ?? {},
  });
}

/**
 * GPU memory a run claims in the lease: the whole GPU. Training memory depends on sequence length, batch and
 * activation checkpointing in ways no formula here predicts, and a server squeezed in beside it would fail mid-run.
 */
export function trainingLeaseGiB(r: ResolvedTrainRun): number {
  return r.gpuProfile.memory_gib;
}

/** One progress event of the trainer (a stdout line after EVENT_PREFIX). */
export interface TrainerEvent {
  event: 'start' | 'step' | 'done';
  step?: number;
  total_steps?: number;
  loss?: number;
  tokens_per_s?: number;
  eta_s?: number | null;
  examples?: number;
  trainer?: string;
  device?: string;
  adapter_bytes?: number;
  final_loss?: number;
}

/** The prefix of progress lines (tools/trainer/evalgraph_trainer/job.py EVENT_PREFIX). */
export const EVENT_PREFIX = 'EVALGRAPH-TRAIN ';

/** The event of a trainer output line, or undefined for any other line (those go to the log only). */
export function parseTrainerLine(line: string): TrainerEvent | undefined {
  if (!line.startsWith(EVENT_PREFIX)) return undefined;
  try {
    const v = JSON.parse(line.slice(EVENT_PREFIX.length)) as TrainerEvent;
    return v && typeof v === 'object' && typeof v.event === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

const duration = (s: number): string => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

/** The terminal line of an event: step, loss, tokens/s and ETA. */
export function formatTrainerEvent(run: string, e: TrainerEvent): string | undefined {
  if (e.event === 'start') return `${run}: training with ${e.trainer ?? 'the trainer'} on ${e.examples} examples, ${e.total_steps} steps${e.device ? ` (${e.device})` : ''}`;
  if (e.event === 'done') return `${run}: done, ${e.total_steps ?? ''}${e.total_steps ? ' steps, ' : ''}final loss ${e.final_loss?.toFixed(4)}, adapter ${e.adapter_bytes} bytes`;
  if (e.event === 'step' && e.step !== undefined) {
    const parts = [`step ${e.step}/${e.total_steps}`, `loss ${e.loss?.toFixed(4)}`];
    if (e.tokens_per_s) parts.push(`${Math.round(e.tokens_per_s)} tok/s`);
    if (e.eta_s !== undefined && e.eta_s !== null) parts.push(`ETA ${duration(e.eta_s)}`);
    return `${run}: ${parts.join(' · ')}`;
  }
  return undefined;
}
