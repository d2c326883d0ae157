import { binomialMetric, percentile, type MetricValue } from '@evalgraph/core';
import { mulberry32, randomIndex } from '@evalgraph/core';

/** Bootstrap settings; the defaults make intervals reproducible run to run. */
export interface BootstrapOptions {
  /** Number of resamples (default 2000). */
  resamples?: number;
  /** PRNG seed (default 20240521). */
  seed?: number;
}

export const DEFAULT_RESAMPLES = 2000;
export const DEFAULT_SEED = 20240521;

/** How an interval was computed, reported next to it. */
export type IntervalMethod = 'wilson' | 'bootstrap' | 'cluster-bootstrap' | 'none';

/** A metric with the method its interval came from. */
export interface IntervalEstimate {
  metric: MetricValue;
  method: IntervalMethod;
}

/** Groups values by cluster id into per-cluster sums and counts (cluster order = first appearance). */
export function clusterTotals(values: readonly number[], clusters?: readonly string[]): { sums: Float64Array; counts: Float64Array } {
  if (!clusters) {
    return { sums: Float64Array.from(values), counts: new Float64Array(values.length).fill(1) };
  }
  if (clusters.length !== values.length) throw new RangeError(`clusters has ${clusters.length} entries, values has ${values.length}`);
  const index = new Map<string, number>();
  const sums: number[] = [];
  const counts: number[] = [];
  values.forEach((v, i) => {
    let j = index.get(clusters[i]);
    if (j === undefined) {
      j = sums.length;
      index.set(clusters[i], j);
      sums.push(0);
      counts.push(0);
    }
    sums[j] += v;
    counts[j] += 1;
  });
  return { sums: Float64Array.from(sums), counts: Float64Array.from(counts) };
}

/**
 * Bootstrap replicates of the mean, resampling clusters (or single values) with replacement.
 * With unequal cluster sizes the replicate is the ratio estimator sum/count, which is what
 * "mean over all samples" means when whole tasks are drawn.
 */
export function bootstrapMeans(sums: Float64Array, counts: Float64Array, opts: BootstrapOptions = {}): Float64Array {
  const B = opts.resamples ?? DEFAULT_RESAMPLES;
  const rand = mulberry32(opts.seed ?? DEFAULT_SEED);
  const g = sums.length;
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    let c = 0;
    for (let i = 0; i < g; i++) {
      const j = randomIndex(rand, g);
      s += sums[j];
      c += counts[j];
    }
    out[b] = c === 0 ? 0 : s / c;
  }
  return out;
}

function sd(xs: Float64Array): number {
  if (xs.length < 2) return 0;
  let m = 0;
  for (const x of xs) m += x;
  m /= xs.length;
  let v = 0;
  for (const x of xs) v += (x - m) ** 2;
  return Math.sqrt(v / (xs.length - 1));
}

/** Percentile-bootstrap 95% interval (and bootstrap stderr) of the mean; clustered when `clusters` is given. */
export function bootstrapMetric(
  name: string,
  values: readonly number[],
  opts: BootstrapOptions & { clusters?: readonly string[]; higherIsBetter?: boolean } = {},
): MetricValue {
  const n = values.length;
  const higher_is_better = opts.higherIsBetter ?? true;
  if (n === 0) return { name, value: 0, stderr: null, ci95: null, n: 0, higher_is_better };
  const { sums, counts } = clusterTotals(values, opts.clusters);
  const mean = values.reduce((a, b) => a + b, 0) / n;
  if (sums.length < 2) return { name, value: mean, stderr: null, ci95: null, n, higher_is_better };
  const reps = bootstrapMeans(sums, counts, opts);
  const sorted = Array.from(reps).sort((a, b) => a - b);
  return { name, value: mean, stderr: sd(reps), ci95: [percentile(sorted, 2.5), percentile(sorted, 97.5)], n, higher_is_better };
}

/** Whether every value is exactly 0 or 1 (an accuracy-style outcome). */
export function isBinary(values: readonly number[]): boolean {
  return values.every((v) => v === 0 || v === 1);
}

/** Whether some cluster id occurs more than once (e.g. pass@k with n > 1 generations per task). */
export function hasSharedClusters(clusters: readonly string[] | undefined): clusters is readonly string[] {
  return !!clusters && new Set(clusters).size < clusters.length;
}

/**
 * The right interval for a metric's per-sample scores: cluster bootstrap when samples share a task,
 * binomial stderr + Wilson interval for 0/1 outcomes, percentile bootstrap otherwise.
 */
export function estimateMetric(
  name: string,
  values: readonly number[],
  opts: BootstrapOptions & { clusters?: readonly string[]; higherIsBetter?: boolean } = {},
): IntervalEstimate {
  if (values.length === 0) return { metric: bootstrapMetric(name, values, opts), method: 'none' };
  if (hasSharedClusters(opts.clusters)) return { metric: bootstrapMetric(name, values, opts), method: 'cluster-bootstrap' };
  if (isBinary(values)) return { metric: { ...binomialMetric(name, values), higher_is_better: opts.higherIsBetter ?? true }, method: 'wilson' };
  return { metric: bootstrapMetric(name, values, { ...opts, clusters: undefined }), method: 'bootstrap' };
}
