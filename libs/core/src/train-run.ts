import { CONFIG_PATHS, listConfigs, missingConfigHint, tryLoad } from './workspace';
import { ConfigError, type ConfigProblem } from './errors';
import type { ModelConfig } from './schemas/model';
import type { GpuProfile } from './schemas/gpu';
import type { TrainConfig, TrainPrecision } from './schemas/train';

/** A LoRA run with every reference checked and the GPU profile's training defaults filled in. */
export interface ResolvedTrainRun {
  run: string;
  config: TrainConfig;
  model: string;
  modelConfig: ModelConfig;
  data: string;
  gpu: string;
  gpuProfile: GpuProfile;
  batchSize: number;
  gradientAccumulation: number;
  precision: TrainPrecision;
  /** Where each of batch size, accumulation and precision came from, for run.json and the log. */
  from: Record<'batch_size' | 'gradient_accumulation' | 'precision', 'recipe' | `gpu profile ${string}`>;
}

/** Compute capability from which bf16 runs natively (Ampere). */
const BF16_MIN_CC = 8.0;

/**
 * Loads configs/train/<run>.yaml and checks its model, training set and GPU profile; batch size, accumulation and
 * precision come from the recipe when it sets them, else from the profile's `training:` defaults, so switching
 * `gpu:` changes only those. Throws one ConfigError listing every problem.
 */
export function resolveTrainRun(root: string, run: string): ResolvedTrainRun {
  const problems: ConfigProblem[] = [];
  const { value: cfg, src } = tryLoad(root, 'train', run, problems);
  if (!cfg || !src) throw new ConfigError(problems);
  const file = src.file;
  const ref = (kind: 'model' | 'train-data' | 'gpu', value: string, field: string): boolean => {
    const known = listConfigs(root, kind);
    if (known.includes(value)) return true;
    problems.push({
      file,
      field,
      line: src.lineOf([field]),
      expected: `a ${kind} config (${CONFIG_PATHS[kind]('<name>')}: ${known.join(', ') || 'none exist'})`,
      found: `"${value}"`,
      hint: missingConfigHint(kind, value, known),
    });
    return false;
  };
  const model = ref('model', cfg.model, 'model') ? tryLoad(root, 'model', cfg.model, problems).value : undefined;
  if (ref('train-data', cfg.data, 'data')) tryLoad(root, 'train-data', cfg.data, problems);
  const gpu = ref('gpu', cfg.gpu, 'gpu') ? tryLoad(root, 'gpu', cfg.gpu, problems).value : undefined;
  if (!model || !gpu) throw new ConfigError(problems);

  const fromProfile = `gpu profile ${cfg.gpu}` as const;
  const pick = <K extends 'batch_size' | 'gradient_accumulation' | 'precision'>(key: K): [NonNullable<TrainConfig[K]>, 'recipe' | typeof fromProfile] | undefined => {
    const own = cfg[key];
    if (own !== undefined) return [own as NonNullable<TrainConfig[K]>, 'recipe'];
    const dflt = gpu.training?.[key];
    if (dflt !== undefined) return [dflt as NonNullable<TrainConfig[K]>, fromProfile];
    problems.push({
      file,
      field: key,
      line: src.lineOf([]),
      expected: `${key} in the recipe or training.${key} in ${CONFIG_PATHS.gpu(cfg.gpu)}`,
      found: 'neither',
      hint: `add training: { batch_size, gradient_accumulation, precision } to ${CONFIG_PATHS.gpu(cfg.gpu)}, or set ${key} here`,
    });
    return undefined;
  };
  const batch = pick('batch_size');
  const accum = pick('gradient_accumulation');
  const precision = pick('precision');
  if (precision?.[0] === 'bf16' && Number(gpu.compute_capability) < BF16_MIN_CC) {
    problems.push({
      file,
      field: 'precision',
      line: src.lineOf(['precision']),
      expected: `fp16 or fp32 on ${gpu.name} (compute capability ${gpu.compute_capability}; bf16 needs ${BF16_MIN_CC.toFixed(1)}+)`,
      found: `bf16 (from the ${precision[1]})`,
      hint: 'set precision: fp16',
    });
  }
  if (problems.length || !batch || !accum || !precision) throw new ConfigError(problems);
  return {
    run,
    config: cfg,
    model: cfg.model,
    modelConfig: model,
    data: cfg.data,
    gpu: cfg.gpu,
    gpuProfile: gpu,
    batchSize: batch[0],
    gradientAccumulation: accum[0],
    precision: precision[0],
    from: { batch_size: batch[1], gradient_accumulation: accum[1], precision: precision[1] },
  };
}
