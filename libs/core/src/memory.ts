import type { Architecture } from './schemas/model';
import type { GpuProfile } from './schemas/gpu';
import type { Preset } from './schemas/preset';

const GiB = 1024 ** 3;
const DTYPE_BYTES: Record<string, number> = { bfloat16: 2, float16: 2, float32: 4, auto: 2, fp8: 1, fp8_e4m3: 1, fp8_e5m2: 1 };

/** vLLM's non-KV, non-weight reservation (activations, CUDA graphs, allocator slack); a conservative estimate. */
export const RUNTIME_OVERHEAD_GIB = 2.5;

export interface FitReport {
  fits: boolean;
  gpuMemoryGiB: number;
  budgetGiB: number;
  weightsGiB: number;
  overheadGiB: number;
  kvCacheGiB: number;
  kvBytesPerToken: number;
  maxModelLen: number;
  /** Sequences of max_model_len that fit in the KV cache at once. */
  maxConcurrentSequences: number;
  /** What limits concurrency: the KV cache or the preset's max_num_seqs. */
  effectiveConcurrency: number;
  reason?: string;
}

/** KV-cache bytes per token: 2 (K and V) × layers × KV heads × head dim × dtype bytes. */
export function kvBytesPerToken(arch: Architecture, kvCacheDtype: string): number {
  const bytes = kvCacheDtype === 'auto' ? DTYPE_BYTES[arch.weight_dtype] : DTYPE_BYTES[kvCacheDtype];
  return 2 * arch.layers * arch.kv_heads * arch.head_dim * bytes;
}

/** Weight bytes from the parameter count and weight dtype. */
export function weightBytes(arch: Architecture): number {
  return arch.params_b * 1e9 * DTYPE_BYTES[arch.weight_dtype];
}

/** The context length served: the preset's cap, but never beyond what the model was trained for. */
export function effectiveMaxModelLen(arch: Architecture, preset: Preset): number {
  return Math.min(preset.max_model_len, arch.max_position_embeddings);
}

/** Whether weights + KV cache fit a GPU under a preset, with the numbers that decide it. */
export function checkFit(arch: Architecture, preset: Preset, gpu: GpuProfile, tensorParallel = 1): FitReport {
  const gpuMemoryGiB = gpu.memory_gib * tensorParallel;
  const budgetGiB = gpuMemoryGiB * preset.gpu_memory_utilization;
  const weightsGiB = weightBytes(arch) / GiB;
  const overheadGiB = RUNTIME_OVERHEAD_GIB * tensorParallel;
  const kvCacheGiB = budgetGiB - weightsGiB - overheadGiB;
  const perToken = kvBytesPerToken(arch, preset.kv_cache_dtype);
  const maxModelLen = effectiveMaxModelLen(arch, preset);
  const maxSeqs = kvCacheGiB > 0 ? Math.floor((kvCacheGiB * GiB) / (perToken * maxModelLen)) : 0;
  const base = {
    gpuMemoryGiB,
    budgetGiB,
    weightsGiB,
    overheadGiB,
    kvCacheGiB,
    kvBytesPerToken: perToken,
    maxModelLen,
    maxConcurrentSequences: maxSeqs,
    effectiveConcurrency: Math.min(maxSeqs, preset.max_num_seqs),
  };
  const r = (x: number) => x.toFixed(1);
  if (kvCacheGiB <= 0) {
    return { ...base, fits: false, reason: `weights ${r(weightsGiB)} GiB + overhead ${r(overheadGiB)} GiB exceed the budget ${r(budgetGiB)} GiB (${preset.gpu_memory_utilization} × ${r(gpuMemoryGiB)} GiB)` };
  }
  if (maxSeqs < 1) {
    return { ...base, fits: false, reason: `KV cache ${r(kvCacheGiB)} GiB holds ${Math.floor((kvCacheGiB * GiB) / perToken)} tokens, fewer than one sequence of max_model_len ${maxModelLen} (${perToken} bytes/token)` };
  }
  return { ...base, fits: true };
}

/** GPU memory a vLLM server claims (it preallocates gpu_memory_utilization of the card), in GiB. */
export function serverMemoryGiB(preset: Preset, gpu: GpuProfile): number {
  return preset.gpu_memory_utilization * gpu.memory_gib;
}
