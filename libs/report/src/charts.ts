import type { ComparisonResult } from '@evalgraph/analysis';
import { deltaLabel, fmt } from './format';
import type { Summary } from './summary-schema';

/** A Vega-Lite specification (kept loose: vega-lite validates it when compiling). */
export type VegaLiteSpec = Record<string, unknown>;

/** One chart of the dashboard: where it goes, its title, and its spec. */
export interface ChartSpec {
  id: string;
  view: 'overview' | 'matrix' | 'comparisons';
  title: string;
  spec: VegaLiteSpec;
}

const CONFIG = {
  font: 'sans-serif',
  view: { stroke: null },
  axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 180 },
  legend: { labelFontSize: 11, titleFontSize: 11, labelLimit: 420 },
  title: { fontSize: 13, anchor: 'start' },
};

const base = (extra: VegaLiteSpec): VegaLiteSpec => ({ config: CONFIG, background: 'white', padding: 8, ...extra });

/**
 * Each row's place within its dataset, 0 (worst) … 1 (best): datasets have their own metrics and scales
 * (MT-Bench 1–10 next to 0–1 accuracies), so one colour scale over all of them says nothing.
 */
export function withinDatasetShade(rows: readonly { dataset: string; value: number; higher_is_better: boolean }[]): number[] {
  const range = new Map<string, [number, number]>();
  for (const r of rows) {
    const [lo, hi] = range.get(r.dataset) ?? [Infinity, -Infinity];
    range.set(r.dataset, [Math.min(lo, r.value), Math.max(hi, r.value)]);
  }
  return rows.map((r) => {
    const [lo, hi] = range.get(r.dataset)!;
    if (hi - lo < 1e-12) return 0.5;
    const t = (r.value - lo) / (hi - lo);
    return r.higher_is_better ? t : 1 - t;
  });
}

/** Heatmap of the primary metric over variant × dataset: coloured per dataset column, labelled with the value. */
export function heatmapSpec(s: Summary): VegaLiteSpec {
  const rows = s.comparisons.matrix;
  const shade = withinDatasetShade(rows);
  const values = rows.map((r, i) => ({ variant: r.variant, dataset: r.dataset, value: r.value, shade: shade[i], label: fmt.metric(r.value), dark: shade[i] > 0.6, metric: r.metric, ci: fmt.ci(r.ci95) }));
  const x = { field: 'dataset', type: 'nominal', sort: s.datasets, title: null, axis: { labelAngle: -35, orient: 'top', labelLimit: 0 } };
  // labelLimit 0: variant names are never cut.
  const y = { field: 'variant', type: 'nominal', sort: s.variants.map((v) => v.id), title: null, axis: { labelLimit: 0, labelFontSize: 12 } };
  return base({
    data: { values },
    width: Math.max(220, 62 * s.datasets.length),
    height: Math.max(60, 30 * s.variants.length),
    layer: [
      {
        mark: 'rect',
        encoding: {
          x,
          y,
          color: { field: 'shade', type: 'quantitative', title: ['within each dataset', 'worst → best'], scale: { scheme: 'blues', domain: [0, 1] }, legend: { values: [0, 1], labelExpr: "datum.value === 0 ? 'worst' : 'best'", gradientLength: 90 } },
          tooltip: [{ field: 'variant' }, { field: 'dataset' }, { field: 'metric' }, { field: 'label', title: 'value' }, { field: 'ci', title: '95% CI' }],
        },
      },
      { mark: { type: 'text', fontSize: 11 }, encoding: { x, y, text: { field: 'label' }, color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' } } },
    ],
  });
}

/** Bars of one dataset's primary metric per variant, with 95% interval whiskers. */
export function datasetBarsSpec(s: Summary, dataset: string): VegaLiteSpec {
  const rows = s.comparisons.matrix.filter((r) => r.dataset === dataset);
  const values = rows.map((r) => ({ variant: r.variant, value: r.value, lo: r.ci95?.[0] ?? r.value, hi: r.ci95?.[1] ?? r.value }));
  const metric = rows[0]?.metric ?? 'value';
  const x = { field: 'variant', type: 'nominal', sort: s.variants.map((v) => v.id), title: null, axis: { labelAngle: -30 } };
  return base({
    title: `${dataset} — ${metric}`,
    data: { values },
    width: Math.max(160, 48 * rows.length),
    height: 160,
    layer: [
      { mark: { type: 'bar', color: '#4c78a8' }, encoding: { x, y: { field: 'value', type: 'quantitative', title: metric } } },
      { mark: { type: 'rule', color: '#222', strokeWidth: 1.5 }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { mark: { type: 'tick', color: '#222', thickness: 1.5, size: 10 }, encoding: { x, y: { field: 'lo', type: 'quantitative' } } },
      { mark: { type: 'tick', color: '#222', thickness: 1.5, size: 10 }, encoding: { x, y: { field: 'hi', type: 'quantitative' } } },
    ],
  });
}

interface DiffPoint {
  group: string;
  dataset: string;
  c: ComparisonResult;
}

/** Differences with 95% interval whiskers per dataset, one colour per comparison, a rule at zero. */
export function diffSpec(title: string, xTitle: string, points: DiffPoint[]): VegaLiteSpec {
  const values = points.map((p) => ({
    group: p.group,
    dataset: p.dataset,
    diff: p.c.diff,
    lo: p.c.ci95?.[0] ?? p.c.diff,
    hi: p.c.ci95?.[1] ?? p.c.diff,
    significant: p.c.significant,
  }));
  const y = { field: 'dataset', type: 'nominal', title: null, axis: { labelLimit: 0 } };
  const yOffset = { field: 'group' };
  const color = { field: 'group', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical' } };
  return base({
    title,
    data: { values },
    width: 250,
    height: { step: 14 * Math.max(1, new Set(points.map((p) => p.group)).size) + 8 },
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { x: { datum: 0, type: 'quantitative' } } },
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, yOffset, x: { field: 'lo', type: 'quantitative', title: xTitle }, x2: { field: 'hi' }, color } },
      // Filled points are significant (p < 0.05), hollow ones are not.
      { transform: [{ filter: 'datum.significant' }], mark: { type: 'point', size: 60, strokeWidth: 2, filled: true, opacity: 1 }, encoding: { y, yOffset, x: { field: 'diff', type: 'quantitative' }, color } },
      { transform: [{ filter: '!datum.significant' }], mark: { type: 'point', size: 60, strokeWidth: 2, filled: false, fill: 'white' }, encoding: { y, yOffset, x: { field: 'diff', type: 'quantitative' }, color } },
    ],
  });
}

/** Grouped bars of mean generated tokens per sample for the two variants of each mode comparison. */
export function tokensSpec(s: Summary): VegaLiteSpec {
  const values = s.comparisons.modes.flatMap((r) => [
    { comparison: r.name, dataset: r.dataset, variant: r.a, tokens: r.completion_tokens.a },
    { comparison: r.name, dataset: r.dataset, variant: r.b, tokens: r.completion_tokens.b },
  ]);
  return base({
    title: 'Generated tokens per sample',
    data: { values },
    width: 250,
    height: { step: 12 },
    mark: 'bar',
    encoding: {
      y: { field: 'dataset', type: 'nominal', title: null },
      yOffset: { field: 'variant' },
      x: { field: 'tokens', type: 'quantitative', title: 'mean completion tokens' },
      color: { field: 'variant', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical' } },
    },
  });
}

/** Splits comparison points by scale: 0–1 metrics share one axis, any other metric gets its own chart. */
function byScale(points: (DiffPoint & { metric: string; values: number[] })[]): { label: string; points: DiffPoint[] }[] {
  const unit = points.filter((p) => p.values.every((v) => v >= 0 && v <= 1));
  const out: { label: string; points: DiffPoint[] }[] = [];
  if (unit.length) out.push({ label: new Set(unit.map((p) => p.metric)).size === 1 ? unit[0].metric : 'primary metric (0–1 metrics)', points: unit.map((p) => ({ ...p, dataset: `${p.dataset} · ${p.metric}` })) });
  const others = new Map<string, DiffPoint[]>();
  for (const p of points.filter((x) => !unit.includes(x))) others.set(p.metric, [...(others.get(p.metric) ?? []), { ...p, dataset: `${p.dataset} · ${p.metric}` }]);
  for (const [metric, pts] of others) out.push({ label: metric, points: pts });
  return out;
}

/** Every chart the dashboard shows for a summary. */
export function chartSpecs(s: Summary): ChartSpec[] {
  const charts: ChartSpec[] = [];
  if (s.comparisons.matrix.length) charts.push({ id: 'heatmap', view: 'overview', title: 'Primary metric per variant and dataset; each dataset column is coloured on its own scale (darker is better)', spec: heatmapSpec(s) });
  for (const [i, d] of s.datasets.entries()) {
    if (s.comparisons.matrix.some((r) => r.dataset === d)) charts.push({ id: `bars-${i}`, view: 'matrix', title: `${d}`, spec: datasetBarsSpec(s, d) });
  }
  if (s.comparisons.scaling.length) {
    const pts = s.comparisons.scaling.map((r) => ({ group: `${r.large} − ${r.small}`, dataset: r.dataset, c: r.gain, metric: r.metric, values: [r.small_value, r.large_value] }));
    for (const [i, g] of byScale(pts).entries()) {
      charts.push({ id: i ? `scaling-${i}` : 'scaling', view: 'comparisons', title: `Scaling: gain in ${g.label} (large − small); filled points are significant (p < 0.05)`, spec: diffSpec(`Scaling: ${deltaLabel(g.label)}, 95% CI`, deltaLabel(g.label), g.points) });
    }
  }
  if (s.comparisons.modes.length) {
    const pts = s.comparisons.modes.map((r) => ({ group: `${r.a} − ${r.b}`, dataset: r.dataset, c: r.accuracy, metric: r.metric, values: [r.a_value, r.b_value] }));
    for (const [i, g] of byScale(pts).entries()) {
      charts.push({ id: i ? `modes-${i}` : 'modes', view: 'comparisons', title: `Modes: difference in ${g.label} (a − b); filled points are significant (p < 0.05)`, spec: diffSpec(`Modes: ${deltaLabel(g.label)}, 95% CI`, deltaLabel(g.label), g.points) });
    }
    charts.push({ id: 'modes-tokens', view: 'comparisons', title: 'Modes: generated tokens', spec: tokensSpec(s) });
  }
  if (s.comparisons.baseline?.rows.some((r) => r.primary)) {
    const pts = s.comparisons.baseline.rows.filter((r) => r.primary).map((r) => ({ group: r.key.split('/')[0], dataset: r.key.split('/').slice(1).join('/'), c: r.comparison }));
    charts.push({ id: 'baseline', view: 'comparisons', title: 'This run − baseline (primary metric); filled points are significant (p < 0.05)', spec: diffSpec('This run − baseline (primary metric), 95% CI', 'Δ', pts) });
  }
  return charts;
}
