import { readdirSync } from 'node:fs';
import { storageLayout, type ModelMode } from '@evalgraph/core';
import { InferenceClient } from './client';
import { buildRequestBody } from './modes';
import { GpuSampler, nvidiaSmiPath, queryGpus } from './nvidia-smi';
import { findExecutable } from './proc';
import { serverKind } from './runtime-version';
import type { ModelServer } from './model-server';
import type { StopReport } from './server';
import { ServerPool } from './server-pool';
import type { ServerSpec } from './types';

export type CheckStatus = 'passed' | 'failed' | 'not measured' | 'skipped';

/** One model × preset coverage result (the plan's model coverage test). */
export interface CoverageResult {
  model: string;
  preset: string;
  gpu: string;
  /** Overall: never "passed" without a GPU. */
  status: 'passed' | 'failed' | 'not measured: no GPU';
  reason: string;
  server: { kind: string; version: string | null; command: string[] | null };
  checks: {
    /**
     * `cache`: whether this start found vLLM's compile/CUDA-graph cache of its model and preset on the storage path
     * (warm) or an empty one (cold); unknown without `model_caches` storage (docs/storage.md). Cold and warm starts
     * are reported under their own label, never averaged.
     */
    load: { status: CheckStatus; seconds: number | null; detail: string; cache?: StartCache };
    warmup: { status: CheckStatus; seconds: number | null; detail: string };
    generate: { status: CheckStatus; requests: number; completionTokens: number; seconds: number | null; tokensPerSecond: number | null; thresholdTokensPerSecond: number; detail: string };
    memory: { status: CheckStatus; peakGiB: number | null; fraction: number | null; thresholdFraction: number; detail: string };
    shutdown: { status: CheckStatus; graceful: boolean | null; portClosed: boolean | null; gpuReleased: boolean | null; detail: string };
  };
}

/** A server start's compile-cache state, from the storage path's VLLM_CACHE_ROOT of the model and preset. */
export type StartCache = 'cold' | 'warm' | 'unknown';

/** Whether a server of this spec starts with a filled VLLM_CACHE_ROOT (what vLLM writes there on its first start). */
export function startCache(spec: ServerSpec): StartCache {
  const root = storageLayout(spec.workspaceRoot).vllmCacheRoot(spec.modelName, spec.presetName);
  if (!root) return 'unknown';
  try {
    return readdirSync(root).length > 0 ? 'warm' : 'cold';
  } catch {
    return 'cold';
  }
}

export interface CoverageOptions {
  spec: ServerSpec;
  /** Pool to start the server in (its GPU lease keeps coverage runs of big models apart); default a new one. */
  pool?: ServerPool;
  requests?: number;
  maxTokens?: number;
  thresholdTokensPerSecond?: number;
  thresholdMemoryFraction?: number;
  gpuSampleIntervalMs?: number;
  env?: NodeJS.ProcessEnv;
}

/**
 * Loads the model, warms it up, generates `requests` × `maxTokens` tokens (ignore_eos, so every request
 * produces exactly maxTokens), and checks throughput against 100 tok/s, peak GPU memory against 80% of the
 * GPU, and that the memory came back after shutdown. Without a GPU the result is "not measured: no GPU".
 */
export async function runCoverage(opts: CoverageOptions): Promise<CoverageResult> {
  const { spec } = opts;
  const env = opts.env ?? process.env;
  const thresholdTps = opts.thresholdTokensPerSecond ?? 100;
  const thresholdMem = opts.thresholdMemoryFraction ?? 0.8;
  const nRequests = opts.requests ?? Math.min(64, Math.max(8, spec.preset.concurrency));
  const maxTokens = opts.maxTokens ?? 256;
  const smi = nvidiaSmiPath(env);
  const gpus = smi ? await queryGpus(smi) : null;
  const hasGpu = !!gpus && gpus.length > 0;
  const result: CoverageResult = {
    model: spec.modelName,
    preset: spec.presetName,
    gpu: spec.gpuName,
    status: hasGpu ? 'failed' : 'not measured: no GPU',
    reason: '',
    server: { kind: 'vllm', version: null, command: null },
    checks: {
      load: { status: 'skipped', seconds: null, detail: '' },
      warmup: { status: 'skipped', seconds: null, detail: '' },
      generate: { status: 'skipped', requests: nRequests, completionTokens: 0, seconds: null, tokensPerSecond: null, thresholdTokensPerSecond: thresholdTps, detail: '' },
      memory: { status: hasGpu ? 'skipped' : 'not measured', peakGiB: null, fraction: null, thresholdFraction: thresholdMem, detail: hasGpu ? '' : 'no GPU (nvidia-smi not found)' },
      shutdown: { status: 'skipped', graceful: null, portClosed: null, gpuReleased: null, detail: '' },
    },
  };
  if (spec.backend !== 'vllm') {
    result.status = 'failed';
    result.reason = `coverage starts vLLM; ${spec.modelName} uses the ${spec.backend} backend`;
    return result;
  }
  const vllm = findExecutable(env.EVALGRAPH_VLLM || 'vllm', env.PATH ?? '');
  if (!vllm) {
    result.reason = hasGpu ? 'vLLM is not installed (`vllm` not on PATH)' : 'no GPU and no vLLM: nothing measured';
    result.checks.load = { status: hasGpu ? 'failed' : 'not measured', seconds: null, detail: 'vllm not on PATH (set EVALGRAPH_VLLM)' };
    return result;
  }

  const pool = opts.pool ?? new ServerPool({ workspaceRoot: spec.workspaceRoot });
  const ownPool = !opts.pool;
  const sampler = new GpuSampler(() => server?.allPids() ?? [], smi, opts.gpuSampleIntervalMs ?? 500);
  let server: ModelServer | null = null;
  const failures: string[] = [];
  sampler.start();
  try {
    const cache = startCache(spec);
    const t0 = performance.now();
    try {
      pool.register(spec, 1);
      server = await pool.acquire(spec);
      result.checks.load = { status: 'passed', seconds: (performance.now() - t0) / 1000, detail: `ready at ${server.baseUrl}`, cache };
      const version = await server.version();
      result.server = { kind: serverKind(version), version, command: server.command };
    } catch (e) {
      result.checks.load = { status: 'failed', seconds: (performance.now() - t0) / 1000, detail: (e as Error).message, cache };
      failures.push('load failed');
      throw e;
    }
    const mode: ModelMode = spec.model.modes[spec.model.default_mode];
    const client = new InferenceClient({ baseURL: `${server.baseUrl}/v1`, concurrency: nRequests, timeoutMs: spec.preset.request_timeout_s * 1000, maxRetries: 0 });
    const body = (i: number, tokens: number) => ({
      ...buildRequestBody(
        { kind: 'chat', messages: [{ role: 'user', content: `Write a long story about lighthouse number ${i}.` }], sample_index: i },
        { servedModel: spec.modelName, mode, maxTokens: tokens },
      ).body,
      ignore_eos: true,
    });
    const tw = performance.now();
    await client.chat(body(0, 16));
    result.checks.warmup = { status: 'passed', seconds: (performance.now() - tw) / 1000, detail: 'one 16-token request' };
    const tg = performance.now();
    const calls = await Promise.all(Array.from({ length: nRequests }, (_, i) => client.chat(body(i + 1, maxTokens))));
    const seconds = (performance.now() - tg) / 1000;
    const tokens = calls.reduce((s, c) => s + (c.data.usage?.completion_tokens ?? 0), 0);
    const tps = tokens / seconds;
    const genOk = tps >= thresholdTps;
    result.checks.generate = {
      status: hasGpu ? (genOk ? 'passed' : 'failed') : 'not measured',
      requests: nRequests,
      completionTokens: tokens,
      seconds,
      tokensPerSecond: tps,
      thresholdTokensPerSecond: thresholdTps,
      detail: `${tokens} tokens in ${seconds.toFixed(2)} s over ${nRequests} concurrent requests${hasGpu ? '' : ' (no GPU: the number is not a GPU measurement)'}`,
    };
    if (hasGpu && !genOk) failures.push(`throughput ${tps.toFixed(0)} tok/s < ${thresholdTps}`);
  } catch (e) {
    if (!failures.length) failures.push((e as Error).message.split('\n')[0]);
  } finally {
    await sampler.stop();
    if (hasGpu) {
      const peak = sampler.peakGiB();
      const totalGiB = (gpus?.[0]?.totalMiB ?? spec.gpu.memory_gib * 1024) / 1024;
      const fraction = peak === null ? null : peak / totalGiB;
      const ok = fraction !== null && fraction < thresholdMem;
      result.checks.memory = {
        status: fraction === null ? 'failed' : ok ? 'passed' : 'failed',
        peakGiB: peak,
        fraction,
        thresholdFraction: thresholdMem,
        detail: peak === null ? 'no nvidia-smi sample' : `peak ${peak.toFixed(1)} GiB of ${totalGiB.toFixed(1)} GiB (${(100 * (fraction ?? 0)).toFixed(0)}%)`,
      };
      if (!ok) failures.push(`peak GPU memory ${result.checks.memory.detail} is not below ${thresholdMem * 100}%`);
    }
    if (server) {
      await pool.release(spec);
      const stop: StopReport | undefined = pool.stops.filter((s) => s.key === spec.key).pop()?.report;
      if (stop) {
        const released = stop.gpu.released;
        const ok = stop.portClosed && released !== false;
        result.checks.shutdown = {
          status: ok ? (hasGpu ? 'passed' : 'not measured') : 'failed',
          graceful: stop.graceful,
          portClosed: stop.portClosed,
          gpuReleased: released,
          detail: `${stop.graceful ? 'exited on SIGTERM' : 'needed SIGKILL'}; port ${stop.portClosed ? 'closed' : 'still open'}; ${stop.gpu.detail}`,
        };
        if (!ok) failures.push(`shutdown: ${result.checks.shutdown.detail}`);
      }
    }
    if (ownPool) await pool.closeAll();
  }
  if (!hasGpu) {
    result.reason = `no GPU: load/generate ran against ${result.server.kind}${failures.length ? `, and failed: ${failures.join('; ')}` : ''}; throughput and memory are not measured`;
    return result;
  }
  result.status = failures.length ? 'failed' : 'passed';
  result.reason = failures.length ? failures.join('; ') : 'loaded, generated above the throughput threshold, stayed under the memory threshold and released its memory';
  return result;
}
