import { GpuVisibilityError } from './errors';
import type { GpuInfo } from './nvidia-smi';

/**
 * The GPUs evalgraph may place servers and training on: those $CUDA_VISIBLE_DEVICES names (nvidia-smi indices or
 * GPU UUIDs, as CUDA accepts them), or every GPU nvidia-smi lists when it is unset. nvidia-smi ignores the variable,
 * so without this a user who set CUDA_VISIBLE_DEVICES=2,3 to stay off a colleague's GPUs would get GPU 0.
 * Throws GpuVisibilityError for a value the lease cannot honour (empty, MIG instances, a GPU nvidia-smi does not list).
 */
export function visibleGpus(gpus: GpuInfo[], env: NodeJS.ProcessEnv = process.env): GpuInfo[] {
  const raw = env.CUDA_VISIBLE_DEVICES;
  if (raw === undefined) return gpus;
  const listed = gpus.map((g) => `${g.index}${g.uuid ? ` (${g.uuid})` : ''}`).join(', ');
  const entries = raw.split(',').map((s) => s.trim());
  if (entries.every((e) => e === '') || entries[0] === '-1') {
    throw new GpuVisibilityError(`CUDA_VISIBLE_DEVICES=${JSON.stringify(raw)} hides every GPU, so no vLLM server or training run can start here`, `unset it, or list the GPUs evalgraph may use (nvidia-smi lists ${listed || 'none'})`);
  }
  const out: GpuInfo[] = [];
  for (const e of entries) {
    if (/^MIG-/i.test(e)) {
      throw new GpuVisibilityError(`CUDA_VISIBLE_DEVICES names a MIG instance (${e}); evalgraph's GPU lease places servers on whole GPUs by nvidia-smi index`, `list whole GPUs (nvidia-smi lists ${listed}), or run the server yourself and use the endpoint backend`);
    }
    const matches = /^\d+$/.test(e) ? gpus.filter((x) => x.index === Number(e)) : gpus.filter((x) => x.uuid && /^GPU-/i.test(e) && x.uuid.toLowerCase().startsWith(e.toLowerCase()));
    if (matches.length > 1) throw new GpuVisibilityError(`CUDA_VISIBLE_DEVICES=${raw}: "${e}" starts the UUID of GPUs ${matches.map((x) => x.index).join(', ')}`, 'give enough of the UUID to name one GPU');
    const g = matches[0];
    if (!g) throw new GpuVisibilityError(`CUDA_VISIBLE_DEVICES=${raw} names "${e}", which is no GPU nvidia-smi lists (${listed || 'none'})`, "use nvidia-smi's indices or GPU UUIDs, or unset it");
    if (!out.includes(g)) out.push(g);
  }
  return out;
}

/**
 * The environment that pins a process to leased GPUs. The lease counts in nvidia-smi's indices (PCI bus order); CUDA
 * numbers GPUs fastest first unless told otherwise, which differs on hosts with mixed GPUs.
 */
export function cudaDeviceEnv(devices: number[]): { CUDA_VISIBLE_DEVICES: string; CUDA_DEVICE_ORDER: 'PCI_BUS_ID' } {
  return { CUDA_VISIBLE_DEVICES: devices.join(','), CUDA_DEVICE_ORDER: 'PCI_BUS_ID' };
}
