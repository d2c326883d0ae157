/**
 * Number formats shared by report.md, report.html and the tracker, so a shown number can be checked
 * against metrics.json by rounding the source value the same way.
 */
export const DIGITS = { metric: 3, tokS: 1, ms: 0, gib: 1, pct: 2, p: 4, ratio: 2 } as const;

const NA = '—';

/** Fixed-point number, or an em dash for null / non-finite. */
export function fixed(v: number | null | undefined, digits: number): string {
  return v === null || v === undefined || !Number.isFinite(v) ? NA : v.toFixed(digits);
}

export const fmt = {
  metric: (v: number | null | undefined) => fixed(v, DIGITS.metric),
  ci: (ci: readonly [number, number] | null | undefined, digits: number = DIGITS.metric) => (ci ? `[${fixed(ci[0], digits)}, ${fixed(ci[1], digits)}]` : NA),
  tokS: (v: number | null | undefined) => fixed(v, DIGITS.tokS),
  ms: (v: number | null | undefined) => fixed(v, DIGITS.ms),
  gib: (v: number | null | undefined) => fixed(v, DIGITS.gib),
  pct: (v: number | null | undefined) => (v === null || v === undefined ? NA : `${(v * 100).toFixed(DIGITS.pct)}%`),
  p: (v: number | null | undefined) => (v === null || v === undefined ? NA : v < 1e-4 ? '<0.0001' : v.toFixed(DIGITS.p)),
  ratio: (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? NA : `${v.toFixed(DIGITS.ratio)}×`),
  signed: (v: number | null | undefined, digits: number = DIGITS.metric) => (v === null || v === undefined ? NA : `${v >= 0 ? '+' : ''}${v.toFixed(digits)}`),
  int: (v: number | null | undefined) => (v === null || v === undefined ? NA : String(Math.round(v))),
};

/** What reports show where a number was not measured (dummy backend, no GPU sampler, ...). */
export const NOT_MEASURED = 'not measured';

/** A formatted measurement, or "not measured" (or the given reason) for null. */
export function measured(v: number | null | undefined, f: (x: number) => string, why: string | null = null): string {
  return v === null || v === undefined || !Number.isFinite(v) ? (why ?? NOT_MEASURED) : f(v);
}

/** The run's GPU as reports show it: the profile is configuration, not hardware, when no cell used a GPU. */
export function gpuText(gpu: { profile: string; name: string | null; used: boolean }): string {
  if (!gpu.used) return `no GPU used (dummy backend; profile ${gpu.profile} not measured)`;
  return gpu.name ? `${gpu.name} (${gpu.profile})` : gpu.profile;
}

/** Short metric label with its scale where it is not 0–1 (MT-Bench's 1–10 ratings). */
export function deltaLabel(metric: string): string {
  return `Δ ${metric}`;
}

/** Value rounded the way a format shows it (what a test compares a parsed number with). */
export function roundTo(v: number, digits: number): number {
  return Number(v.toFixed(digits));
}

/** Short commit id. */
export function shortCommit(c: string | null): string {
  return c ? c.slice(0, 12) : 'unknown';
}

/** Banner text shown wherever a dummy run's numbers appear. */
export const DUMMY_BANNER = 'DUMMY BACKEND — not model results';

/** Where report.md and report.html receive the publish history (only publishing knows what was published before). */
export const HISTORY_MD_MARK = '<!-- evalgraph:history -->';
export const HISTORY_HTML_MARK = '<script type="application/json" id="evalgraph-history">null</script>';

/** Each distinct (metric, reference) pair of the run's metrics, for a note under the metrics table. */
export function metricReferences(s: { cells: readonly { metrics: { metrics: readonly { name: string; reference?: string }[] } }[] }): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const c of s.cells) for (const m of c.metrics.metrics) if (m.reference) seen.set(`${m.name}\n${m.reference}`, [m.name, m.reference]);
  return [...seen.values()];
}
