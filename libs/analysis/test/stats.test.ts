import { describe, expect, it } from 'vitest';
import { binomialMetric } from '@evalgraph/core';
import {
  binomialHalfCdf,
  bootstrapMetric,
  comparePaired,
  compareUnpaired,
  estimateMetric,
  mcnemarExact,
  mulberry32,
  normalCdf,
  pairedBootstrap,
} from '../src';

const draws = (rand: () => number, n: number, p: number) => Array.from({ length: n }, () => (rand() < p ? 1 : 0));
const width = (ci: [number, number] | null) => (ci ? ci[1] - ci[0] : Infinity);

/** Exact two-sided McNemar p-value with BigInt binomial coefficients, as one would compute by hand. */
function exactMcnemar(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let coef = 1n;
  let sum = 0n;
  for (let i = 0; i <= Math.min(b, c); i++) {
    if (i > 0) coef = (coef * BigInt(n - i + 1)) / BigInt(i);
    sum += coef;
  }
  return Math.min(1, (2 * Number((sum * 1_000_000_000_000n) / 2n ** BigInt(n))) / 1e12);
}

describe('intervals', () => {
  it('Wilson and bootstrap intervals shrink as n grows', () => {
    const rand = mulberry32(7);
    const wilson = [50, 200, 1000, 5000].map((n) => width(binomialMetric('acc', draws(rand, n, 0.4)).ci95));
    const boot = [50, 200, 1000].map((n) => width(bootstrapMetric('s', Array.from({ length: n }, () => rand()), { resamples: 500 }).ci95));
    for (const ws of [wilson, boot]) for (let i = 1; i < ws.length; i++) expect(ws[i]).toBeLessThan(ws[i - 1]);
    // Roughly 1/sqrt(n): 100x the samples, a tenth of the width.
    expect(wilson[3] / wilson[0]).toBeGreaterThan(0.07);
    expect(wilson[3] / wilson[0]).toBeLessThan(0.13);
  });

  it('the 95% Wilson interval covers the true rate in about 95% of 2000 simulated runs', () => {
    const rand = mulberry32(2024);
    for (const [n, p] of [[100, 0.3], [400, 0.72], [60, 0.5]] as const) {
      let covered = 0;
      for (let i = 0; i < 2000; i++) {
        const ci = binomialMetric('acc', draws(rand, n, p)).ci95!;
        if (ci[0] <= p && p <= ci[1]) covered++;
      }
      const rate = covered / 2000;
      expect(rate, `n=${n} p=${p}`).toBeGreaterThanOrEqual(0.93);
      expect(rate, `n=${n} p=${p}`).toBeLessThanOrEqual(0.97);
    }
  });

  it('the bootstrap interval covers the true mean at about the nominal level', () => {
    const rand = mulberry32(99);
    const trueMean = 0.35; // mean of u^2 * 1.05 for u ~ U(0,1)
    let covered = 0;
    const sims = 400;
    for (let i = 0; i < sims; i++) {
      const values = Array.from({ length: 80 }, () => rand() ** 2 * 1.05);
      const ci = bootstrapMetric('s', values, { resamples: 1000, seed: i }).ci95!;
      if (ci[0] <= trueMean && trueMean <= ci[1]) covered++;
    }
    expect(covered / sims).toBeGreaterThanOrEqual(0.9);
    expect(covered / sims).toBeLessThanOrEqual(0.98);
  });

  it('the cluster bootstrap covers correlated pass@k samples where the naive bootstrap does not', () => {
    const rand = mulberry32(5);
    const p = 0.5;
    let clusterCovered = 0;
    let naiveCovered = 0;
    const sims = 300;
    for (let i = 0; i < sims; i++) {
      const values: number[] = [];
      const clusters: string[] = [];
      for (let t = 0; t < 40; t++) {
        const taskRate = rand() < p ? 0.9 : 0.1; // strong task effect: generations of one task agree
        for (let j = 0; j < 5; j++) {
          values.push(rand() < taskRate ? 1 : 0);
          clusters.push(`t${t}`);
        }
      }
      const c = estimateMetric('pass@1', values, { clusters, resamples: 600, seed: i });
      expect(c.method).toBe('cluster-bootstrap');
      const naive = bootstrapMetric('pass@1', values, { resamples: 600, seed: i }).ci95!;
      if (c.metric.ci95![0] <= p && p <= c.metric.ci95![1]) clusterCovered++;
      if (naive[0] <= p && p <= naive[1]) naiveCovered++;
    }
    expect(clusterCovered / sims).toBeGreaterThanOrEqual(0.9);
    expect(clusterCovered / sims).toBeLessThanOrEqual(0.98);
    expect(naiveCovered / sims).toBeLessThan(0.85);
  });

  it('picks Wilson for 0/1 scores and the bootstrap for continuous ones, reproducibly from the seed', () => {
    expect(estimateMetric('acc', [1, 0, 1, 1]).method).toBe('wilson');
    expect(estimateMetric('acc', [1, 0, 1, 1]).metric).toEqual(binomialMetric('acc', [1, 0, 1, 1]));
    const values = [0.1, 0.5, 0.7, 0.2, 0.9, 0.4];
    expect(estimateMetric('s', values).method).toBe('bootstrap');
    expect(bootstrapMetric('s', values, { seed: 3 })).toEqual(bootstrapMetric('s', values, { seed: 3 }));
    expect(bootstrapMetric('s', values, { seed: 3 }).ci95).not.toEqual(bootstrapMetric('s', values, { seed: 4 }).ci95);
    expect(estimateMetric('s', []).metric.ci95).toBeNull();
  });
});

describe('McNemar exact test', () => {
  const pairs = (b10: number, b01: number, b11 = 3, b00 = 4) => {
    const a: number[] = [];
    const b: number[] = [];
    const push = (x: number, y: number, k: number) => {
      for (let i = 0; i < k; i++) {
        a.push(x);
        b.push(y);
      }
    };
    push(1, 0, b10);
    push(0, 1, b01);
    push(1, 1, b11);
    push(0, 0, b00);
    return { a, b };
  };

  it('matches hand-computed values', () => {
    // b=10, c=2: 2 * (C(12,0)+C(12,1)+C(12,2)) / 2^12 = 2 * 79 / 4096
    expect(mcnemarExact(pairs(10, 2).a, pairs(10, 2).b)).toMatchObject({ b10: 10, b01: 2 });
    expect(mcnemarExact(pairs(10, 2).a, pairs(10, 2).b).p_value).toBeCloseTo(158 / 4096, 14);
    // b=0, c=6: 2 / 2^6
    expect(mcnemarExact(pairs(0, 6).a, pairs(0, 6).b).p_value).toBeCloseTo(2 / 64, 12);
    // symmetric discordance and no discordance: p = 1
    expect(mcnemarExact(pairs(5, 5).a, pairs(5, 5).b).p_value).toBe(1);
    expect(mcnemarExact(pairs(0, 0).a, pairs(0, 0).b).p_value).toBe(1);
    for (const [b, c] of [[100, 60], [7, 1], [300, 250], [1, 0]]) {
      const { a, b: bb } = pairs(b, c);
      expect(mcnemarExact(a, bb).p_value).toBeCloseTo(exactMcnemar(b, c), 9);
    }
    expect(binomialHalfCdf(2, 12)).toBeCloseTo(79 / 4096, 14);
  });

  it('comparePaired uses it for independent 0/1 outcomes and reports the paired difference', () => {
    const { a, b } = pairs(10, 2, 30, 8);
    const r = comparePaired(a, b);
    expect(r.test).toBe('mcnemar-exact');
    expect(r.p_value).toBeCloseTo(158 / 4096, 14);
    expect(r.significant).toBe(true);
    expect(r.n_paired).toBe(50);
    expect(r.diff).toBeCloseTo(40 / 50 - 32 / 50, 12);
    expect(r.ci95![0]).toBeLessThan(r.diff);
    expect(r.ci95![1]).toBeGreaterThan(r.diff);
    const flat = comparePaired(pairs(3, 3).a, pairs(3, 3).b);
    expect(flat.significant).toBe(false);
    expect(flat.p_value).toBe(1);
  });
});

describe('paired comparisons', () => {
  it('the paired bootstrap finds a small consistent difference that an unpaired test misses', () => {
    const rand = mulberry32(11);
    const base = Array.from({ length: 200 }, () => rand() * 10);
    const a = base.map((x) => x + 0.2 + (rand() - 0.5) * 0.1);
    const paired = comparePaired(a, base);
    expect(paired.test).toBe('paired-bootstrap');
    expect(paired.significant).toBe(true);
    expect(paired.diff).toBeGreaterThan(0.15);
    expect(paired.ci95![0]).toBeGreaterThan(0);
    const unpaired = compareUnpaired(bootstrapMetric('a', a), bootstrapMetric('b', base));
    expect(unpaired.test).toBe('unpaired-z');
    expect(unpaired.significant).toBe(false);
  });

  it('identical models differ by nothing, with p = 1', () => {
    const xs = [0.2, 0.4, 0.9, 0.1];
    const r = pairedBootstrap(xs, xs);
    expect(r.diff).toBe(0);
    expect(r.p_value).toBe(1);
    expect(r.significant).toBe(false);
  });

  it('clusters samples that share a task id', () => {
    const a = [1, 1, 1, 0, 0, 0, 1, 1, 0, 1, 1, 1];
    const b = [0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1];
    const clusters = ['t1', 't1', 't1', 't2', 't2', 't2', 't3', 't3', 't3', 't4', 't4', 't4'];
    const r = comparePaired(a, b, { clusters });
    expect(r.test).toBe('paired-cluster-bootstrap');
    expect(r.n_paired).toBe(12);
    expect(r.diff).toBeCloseTo(4 / 12, 12);
  });

  it('compareUnpaired matches a hand-computed z test', () => {
    const r = compareUnpaired(
      { name: 'acc', value: 0.6, stderr: 0.02, ci95: null, n: 500, higher_is_better: true },
      { name: 'acc', value: 0.5, stderr: 0.02, ci95: null, n: 500, higher_is_better: true },
    );
    const z = 0.1 / Math.sqrt(0.0008);
    expect(r.p_value).toBeCloseTo(2 * (1 - normalCdf(z)), 12);
    expect(r.p_value).toBeCloseTo(0.000407, 5);
    expect(r.ci95![0]).toBeCloseTo(0.1 - 1.959964 * Math.sqrt(0.0008), 6);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    const none = compareUnpaired({ name: 'x', value: 1, stderr: null, ci95: null, n: 1, higher_is_better: true }, { name: 'x', value: 0, stderr: 0.1, ci95: null, n: 9, higher_is_better: true });
    expect(none).toMatchObject({ test: 'none', p_value: null, significant: false });
  });
});
