import { percentile, type MetricValue } from '@evalgraph/core';
import type { ComparisonResult } from '../schemas';
import { binomialHalfCdf, twoSidedNormalP, Z95 } from './distributions';
import { bootstrapMeans, clusterTotals, hasSharedClusters, isBinary, type BootstrapOptions } from './intervals';

/** Significance level used for every comparison. */
export const ALPHA = 0.05;

function mean(xs: readonly number[]): number {
  return xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0;
}

function emptyComparison(a: number, b: number, test: ComparisonResult['test'] = 'none'): ComparisonResult {
  return { a, b, diff: a - b, ci95: null, p_value: null, test, significant: false, n_paired: 0 };
}

/**
 * McNemar's exact test on paired 0/1 outcomes: a two-sided binomial test on the discordant pairs
 * (a right & b wrong vs a wrong & b right) with p = 1/2.
 */
export function mcnemarExact(a: readonly number[], b: readonly number[]): { b10: number; b01: number; p_value: number } {
  if (a.length !== b.length) throw new RangeError(`paired arrays differ in length (${a.length} vs ${b.length})`);
  let b10 = 0;
  let b01 = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === 1 && b[i] === 0) b10++;
    else if (a[i] === 0 && b[i] === 1) b01++;
  }
  const n = b10 + b01;
  const p_value = n === 0 ? 1 : Math.min(1, 2 * binomialHalfCdf(Math.min(b10, b01), n));
  return { b10, b01, p_value };
}

/**
 * Paired bootstrap of mean(a − b): resamples pairs (or whole clusters of pairs when samples share a task);
 * the p-value is the share of centred replicates at least as far from 0 as the observed difference.
 */
export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions & { clusters?: readonly string[] } = {},
): ComparisonResult {
  if (a.length !== b.length) throw new RangeError(`paired arrays differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  const ma = mean(a);
  const mb = mean(b);
  if (n === 0) return emptyComparison(ma, mb);
  const d = a.map((x, i) => x - b[i]);
  const diff = ma - mb;
  const clustered = hasSharedClusters(opts.clusters);
  const { sums, counts } = clusterTotals(d, clustered ? opts.clusters : undefined);
  const test = clustered ? 'paired-cluster-bootstrap' : 'paired-bootstrap';
  if (sums.length < 2) return { ...emptyComparison(ma, mb, test), n_paired: n };
  const reps = bootstrapMeans(sums, counts, opts);
  let extreme = 0;
  for (const r of reps) if (Math.abs(r - diff) >= Math.abs(diff) - 1e-12) extreme++;
  const p_value = Math.min(1, (extreme + 1) / (reps.length + 1));
  const sorted = Array.from(reps).sort((x, y) => x - y);
  return {
    a: ma,
    b: mb,
    diff,
    ci95: [percentile(sorted, 2.5), percentile(sorted, 97.5)],
    p_value,
    test,
    significant: p_value < ALPHA,
    n_paired: n,
  };
}

/**
 * Compares two models on the same samples: McNemar's exact test for 0/1 outcomes of independent samples,
 * the (cluster) paired bootstrap otherwise. The interval is always the paired bootstrap one.
 */
export function comparePaired(
  a: readonly number[],
  b: readonly number[],
  opts: BootstrapOptions & { clusters?: readonly string[] } = {},
): ComparisonResult {
  const boot = pairedBootstrap(a, b, opts);
  if (a.length === 0 || hasSharedClusters(opts.clusters) || !isBinary(a) || !isBinary(b)) return boot;
  const { p_value } = mcnemarExact(a, b);
  return { ...boot, p_value, test: 'mcnemar-exact', significant: p_value < ALPHA };
}

/** Standard error of a metric, from its stderr or, failing that, from the width of its 95% interval. */
export function stderrOf(m: MetricValue): number | null {
  if (m.stderr !== null) return m.stderr;
  if (m.ci95) return (m.ci95[1] - m.ci95[0]) / (2 * Z95);
  return null;
}

/** Unpaired comparison of two summarized metrics (a − b) by a z test on their standard errors. */
export function compareUnpaired(a: MetricValue, b: MetricValue): ComparisonResult {
  const sa = stderrOf(a);
  const sb = stderrOf(b);
  const diff = a.value - b.value;
  if (sa === null || sb === null) return emptyComparison(a.value, b.value);
  const se = Math.sqrt(sa * sa + sb * sb);
  if (se === 0) {
    const p_value = diff === 0 ? 1 : 0;
    return { a: a.value, b: b.value, diff, ci95: [diff, diff], p_value, test: 'unpaired-z', significant: p_value < ALPHA, n_paired: 0 };
  }
  const p_value = twoSidedNormalP(diff / se);
  return { a: a.value, b: b.value, diff, ci95: [diff - Z95 * se, diff + Z95 * se], p_value, test: 'unpaired-z', significant: p_value < ALPHA, n_paired: 0 };
}
