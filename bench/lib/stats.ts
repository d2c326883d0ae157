/** min / median / max of repeated measurements. */
export interface Spread {
  min: number;
  median: number;
  max: number;
  n: number;
}

/** min, median and max of a list of numbers (median of an even count is the mean of the middle two). */
export function spread(xs: number[]): Spread {
  if (xs.length === 0) return { min: NaN, median: NaN, max: NaN, n: 0 };
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

/** The p-th percentile (nearest rank) of a list; NaN when empty. */
export function pct(xs: number[] | Float64Array, p: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank];
}

/**
 * The ratio a/b as a spread over repeats: repeat i of a over repeat i of b (paired, so a change in machine load
 * hits numerator and denominator alike), summarised as min/median/max.
 */
export function pairedRatio(a: number[], b: number[]): Spread {
  const n = Math.min(a.length, b.length);
  return spread(Array.from({ length: n }, (_, i) => a[i] / b[i]));
}

/** Seconds since `t0` (a process.hrtime.bigint()). */
export function since(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e9;
}
