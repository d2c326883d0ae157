import type { LoadedCell } from './load-cells';
import { primaryMetric } from './matrix';
import { compareCells, matchByDataset, metricOf } from './cell-pairs';
import type { ScalingRow } from './schemas';
import type { BootstrapOptions } from './stats/intervals';

function ratio(x: number | null, y: number | null): number | null {
  return x === null || y === null || y === 0 ? null : x / y;
}

/**
 * Small vs large model of one family, per dataset both ran: the accuracy gain (large − small, paired
 * interval) and its cost — memory and throughput ratios, accuracy per GiB and per 1k tokens/s.
 */
export function scaling(small: readonly LoadedCell[], large: readonly LoadedCell[], family: string, opts: BootstrapOptions = {}): ScalingRow[] {
  return matchByDataset(large, small).map(([l, s]) => {
    const lv = primaryMetric(l.metrics).value;
    const sv = primaryMetric(s.metrics).value;
    // The dummy backend's tok/s is not a measurement.
    const tokS = (c: LoadedCell) => (c.run.backend === 'dummy' ? null : c.metrics.throughput_tok_s);
    const perGib = (v: number, c: LoadedCell) => ratio(v, c.metrics.peak_gpu_memory_gib);
    const perKTokS = (v: number, c: LoadedCell) => ratio(v, tokS(c) === null ? null : tokS(c)! / 1000);
    const eff = (f: (v: number, c: LoadedCell) => number | null) => {
      const small = f(sv, s);
      const large = f(lv, l);
      return { small, large, ratio: ratio(large, small) };
    };
    return {
      family,
      small: s.cell.variant,
      large: l.cell.variant,
      dataset: l.cell.dataset,
      metric: l.metrics.primary,
      small_value: sv,
      large_value: lv,
      gain: compareCells(l, s, metricOf(l.metrics.primary), opts),
      memory_ratio: ratio(l.metrics.peak_gpu_memory_gib, s.metrics.peak_gpu_memory_gib),
      throughput_ratio: ratio(tokS(l), tokS(s)),
      accuracy_per_gib: eff(perGib),
      accuracy_per_1k_tok_s: eff(perKTokS),
    };
  });
}
