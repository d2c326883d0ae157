import { SampleResult, type DatasetRecord, type EvalRequest, type EvalResponse } from '@evalgraph/core';
import type { Backend, CellRequestOptions, RequestSource, RunStats } from '@evalgraph/inference';
import pLimit from 'p-limit';
import type { SampleRequests, Scorer, ScoringContext } from '../types';
import type { ResultsSink } from './results-sink';

const SCORING_CONCURRENCY = 32;

function addStats(a: RunStats, b: RunStats): RunStats {
  return {
    total: a.total + b.total,
    sent: a.sent + b.sent,
    fromCache: a.fromCache + b.fromCache,
    failed: a.failed + b.failed,
    retried: a.retried + b.retried,
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
    wallMs: a.wallMs + b.wallMs,
    peakGpuMemoryGiB: Math.max(a.peakGpuMemoryGiB ?? -1, b.peakGpuMemoryGiB ?? -1) < 0 ? null : Math.max(a.peakGpuMemoryGiB ?? 0, b.peakGpuMemoryGiB ?? 0),
    kvCacheUsageMax: Math.max(a.kvCacheUsageMax ?? -1, b.kvCacheUsageMax ?? -1) < 0 ? null : Math.max(a.kvCacheUsageMax ?? 0, b.kvCacheUsageMax ?? 0),
    served: a.served && b.served ? { from: Math.min(a.served.from, b.served.from), to: Math.max(a.served.to, b.served.to) } : (a.served ?? b.served ?? null),
  };
}

const EMPTY_STATS: RunStats = { total: 0, sent: 0, fromCache: 0, failed: 0, retried: 0, promptTokens: 0, completionTokens: 0, wallMs: 0, peakGpuMemoryGiB: null, kvCacheUsageMax: null };

/** What both ways of running a cell need. */
export interface GenerateArgs {
  scorer: Scorer;
  ctx: ScoringContext;
  records: DatasetRecord[];
  backend: Backend;
  request: Omit<CellRequestOptions, 'onResult' | 'keepResponses'>;
  sink: ResultsSink;
  log: (line: string) => void;
  cell: string;
}

/** Counts scoring jobs in flight and remembers the first failure, so the caller can wait for all of them. */
class ScoringJobs {
  private readonly limit = pLimit(SCORING_CONCURRENCY);
  private running = 0;
  private idle: (() => void) | null = null;
  private error: unknown = null;

  add(job: () => Promise<void>): void {
    this.running++;
    void this.limit(job)
      .catch((e: unknown) => {
        this.error ??= e;
      })
      .finally(() => {
        if (--this.running === 0) this.idle?.();
      });
  }

  /** Resolves when every job has ended; throws the first job's error. */
  async drain(): Promise<void> {
    if (this.running > 0) await new Promise<void>((r) => (this.idle = r));
    this.idle = null;
    if (this.error) throw this.error;
  }
}

async function scoreInto(args: GenerateArgs, sample: number, sr: SampleRequests, responses: EvalResponse[]): Promise<void> {
  const results = await args.scorer.score(sr, responses, args.ctx);
  args.sink.add(sample, results.map((r) => SampleResult.parse(r)));
}

/**
 * Single-round scorers: one backend run over every request of the cell, each sample scored the moment its last
 * response arrives. Requests are built when read and responses are dropped once scored, so memory does not grow
 * with the cell, and scoring (the sandbox, a judge) overlaps generation instead of waiting for all of it.
 */
export async function generateStreaming(args: GenerateArgs): Promise<RunStats> {
  const { scorer, ctx, records } = args;
  const n = records.length;
  // starts[s] is the flat index of sample s's first request.
  const starts = new Int32Array(n + 1);
  for (let s = 0; s < n; s++) starts[s + 1] = starts[s] + scorer.buildRequests(records[s], ctx).requests.length;
  const sampleOf = (k: number) => {
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= k) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  // The backend reads requests in order, so remembering the last sample built saves rebuilding it per request.
  let memo: { s: number; sr: SampleRequests } | null = null;
  const built = (s: number): SampleRequests => {
    if (memo?.s !== s) memo = { s, sr: scorer.buildRequests(records[s], ctx) };
    return memo.sr;
  };
  const source: RequestSource = {
    length: starts[n],
    at: (k: number): EvalRequest => {
      const s = sampleOf(k);
      return built(s).requests[k - starts[s]];
    },
  };
  const open = new Map<number, { sr: SampleRequests; responses: EvalResponse[]; left: number }>();
  const jobs = new ScoringJobs();
  const onResult = (k: number, res: EvalResponse) => {
    const s = sampleOf(k);
    let st = open.get(s);
    if (!st) {
      const sr = built(s);
      st = { sr, responses: new Array<EvalResponse>(sr.requests.length), left: sr.requests.length };
      open.set(s, st);
    }
    st.responses[k - starts[s]] = res;
    if (--st.left > 0) return;
    open.delete(s);
    const { sr, responses } = st;
    jobs.add(() => scoreInto(args, s, sr, responses));
  };
  args.log(`${args.cell}: ${starts[n]} requests`);
  let stats: RunStats;
  try {
    ({ stats } = await args.backend.run(source, { ...args.request, onResult, keepResponses: false }));
  } finally {
    // Scoring already under way finishes (or fails) before the caller writes or discards anything.
    await jobs.drain().catch(() => undefined);
  }
  await jobs.drain();
  if (open.size > 0) throw new Error(`${args.cell}: the backend answered ${open.size} samples only in part`);
  return stats;
}

/**
 * Multi-round scorers (MT-Bench's second turn): every sample's round goes out together, then follow-ups; each
 * sample is scored as soon as it needs no further round.
 */
export async function generateInRounds(args: GenerateArgs): Promise<RunStats> {
  const { scorer, ctx, records } = args;
  const samples = records.map((r) => scorer.buildRequests(r, ctx));
  const responses: EvalResponse[][] = samples.map(() => []);
  let pending = samples.map((s, i) => ({ sample: i, requests: s.requests }));
  let stats = EMPTY_STATS;
  const jobs = new ScoringJobs();
  try {
    for (let round = 0; pending.length > 0; round++) {
      const flat = pending.flatMap((p) => p.requests);
      args.log(`${args.cell}: round ${round + 1}: ${flat.length} requests`);
      const out = await args.backend.run(flat, args.request);
      stats = addStats(stats, out.stats);
      let k = 0;
      const next: typeof pending = [];
      for (const p of pending) {
        responses[p.sample].push(...out.responses.slice(k, k + p.requests.length));
        k += p.requests.length;
        const more = scorer.followUp?.(samples[p.sample], responses[p.sample], ctx) ?? null;
        if (more && more.length > 0) next.push({ sample: p.sample, requests: more });
        else jobs.add(() => scoreInto(args, p.sample, samples[p.sample], responses[p.sample]));
      }
      pending = next;
    }
  } finally {
    await jobs.drain().catch(() => undefined);
  }
  await jobs.drain();
  return stats;
}
