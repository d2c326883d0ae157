import pLimit from 'p-limit';
import { MissingDependencyError, type EvalRequest, type EvalResponse } from '@evalgraph/core';
import { InferenceClient } from './client';
import { MetricsWatcher } from './metrics';
import type { RequestCache } from './request-cache';
import { lookupCached, newCounters, returnedResponses, runSetup, sendPending } from './request-runner';
import type { BackoffOptions } from './retry';
import type { Backend, CellRequestOptions, RequestSource, RunStats, ServerSpec } from './types';

/** `http://host:8000` or `http://host:8000/v1/` → the /v1 base URL and the server root (for /metrics, /version). */
export function endpointUrls(endpoint: string): { baseURL: string; root: string; origin: string } {
  const u = new URL(endpoint);
  const path = u.pathname.replace(/\/+$/, '');
  const basePath = path.endsWith('/v1') ? path : `${path}/v1`;
  const root = `${u.protocol}//${u.host}${basePath.slice(0, -3)}`;
  // origin only: credentials in the URL (user:pass@) never reach a cache key or a log
  return { baseURL: `${u.protocol}//${u.host}${basePath}`, root, origin: `${u.protocol}//${u.host}` };
}

const limiters = new Map<string, ReturnType<typeof pLimit>>();

/**
 * One request limiter per endpoint and server key (model, preset, ...) for the whole process, as the vLLM pool
 * has per server: the cells of a batch run at once, and without it each cell's own preset.concurrency would add
 * up (306 cells × 64 requests in flight exhausted file descriptors and the server's backlog).
 */
function sharedLimiter(origin: string, spec: ServerSpec): ReturnType<typeof pLimit> {
  const key = `${origin}|${spec.key}`;
  let l = limiters.get(key);
  if (!l) {
    l = pLimit(Math.max(1, spec.preset.concurrency));
    limiters.set(key, l);
  }
  return l;
}

export interface EndpointBackendOptions {
  cache?: RequestCache | null;
  backoff?: BackoffOptions;
  env?: NodeJS.ProcessEnv;
  metricsIntervalMs?: number;
}

/**
 * An existing OpenAI-compatible server named by the model's `endpoint:`; evalgraph never starts or stops it.
 * The API key comes from the env var the model names (`api_key_env`) and is only ever sent as a header.
 * The English-only filter can only go per request (allowed_token_ids) since the server is not ours to start.
 */
export class EndpointBackend implements Backend {
  readonly kind = 'endpoint' as const;
  private version: string | null = null;
  private readonly urls: ReturnType<typeof endpointUrls>;

  constructor(readonly spec: ServerSpec, private readonly opts: EndpointBackendOptions = {}) {
    if (!spec.model.endpoint) throw new Error(`internal: ${spec.modelName} has no endpoint`);
    this.urls = endpointUrls(spec.model.endpoint);
  }

  /** The endpoint as run provenance (its /version when it answers; never the key). */
  describe(): { kind: string; version: string | null; command: string[] | null } {
    return { kind: `endpoint ${this.urls.origin}`, version: this.version, command: null };
  }

  private apiKey(): string | undefined {
    const name = this.spec.model.api_key_env;
    if (!name) return undefined;
    const v = (this.opts.env ?? process.env)[name];
    if (!v) {
      throw new MissingDependencyError(`${this.spec.modelName}: the endpoint's API key variable ${name} is not set`, `export ${name}=... (the key is read from the environment only, never from config files)`);
    }
    return v;
  }

  /** Sends the requests (through the request cache); responses in request order. */
  async run(requests: RequestSource, opts: CellRequestOptions): Promise<{ responses: EvalResponse[]; stats: RunStats }> {
    const t0 = performance.now();
    const counters = newCounters();
    const responses: (EvalResponse | undefined)[] = new Array(requests.length);
    const { ctx: base, englishFilter } = runSetup(this.spec, opts, {
      cache: this.opts.cache ?? null,
      // the server is not ours to start with a logits processor
      englishDelivery: 'allowed-token-ids',
      cacheKey: () => ({ runtime: `endpoint:${this.urls.origin}`, serverArgs: {} }),
    });
    const pending = lookupCached(requests, responses, opts, base, counters);
    let kv: number | null = null;
    let serverTokens: RunStats['serverTokens'] = null;
    let served: RunStats['served'] = null;
    if (pending.length) {
      const p = this.spec.preset;
      const client = new InferenceClient({
        baseURL: this.urls.baseURL,
        apiKey: this.apiKey(),
        concurrency: p.concurrency,
        limit: sharedLimiter(this.urls.origin, this.spec),
        timeoutMs: p.request_timeout_s * 1000,
        maxRetries: p.max_retries,
        backoff: this.opts.backoff,
      });
      this.version ??= await fetchVersion(this.urls.root);
      const watcher = new MetricsWatcher(this.urls.root, this.opts.metricsIntervalMs ?? 2000);
      await watcher.start();
      const from = Date.now();
      try {
        await sendPending(requests, pending, responses, opts, { ...base, client }, counters);
      } finally {
        await watcher.stop();
      }
      served = { from, to: Date.now() };
      kv = watcher.kvCacheMax;
      const d = watcher.deltas();
      serverTokens = d.promptTokens === null && d.generationTokens === null ? null : { prompt: d.promptTokens, generation: d.generationTokens };
    }
    return {
      responses: returnedResponses(responses, opts),
      stats: { total: requests.length, ...counters, wallMs: performance.now() - t0, peakGpuMemoryGiB: null, kvCacheUsageMax: kv, englishFilter, serverTokens, restarts: 0, served },
    };
  }

  /** Nothing to stop: the endpoint is not ours. */
  async close(): Promise<void> {
    // evalgraph never stops an endpoint it did not start
  }
}

async function fetchVersion(root: string): Promise<string | null> {
  try {
    const res = await fetch(`${root}/version`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return null;
    const v = ((await res.json()) as { version?: unknown }).version;
    return typeof v === 'string' ? v : null;
  } catch {
    return null;
  }
}
