import type { MetricValue } from './schemas/results';

const Z95 = 1.959963984540054;

/** Accuracy-style metric over 0/1 (or [0,1]) scores: mean, binomial stderr, Wilson 95% interval. */
export function binomialMetric(name: string, scores: readonly number[]): MetricValue {
  const n = scores.length;
  if (n === 0) return { name, value: 0, stderr: null, ci95: null, n: 0, higher_is_better: true };
  const p = scores.reduce((a, b) => a + b, 0) / n;
  // Sample stderr (n-1), as lm-evaluation-harness reports for acc.
  const stderr = n > 1 ? Math.sqrt((p * (1 - p)) / (n - 1)) : null;
  const z2 = Z95 * Z95;
  const center = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { name, value: p, stderr, ci95: [Math.max(0, center - half), Math.min(1, center + half)], n, higher_is_better: true };
}

/**
 * Mean of continuous values with a normal-approximation 95% interval; when `clusters` is given
 * (samples sharing a task), the stderr is the cluster-robust one.
 */
export function meanMetric(name: string, values: readonly number[], clusters?: readonly string[], higherIsBetter = true): MetricValue {
  const n = values.length;
  if (n === 0) return { name, value: 0, stderr: null, ci95: null, n: 0, higher_is_better: higherIsBetter };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  let stderr: number | null = null;
  if (clusters && new Set(clusters).size < n) {
    const sums = new Map<string, number>();
    values.forEach((v, i) => sums.set(clusters[i], (sums.get(clusters[i]) ?? 0) + (v - mean)));
    const g = sums.size;
    if (g > 1) {
      let s = 0;
      for (const v of sums.values()) s += v * v;
      stderr = Math.sqrt((g / (g - 1)) * s) / n;
    }
  } else if (n > 1) {
    const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1);
    stderr = Math.sqrt(variance / n);
  }
  return { name, value: mean, stderr, ci95: stderr === null ? null : [mean - Z95 * stderr, mean + Z95 * stderr], n, higher_is_better: higherIsBetter };
}

/** Linear-interpolated percentile (p in [0,100]) of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const idx = (p / 100) * (s.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return s[lo] + (s[hi] - s[lo]) * (idx - lo);
}
