import { checkFit, type FitReport } from './memory';
import type { GpuProfile } from './schemas/gpu';
import type { ModelConfig } from './schemas/model';
import type { Preset } from './schemas/preset';

/** How many GPUs one server of a model takes, and why. */
export interface TensorParallelPlan {
  /** GPUs one server spans (vLLM's --tensor-parallel-size). */
  size: number;
  /** `config`: the model's vllm_args set it; `memory`: the model does not fit fewer GPUs of the profile; `default`: one GPU. */
  source: 'config' | 'memory' | 'default';
  /** Memory fit at that size. */
  fit: FitReport;
  /** Set when no size the profile allows works: what is wrong, for an error message. */
  problem?: string;
}

/** The tensor-parallel size a model's vllm_args ask for (snake or kebab case), or undefined. */
export function configuredTensorParallel(model: ModelConfig): number | undefined {
  const v = model.vllm_args['tensor_parallel_size'] ?? model.vllm_args['tensor-parallel-size'];
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : undefined;
}

/**
 * The GPUs one server of this model needs on this GPU profile: the configured tensor_parallel_size, else the
 * smallest power of two (that divides the attention heads, as vLLM requires) at which weights + KV cache fit.
 * Never more than the profile's `count`: a model that needs more gets `problem` instead of a silent overcommit.
 */
export function planTensorParallel(model: ModelConfig, preset: Preset, gpu: GpuProfile): TensorParallelPlan {
  const configured = configuredTensorParallel(model);
  if (configured !== undefined) {
    const fit = checkFit(model.architecture, preset, gpu, configured);
    if (configured > gpu.count) return { size: configured, source: 'config', fit, problem: `tensor_parallel_size ${configured} needs ${configured} GPUs; the profile has count ${gpu.count}` };
    return { size: configured, source: 'config', fit, problem: fit.fits ? undefined : fit.reason };
  }
  const one = checkFit(model.architecture, preset, gpu, 1);
  if (one.fits) return { size: 1, source: 'default', fit: one };
  for (let tp = 2; tp <= gpu.count; tp *= 2) {
    if (model.architecture.attention_heads % tp !== 0) continue;
    const fit = checkFit(model.architecture, preset, gpu, tp);
    if (fit.fits) return { size: tp, source: 'memory', fit };
  }
  return { size: 1, source: 'default', fit: one, problem: gpu.count > 1 ? `${one.reason}, and no tensor-parallel size up to the profile's ${gpu.count} GPUs fits either` : one.reason };
}
