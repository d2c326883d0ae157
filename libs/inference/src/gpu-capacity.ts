import type { GpuProfile } from '@evalgraph/core';
import { queryGpus, type GpuInfo } from './nvidia-smi';

/** The GPUs a lease hands out, and where their count and memory came from. */
export interface GpuCapacity {
  /** The profile with count, memory and name as the lease and vLLM's memory share see them. */
  gpu: GpuProfile;
  source: 'nvidia-smi' | 'profile';
  /** One line for the log when nvidia-smi and the profile disagree (null when they agree or no GPU was read). */
  note: string | null;
}

const MiB_PER_GiB = 1024;

/**
 * The profile with the count and memory nvidia-smi reports: vLLM's --gpu-memory-utilization is a share of the real
 * GPU, so the lease counts what the machine has, not what the profile was written for. Without nvidia-smi (a CPU
 * machine, tests) the profile stands. GPUs of unequal size count as the smallest.
 */
export function machineCapacity(profile: GpuProfile, profileName: string, gpus: GpuInfo[] | null): GpuCapacity {
  if (!gpus?.length) return { gpu: profile, source: 'profile', note: null };
  const memory = Math.min(...gpus.map((g) => g.totalMiB)) / MiB_PER_GiB;
  const gpu: GpuProfile = { ...profile, name: gpus[0].name, count: gpus.length, memory_gib: Math.round(memory * 100) / 100 };
  const same = gpu.count === profile.count && Math.abs(gpu.memory_gib - profile.memory_gib) < 0.5;
  const note = same
    ? null
    : `GPU lease: nvidia-smi reports ${gpus.length} × ${gpus[0].name} (${gpu.memory_gib.toFixed(1)} GiB); profile ${profileName} says ${profile.count} × ${profile.memory_gib} GiB: leasing what nvidia-smi reports`;
  return { gpu, source: 'nvidia-smi', note };
}

/** machineCapacity with the GPUs read from nvidia-smi now ($EVALGRAPH_NVIDIA_SMI or PATH). */
export async function detectCapacity(profile: GpuProfile, profileName: string): Promise<GpuCapacity> {
  return machineCapacity(profile, profileName, await queryGpus());
}
