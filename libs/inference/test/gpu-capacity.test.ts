import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { serverMemoryGiB } from '@evalgraph/core';
import { cudaDeviceEnv, visibleGpus } from '../src/cuda-visible-devices';
import { GpuVisibilityError } from '../src/errors';
import { detectCapacity, machineCapacity } from '../src/gpu-capacity';
import type { GpuInfo } from '../src/nvidia-smi';
import { gpu, preset } from './helpers';

const h200 = (index: number, totalMiB = 143771): GpuInfo => ({ index, name: 'NVIDIA H200', totalMiB, usedMiB: 0, freeMiB: totalMiB, driver: '580.159.04', uuid: `GPU-${index}a5e0c7d-1111-2222-3333-44445555666${index}` });
const eight = Array.from({ length: 8 }, (_, i) => h200(i));

describe('the GPU lease counts the GPUs nvidia-smi reports', () => {
  it('keeps the profile where nvidia-smi gives nothing (a CPU machine)', () => {
    const p = gpu({ memory_gib: 79.6, count: 1 });
    expect(machineCapacity(p, 'h100-80gb', null)).toEqual({ gpu: p, source: 'profile', devices: null, note: null });
    expect(machineCapacity(p, 'h100-80gb', [])).toMatchObject({ source: 'profile' });
  });

  it('an h100-80gb profile on an H200: 140.4 GiB per GPU, so 0.3 of it is 42 GiB and three servers fit', () => {
    const cap = machineCapacity(gpu({ memory_gib: 79.6, count: 1 }), 'h100-80gb', [h200(0)]);
    expect(cap.source).toBe('nvidia-smi');
    expect(cap.gpu).toMatchObject({ name: 'NVIDIA H200', count: 1, memory_gib: 140.4 });
    expect(cap.note).toBe('GPU lease: nvidia-smi reports 1 × NVIDIA H200 (140.4 GiB); profile h100-80gb says 1 × 79.6 GiB: leasing what nvidia-smi reports');
    expect(3 * serverMemoryGiB(preset({ gpu_memory_utilization: 0.3 }), cap.gpu)).toBeLessThanOrEqual(cap.gpu.memory_gib);
    expect(2 * serverMemoryGiB(preset({ gpu_memory_utilization: 0.85 }), cap.gpu)).toBeGreaterThan(cap.gpu.memory_gib);
  });

  it('takes the count from the machine and the smallest GPU, and says nothing when the profile is right', () => {
    const cap = machineCapacity(gpu({ memory_gib: 140.4, count: 8 }), 'h200-141gb-x8', [h200(0), h200(1, 81559)]);
    expect(cap.gpu).toMatchObject({ count: 2, memory_gib: 79.65 });
    expect(cap.note).toContain('2 × NVIDIA H200 (79.7 GiB)');
    expect(machineCapacity(gpu({ memory_gib: 140.4, count: 2 }), 'x', [h200(0), h200(1)]).note).toBeNull();
  });

  it('reads nvidia-smi through $EVALGRAPH_NVIDIA_SMI (the fake reports H100s)', async () => {
    const before = { smi: process.env.EVALGRAPH_NVIDIA_SMI, n: process.env.FAKE_SMI_GPUS };
    process.env.EVALGRAPH_NVIDIA_SMI = join(__dirname, 'fixtures/fake-nvidia-smi/nvidia-smi');
    process.env.FAKE_SMI_GPUS = '4';
    try {
      const cap = await detectCapacity(gpu({ memory_gib: 79.6, count: 8 }), 'h100-80gb-x8');
      expect(cap).toMatchObject({ source: 'nvidia-smi', gpu: { count: 4, memory_gib: 79.65, name: 'NVIDIA H100 80GB HBM3' } });
      expect(cap.note).toContain('nvidia-smi reports 4 × NVIDIA H100 80GB HBM3');
    } finally {
      for (const [k, v] of [['EVALGRAPH_NVIDIA_SMI', before.smi], ['FAKE_SMI_GPUS', before.n]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });
});

describe('CUDA_VISIBLE_DEVICES limits the GPUs the lease hands out', () => {
  it('unset: every GPU nvidia-smi lists', () => {
    expect(visibleGpus(eight, {}).map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(machineCapacity(gpu({ memory_gib: 140.4, count: 8 }), 'x8', eight, {})).toMatchObject({ devices: [0, 1, 2, 3, 4, 5, 6, 7], note: null });
  });

  it('nvidia-smi indices and GPU UUIDs (or a unique prefix, as CUDA accepts) name the GPUs; the count and the note follow', () => {
    expect(visibleGpus(eight, { CUDA_VISIBLE_DEVICES: '6, 2' }).map((g) => g.index)).toEqual([6, 2]);
    expect(visibleGpus(eight, { CUDA_VISIBLE_DEVICES: 'GPU-3a5e0c7d,1' }).map((g) => g.index)).toEqual([3, 1]);
    const cap = machineCapacity(gpu({ memory_gib: 140.4, count: 8 }), 'h200-141gb-x8', eight, { CUDA_VISIBLE_DEVICES: '2,3' });
    expect(cap.devices).toEqual([2, 3]);
    expect(cap.gpu.count).toBe(2);
    expect(cap.note).toContain('(CUDA_VISIBLE_DEVICES: GPU 2, 3 of 8)');
  });

  it('a value the lease cannot honour is one error naming the variable and the fix', () => {
    const bad = (v: string) => () => visibleGpus(eight, { CUDA_VISIBLE_DEVICES: v });
    expect(bad('9')).toThrow(GpuVisibilityError);
    expect(bad('1,9')).toThrow(/CUDA_VISIBLE_DEVICES=1,9 names "9", which is no GPU nvidia-smi lists \(0 \(GPU-0a5e.*— fix: use nvidia-smi's indices or GPU UUIDs, or unset it/);
    expect(bad('')).toThrow(/hides every GPU.*fix: unset it/);
    expect(bad('-1')).toThrow(/hides every GPU/);
    expect(bad('MIG-4f1e2d3c-aaaa-bbbb-cccc-000011112222')).toThrow(/MIG instance.*endpoint backend/);
    expect(bad('GPU-')).toThrow(/"GPU-" starts the UUID of GPUs 0, 1, 2, 3, 4, 5, 6, 7 — fix: give enough of the UUID/);
  });

  it('servers and training get nvidia-smi indices in PCI bus order, which is how nvidia-smi numbers them', () => {
    expect(cudaDeviceEnv([5, 6])).toEqual({ CUDA_VISIBLE_DEVICES: '5,6', CUDA_DEVICE_ORDER: 'PCI_BUS_ID' });
  });
});
