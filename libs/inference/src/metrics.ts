/** One Prometheus sample. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition format (comments skipped; NaN/Inf values kept as numbers). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[3]) {
      for (const lm of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    }
    const v = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    out.push({ name: m[1], labels, value: v });
  }
  return out;
}

/** The vLLM counters evalgraph reads. */
export interface VllmMetrics {
  promptTokens: number | null;
  generationTokens: number | null;
  /** KV-cache usage 0..1 (vllm:kv_cache_usage_perc, or vllm:gpu_cache_usage_perc in older vLLM). */
  kvCacheUsage: number | null;
  requestsRunning: number | null;
}

function total(samples: PromSample[], name: string): number | null {
  const hits = samples.filter((s) => s.name === name);
  return hits.length ? hits.reduce((a, s) => a + s.value, 0) : null;
}

function maxOf(samples: PromSample[], name: string): number | null {
  const hits = samples.filter((s) => s.name === name);
  return hits.length ? Math.max(...hits.map((s) => s.value)) : null;
}

/** Extracts the vLLM metrics evalgraph uses from parsed samples (summed over engines/labels). */
export function vllmMetrics(samples: PromSample[]): VllmMetrics {
  return {
    promptTokens: total(samples, 'vllm:prompt_tokens_total'),
    generationTokens: total(samples, 'vllm:generation_tokens_total'),
    kvCacheUsage: maxOf(samples, 'vllm:kv_cache_usage_perc') ?? maxOf(samples, 'vllm:gpu_cache_usage_perc'),
    requestsRunning: total(samples, 'vllm:num_requests_running'),
  };
}

/** GET <server>/metrics and extract the vLLM metrics; null when the server does not answer. */
export async function scrapeMetrics(serverRoot: string, timeoutMs = 5000): Promise<VllmMetrics | null> {
  try {
    const res = await fetch(`${serverRoot.replace(/\/+$/, '')}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    return vllmMetrics(parsePrometheus(await res.text()));
  } catch {
    return null;
  }
}

/** Polls /metrics during a run: the first and last counters and the peak KV-cache usage. */
export class MetricsWatcher {
  private timer: NodeJS.Timeout | null = null;
  first: VllmMetrics | null = null;
  last: VllmMetrics | null = null;
  kvCacheMax: number | null = null;

  constructor(private readonly serverRoot: string, private readonly intervalMs = 2000) {}

  private async poll(): Promise<void> {
    const m = await scrapeMetrics(this.serverRoot);
    if (!m) return;
    this.first ??= m;
    this.last = m;
    if (m.kvCacheUsage !== null) this.kvCacheMax = Math.max(this.kvCacheMax ?? 0, m.kvCacheUsage);
  }

  /** Takes a first reading, then polls in the background. */
  async start(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops polling after a last reading. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.poll();
  }

  /** Server-side token counts during the watch (null when /metrics did not answer). */
  deltas(): { promptTokens: number | null; generationTokens: number | null } {
    const d = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? null : b - a);
    return { promptTokens: d(this.first?.promptTokens, this.last?.promptTokens), generationTokens: d(this.first?.generationTokens, this.last?.generationTokens) };
  }
}
