/** z for a two-sided 95% interval. */
export const Z95 = 1.959963984540054;

/** Standard normal CDF. */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** Complementary error function, relative error < 1.2e-7 everywhere (Numerical Recipes erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Two-sided p-value of a z statistic. */
export function twoSidedNormalP(z: number): number {
  return Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
}

/** log(k!) for k = 0..n, computed once by summation (exact enough for n up to millions). */
function logFactorials(n: number): Float64Array {
  const out = new Float64Array(n + 1);
  for (let k = 2; k <= n; k++) out[k] = out[k - 1] + Math.log(k);
  return out;
}

/** P(X <= k) for X ~ Binomial(n, 1/2), summed in log space so large n does not underflow early terms. */
export function binomialHalfCdf(k: number, n: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  const lf = logFactorials(n);
  const logHalfN = n * Math.log(0.5);
  let sum = 0;
  for (let i = 0; i <= k; i++) sum += Math.exp(lf[n] - lf[i] - lf[n - i] + logHalfN);
  return Math.min(1, sum);
}
