import type { GpuProfile } from '@evalgraph/core';
import { visibleGpus } from './cuda-visible-devices';
import { queryGpus, type GpuInfo } from './nvidia-smi';

/** The GPUs a lease hands out, and where their count and memory came from. */
export interface GpuCapacity {
  /** The profile with count, memory and name as the lease and vLLM's memory share see them. */
  gpu: GpuProfile;
  source: 'nvidia-smi' | 'profile';
  /** The nvidia-smi indices the lease may hand out ($CUDA_VISIBLE_DEVICES honoured); null: 0 … count-1 of the profile. */
  devices: number[] | null;
  /** One line for the log when nvidia-smi and the profile disagree (null when they agree or no GPU was read). */
  note: string | null;
}

const MiB_PER_GiB = 1024;

/**
 * The profile with the count and memory nvidia-smi reports: vLLM's --gpu-memory-utilization is a share of the real
 * GPU, so the lease counts what the machine has, not what the profile was written for. Only the GPUs
 * $CUDA_VISIBLE_DEVICES names count when it is set. Without nvidia-smi (a CPU machine, tests) the profile stands.
 * GPUs of unequal size count as the smallest.
 */
export function machineCapacity(profile: GpuProfile, profileName: string, all: GpuInfo[] | null, env: NodeJS.ProcessEnv = process.env): GpuCapacity {
  if (!all?.length) return { gpu: profile, source: 'profile', devices: null, note: null };
  const gpus = visibleGpus(all, env);
  const memory = Math.min(...gpus.map((g) => g.totalMiB)) / MiB_PER_GiB;
  const gpu: GpuProfile = { ...profile, name: gpus[0].name, count: gpus.length, memory_gib: Math.round(memory * 100) / 100 };
  const same = gpu.count === profile.count && Math.abs(gpu.memory_gib - profile.memory_gib) < 0.5;
  const devices = gpus.map((g) => g.index);
  const restricted = gpus.length < all.length ? ` (CUDA_VISIBLE_DEVICES: GPU ${devices.join(', ')} of ${all.length})` : '';
  const note =
    same && !restricted
      ? null
      : `GPU lease: nvidia-smi reports ${gpus.length} × ${gpus[0].name} (${gpu.memory_gib.toFixed(1)} GiB)${restricted}; profile ${profileName} says ${profile.count} × ${profile.memory_gib} GiB: leasing what nvidia-smi reports`;
  return { gpu, source: 'nvidia-smi', devices, note };
}

/** machineCapacity with the GPUs read from nvidia-smi now ($EVALGRAPH_NVIDIA_SMI or PATH). */
export async function detectCapacity(profile: GpuProfile, profileName: string): Promise<GpuCapacity> {
  return machineCapacity(profile, profileName, await queryGpus());
}
