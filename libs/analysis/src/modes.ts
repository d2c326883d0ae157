import type { LoadedCell } from './load-cells';
import { primaryMetric } from './matrix';
import { compareCells, matchByDataset, metricOf } from './cell-pairs';
import type { ModesRow } from './schemas';
import type { BootstrapOptions } from './stats/intervals';

/**
 * Two variants of one model (thinking vs non-thinking, English filter on vs off), per dataset both ran:
 * the primary metric (on its own scale), generated tokens and latency, each as a paired a − b comparison.
 */
export function modes(a: readonly LoadedCell[], b: readonly LoadedCell[], name: string, opts: BootstrapOptions = {}): ModesRow[] {
  return matchByDataset(a, b).map(([x, y]) => ({
    name,
    a: x.cell.variant,
    b: y.cell.variant,
    dataset: x.cell.dataset,
    metric: x.metrics.primary,
    a_value: primaryMetric(x.metrics).value,
    b_value: primaryMetric(y.metrics).value,
    // On the metric's own scale (MT-Bench 0–10, accuracies 0–1), not the 0–1 per-sample `score`.
    accuracy: compareCells(x, y, metricOf(x.metrics.primary), opts),
    completion_tokens: compareCells(x, y, (s) => s.completion_tokens, opts),
    latency_ms: compareCells(x, y, (s) => s.latency_ms, opts),
    a_latency_p50_ms: x.metrics.latency_ms?.p50 ?? null,
    b_latency_p50_ms: y.metrics.latency_ms?.p50 ?? null,
  }));
}
