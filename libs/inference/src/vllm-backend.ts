import { APIConnectionError, APIConnectionTimeoutError } from 'openai';
import type { EvalRequest, EvalResponse } from '@evalgraph/core';
import { InferenceClient } from './client';
import type { EnglishFilterDelivery } from './english-filter';
import { ServerCrashedError } from './errors';
import { MetricsWatcher } from './metrics';
import { GpuSampler } from './nvidia-smi';
import { outputAffectingArgs, type RequestCache } from './request-cache';
import { lookupCached, newCounters, requestAt, returnedResponses, runSetup, sendPending, type PendingRequest, type RunCounters, type RunnerContext } from './request-runner';
import { requestWorkTokens } from './work-estimate';
import type { BackoffOptions } from './retry';
import type { ModelServer } from './model-server';
import type { ServerPool } from './server-pool';
import type { Backend, CellRequestOptions, RequestSource, RunStats, ServerSpec } from './types';
import { sleep } from './proc';
import { mergedVllmFlags } from './vllm-args';
import { serverKind, vllmRuntimeVersion } from './runtime-version';
import { vllmSetup, type VllmSetup } from './vllm-setup';

export interface VllmBackendOptions {
  pool: ServerPool;
  cache?: RequestCache | null;
  /** How the English-only filter reaches the server (default: the start-up logits processor when the spec has it). */
  englishDelivery?: EnglishFilterDelivery;
  backoff?: BackoffOptions;
  metricsIntervalMs?: number;
  gpuSampleIntervalMs?: number;
  /** The vLLM version for request-cache keys (default: vllmRuntimeVersion, memoized). */
  runtimeVersion?: () => string | null;
}

/** How long a connection error waits for the server's exit to show before it counts as an ordinary failure. */
const CRASH_CONFIRM_MS = 500;

/** The `runtime` part of a vLLM request-cache key: "vllm <version>", or "vllm" when the version is unknown. */
export function vllmCacheRuntime(version: string | null): string {
  return version ? `vllm ${version}` : 'vllm';
}

/**
 * A vLLM server from the pool (started on first use, shared with the other cells of the model) plus the
 * request cache. A server that crashes mid-run is restarted once by the pool and the unfinished requests
 * are sent again; finished ones come from the cache.
 */
export class VllmBackend implements Backend {
  readonly kind = 'vllm' as const;
  private server: ModelServer | null = null;
  private version: string | null = null;
  private released = false;
  private setupMemo: VllmSetup | null = null;
  /** The server this cell holds until close() (its requests went whole); parts of a divisible cell hold theirs only while they run. */
  private held: ModelServer | null = null;
  /** Every server that answered a part of this cell. */
  private readonly servedBy = new Set<ModelServer>();

  constructor(readonly spec: ServerSpec, private readonly opts: VllmBackendOptions) {}

  /**
   * Which server produced the numbers; the stand-in says so (never "vllm"). Complete after the first run(). A
   * cell answered wholly from the request cache started no server: its answers came from the runtime version
   * in their cache keys, which is the one installed now.
   */
  describe(): ReturnType<Backend['describe']> {
    const version = this.version ?? this.runtimeVersion();
    const setup = this.setup();
    const english = this.spec.englishOnly ? { english_filter: this.englishDelivery() === 'allowed-token-ids' ? 'per-request allowed_token_ids' : (setup.english?.describe ?? 'logits processor') } : {};
    const slurm = this.server?.slurm ? { slurm: this.server.slurm } : {};
    // Where the lease read nvidia-smi, spec.gpu is the GPU found, not the profile: the memory gate divides by it.
    const devices = this.spec.gpuDevices && !this.server?.slurm ? this.server?.devices : null;
    const gpus = devices?.length ? { gpus: { devices, name: this.spec.gpu.name, memory_gib: this.spec.gpu.memory_gib } } : {};
    const replicas = this.servedBy.size > 1 ? { replicas: this.servedBy.size } : {};
    return { kind: serverKind(version), version, command: this.server?.command ?? null, flags: setup.flags.label, ...english, ...slurm, ...gpus, ...replicas };
  }

  /** The installed vLLM's flag list and English-filter plan for this spec (resolved once). */
  private setup(): VllmSetup {
    this.setupMemo ??= vllmSetup(this.spec);
    return this.setupMemo;
  }

  /** The start-up processor only exists on servers started with englishOnly whose vLLM has an interface for it. */
  private englishDelivery(): EnglishFilterDelivery {
    if (!this.spec.englishOnly) return 'allowed-token-ids';
    return this.opts.englishDelivery ?? this.setup().english?.delivery ?? 'logits-processor';
  }

  private runtimeVersion(): string | null {
    return (this.opts.runtimeVersion ?? vllmRuntimeVersion)();
  }

  private async ensureServer(work?: number): Promise<ModelServer> {
    if (this.released) throw new Error(`${this.spec.key}: backend already closed`);
    if (!this.held) {
      this.held = await this.opts.pool.acquire(this.spec, { work });
      this.server = this.held;
      this.version = await this.held.version();
    }
    return this.held;
  }

  private client(server: ModelServer): InferenceClient {
    const p = this.spec.preset;
    return new InferenceClient({
      baseURL: `${server.baseUrl}/v1`,
      concurrency: p.concurrency,
      limit: this.opts.pool.limiter(this.spec, server),
      timeoutMs: p.request_timeout_s * 1000,
      maxRetries: p.max_retries,
      backoff: this.opts.backoff,
      shouldStop: async (e) => {
        // A dropped connection is how a crash looks from here, and the process's exit can lag behind it by a
        // moment: look again briefly before calling it an ordinary failed request.
        if (!server.hasExited && e instanceof APIConnectionError && !(e instanceof APIConnectionTimeoutError)) {
          for (let waited = 0; waited < CRASH_CONFIRM_MS && !server.hasExited; waited += 25) await sleep(25);
        }
        return server.hasExited
          ? new ServerCrashedError(
              `${this.spec.modelName}: the vLLM server exited during the run (${server.exit ? (server.exit.signal ?? `exit code ${server.exit.code}`) : 'exit status not yet known'})`,
              this.spec.logFile,
              server.logTail(),
            )
          : null;
      },
    });
  }

  /** Sends the requests (through the request cache); responses in request order. No cache miss, no server. */
  async run(requests: RequestSource, opts: CellRequestOptions): Promise<{ responses: EvalResponse[]; stats: RunStats }> {
    const t0 = performance.now();
    const counters = newCounters();
    const responses: (EvalResponse | undefined)[] = new Array(requests.length);
    const { ctx: base, englishFilter } = runSetup(this.spec, opts, {
      cache: this.opts.cache ?? null,
      englishDelivery: this.englishDelivery(),
      cacheKey: () => ({ runtime: vllmCacheRuntime(this.runtimeVersion()), serverArgs: this.serverArgs() }),
    });
    const pending = lookupCached(requests, responses, opts, base, counters);
    const stats = (extra: Partial<RunStats>): RunStats => ({
      total: requests.length,
      ...counters,
      wallMs: performance.now() - t0,
      peakGpuMemoryGiB: null,
      kvCacheUsageMax: null,
      englishFilter,
      serverTokens: null,
      restarts: 0,
      ...extra,
    });
    if (pending.length === 0) return { responses: returnedResponses(responses, opts), stats: stats({}) };

    const work = (part: PendingRequest[]) => part.reduce((n, p) => n + requestWorkTokens(requestAt(requests, p.i), opts.maxTokens), 0);
    const size = this.opts.pool.chunkSize(this.spec);
    if (pending.length <= size || this.held) {
      const server = await this.ensureServer(work(pending));
      const part = await this.sendOn(server, requests, pending, responses, opts, base, counters, (s) => (this.held = this.server = s));
      return { responses: returnedResponses(responses, opts), stats: stats(part) };
    }
    if (this.released) throw new Error(`${this.spec.key}: backend already closed`);
    // Divisible cell: its requests in parts, each taking a server slot of its own, so the model's servers share
    // the cell (a GPU freed late takes part of it) and no server ends long after the others with a whole cell.
    const parts: PendingRequest[][] = [];
    for (let i = 0; i < pending.length; i += size) parts.push(pending.slice(i, i + size));
    // Every part is a unit of its own; the cell's unit stays registered until close(), so the model's last server is
    // not stopped between two runs of one cell.
    this.opts.pool.register(this.spec, parts.length);
    const results = await Promise.allSettled(
      parts.map(async (part) => {
        let server: ModelServer | null = null;
        try {
          server = await this.opts.pool.acquire(this.spec, { work: work(part) });
          this.servedBy.add(server);
          if (!this.server) {
            this.server = server;
            this.version = await server.version();
          }
          return await this.sendOn(server, requests, part, responses, opts, base, counters, (s) => this.servedBy.add((server = s)));
        } finally {
          if (server) await this.opts.pool.release(this.spec, server);
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const done = results.map((r) => (r as PromiseFulfilledResult<Partial<RunStats>>).value);
    const max = (xs: (number | null | undefined)[]) => (xs.some((x) => x != null) ? Math.max(...xs.map((x) => x ?? 0)) : null);
    const froms = done.map((d) => d.served?.from ?? Infinity);
    const tos = done.map((d) => d.served?.to ?? -Infinity);
    return {
      responses: returnedResponses(responses, opts),
      stats: stats({
        peakGpuMemoryGiB: max(done.map((d) => d.peakGpuMemoryGiB)),
        kvCacheUsageMax: max(done.map((d) => d.kvCacheUsageMax)),
        // Each part's counters are its server's, which other parts of this cell shared: not one cell's tokens.
        serverTokens: null,
        restarts: done.reduce((n, d) => n + (d.restarts ?? 0), 0),
        served: { from: Math.min(...froms), to: Math.max(...tos) },
      }),
    };
  }

  /** Sends `pending` to one server (restarting it through the pool after a crash); the stats of that server over it. */
  private async sendOn(
    first: ModelServer,
    requests: RequestSource,
    pendingIn: PendingRequest[],
    responses: (EvalResponse | undefined)[],
    opts: CellRequestOptions,
    base: Omit<RunnerContext, 'client'>,
    counters: RunCounters,
    onRestart: (s: ModelServer) => void,
  ): Promise<Partial<RunStats>> {
    let server = first;
    let pending = pendingIn;
    const servedFrom = Date.now();
    const sampler = new GpuSampler(() => server.allPids(), undefined, this.opts.gpuSampleIntervalMs ?? 1000, server.devices);
    sampler.start();
    const serverTokens: { prompt: number | null; generation: number | null } = { prompt: 0, generation: 0 };
    let kvMax: number | null = null;
    let restarts = 0;
    let watcher = new MetricsWatcher(server.baseUrl, this.opts.metricsIntervalMs ?? 2000);
    await watcher.start();
    const closeWatcher = async () => {
      await watcher.stop();
      const d = watcher.deltas();
      serverTokens.prompt = d.promptTokens === null || serverTokens.prompt === null ? null : serverTokens.prompt + d.promptTokens;
      serverTokens.generation = d.generationTokens === null || serverTokens.generation === null ? null : serverTokens.generation + d.generationTokens;
      if (watcher.kvCacheMax !== null) kvMax = Math.max(kvMax ?? 0, watcher.kvCacheMax);
    };
    try {
      for (;;) {
        try {
          await sendPending(requests, pending, responses, opts, { ...base, client: this.client(server) }, counters);
          break;
        } catch (e) {
          if (!(e instanceof ServerCrashedError)) throw e;
          await closeWatcher();
          server = await this.opts.pool.restart(this.spec, server); // throws once the restart limit is spent
          onRestart(server);
          restarts++;
          pending = pending.filter((p) => responses[p.i] === undefined);
          watcher = new MetricsWatcher(server.baseUrl, this.opts.metricsIntervalMs ?? 2000);
          await watcher.start();
        }
      }
    } finally {
      await closeWatcher();
      await sampler.stop();
    }
    return { peakGpuMemoryGiB: sampler.peakGiB(), kvCacheUsageMax: kvMax, serverTokens, restarts, served: { from: servedFrom, to: Date.now() } };
  }

  /** Output-affecting server flags for the request-cache key (no server needed). */
  private serverArgs(): Record<string, string | number | boolean> {
    const setup = this.setup();
    const args = outputAffectingArgs(
      mergedVllmFlags({
        modelName: this.spec.modelName,
        model: this.spec.model,
        preset: this.spec.preset,
        gpu: this.spec.gpu,
        workspaceRoot: this.spec.workspaceRoot,
        port: 0,
        logitsProcessors: setup.logitsProcessors,
        flags: setup.flags,
        lora: this.spec.lora,
      }),
    );
    return this.spec.requestModel !== undefined && this.spec.requestModel !== this.spec.modelName ? { ...args, 'lora-adapter': `${this.spec.requestModel}@sha256:${this.spec.adapterDigest ?? 'unknown'}` } : args;
  }

  /** Releases this cell's hold on the shared server (the pool stops it after the last cell). */
  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.held) await this.opts.pool.release(this.spec, this.held);
    else await this.opts.pool.skip(this.spec);
  }
}
