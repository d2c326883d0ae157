import { storageLayout } from '@evalgraph/core';
import { cudaDeviceEnv } from './cuda-visible-devices';
import { ServerStartError } from './errors';
import { freePort, resolveVllmExecutable } from './proc';
import { ManagedServer, type ServerLaunch } from './server';
import type { ServerSpec } from './types';
import { buildVllmServeArgs } from './vllm-args';
import { vllmSetup } from './vllm-setup';

/** Knobs for starting a vLLM server from a ServerSpec. */
export interface VllmStartOptions {
  /** The vLLM executable (default: $EVALGRAPH_VLLM or `vllm` on PATH). */
  executable?: string;
  /** GPUs the server may use (CUDA_VISIBLE_DEVICES), from the GPU lease. */
  devices?: number[];
  env?: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
  graceMs?: number;
  pollIntervalMs?: number;
  gpuReleaseTimeoutMs?: number;
}

/** The launch (command, port, env) for a spec on a given port. */
export function vllmLaunch(spec: ServerSpec, port: number, opts: VllmStartOptions = {}): ServerLaunch {
  const executable = opts.executable ?? resolveVllmExecutable();
  // Flags are checked against this vLLM's own parser; the English filter takes the interface its version has.
  const setup = vllmSetup(spec, { executable, env: opts.env });
  const env: NodeJS.ProcessEnv = { ...opts.env, ...setup.env };
  const logitsProcessors = setup.logitsProcessors;
  if (opts.devices?.length) Object.assign(env, cudaDeviceEnv(opts.devices));
  // configs/storage.yaml with a path: weights and vLLM's compile/CUDA-graph caches persist there, so a later session
  // or another machine starts warm; one cache root per model and preset (the server's mode-independent flags).
  const storage = storageLayout(spec.workspaceRoot);
  if (storage.hfHome) env.HF_HOME = storage.hfHome;
  const vllmCache = storage.vllmCacheRoot(spec.modelName, spec.presetName);
  if (vllmCache) env.VLLM_CACHE_ROOT = vllmCache;
  const args = buildVllmServeArgs({
    modelName: spec.modelName,
    model: spec.model,
    preset: spec.preset,
    gpu: spec.gpu,
    workspaceRoot: spec.workspaceRoot,
    port,
    logitsProcessors,
    lora: spec.lora,
    flags: setup.flags,
  });
  return {
    executable,
    args,
    port,
    servedModelName: spec.modelName,
    logFile: spec.logFile,
    env,
    startTimeoutMs: opts.startTimeoutMs,
    graceMs: opts.graceMs,
    pollIntervalMs: opts.pollIntervalMs,
    gpuReleaseTimeoutMs: opts.gpuReleaseTimeoutMs,
  };
}

/**
 * Starts `vllm serve` for a spec on a free port and waits until it answers; a port taken between choosing
 * and binding it ("Address already in use") is retried once on a new port.
 */
export async function startVllmServer(spec: ServerSpec, opts: VllmStartOptions = {}): Promise<ManagedServer> {
  if (spec.backend !== 'vllm') throw new Error(`internal: ${spec.modelName} is served by "${spec.backend}", not started by evalgraph`);
  for (let attempt = 0; ; attempt++) {
    const launch = vllmLaunch(spec, await freePort(), opts);
    try {
      return await ManagedServer.start(launch);
    } catch (e) {
      if (attempt === 0 && e instanceof ServerStartError && e.reason === 'port-in-use') continue;
      throw e;
    }
  }
}
