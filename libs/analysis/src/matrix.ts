import type { MetricsFile, MetricValue, RunFile } from '@evalgraph/core';
import type { MatrixRow } from './schemas';
import { cellThroughput } from './throughput';

/** What the matrix needs of a cell: its identity, its metrics.json and (when loaded) its run.json. */
export interface CellMetrics {
  cell: { key: string; variant: string; dataset: string };
  metrics: MetricsFile;
  run?: RunFile;
}

/** The primary metric of a metrics.json (the first metric when the named one is absent). */
export function primaryMetric(m: Pick<MetricsFile, 'primary' | 'metrics'>): MetricValue {
  const found = m.metrics.find((x) => x.name === m.primary) ?? m.metrics[0];
  return found ?? { name: m.primary, value: 0, stderr: null, ci95: null, n: 0, higher_is_better: true };
}

/** One matrix row per cell, ordered by variant then dataset as given (defaults: order of appearance). */
export function performanceMatrix(cells: readonly CellMetrics[], order?: { variants?: readonly string[]; datasets?: readonly string[] }): MatrixRow[] {
  const rank = (list: readonly string[] | undefined, v: string) => {
    const i = list?.indexOf(v) ?? -1;
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const rows = cells.map((c): MatrixRow => {
    const { cell, metrics } = c;
    const p = primaryMetric(metrics);
    const dummy = c.run?.backend === 'dummy';
    // Without run.json there is no backend or time window to judge by: the recorded number is kept as is.
    const tp = c.run ? cellThroughput({ ...c, run: c.run }, cells.filter((o): o is CellMetrics & { run: RunFile } => o.run !== undefined)) : { tok_s: metrics.throughput_tok_s, note: null };
    return {
      key: cell.key,
      variant: cell.variant,
      dataset: cell.dataset,
      metric: p.name,
      value: p.value,
      stderr: p.stderr,
      ci95: p.ci95,
      n: p.n,
      higher_is_better: p.higher_is_better,
      error_rate: metrics.error_rate,
      throughput_tok_s: tp.tok_s,
      throughput_note: tp.note,
      // The dummy backend answers in-process: its latencies and memory measure no model.
      latency_p50_ms: dummy ? null : (metrics.latency_ms?.p50 ?? null),
      latency_p90_ms: dummy ? null : (metrics.latency_ms?.p90 ?? null),
      latency_p99_ms: dummy ? null : (metrics.latency_ms?.p99 ?? null),
      peak_gpu_memory_gib: dummy ? null : metrics.peak_gpu_memory_gib,
    };
  });
  return rows
    .map((r, i) => ({ r, i }))
    .sort((x, y) => rank(order?.variants, x.r.variant) - rank(order?.variants, y.r.variant) || rank(order?.datasets, x.r.dataset) - rank(order?.datasets, y.r.dataset) || x.i - y.i)
    .map((x) => x.r);
}
