import type { SampleResult } from '@evalgraph/core';
import type { LoadedCell } from './load-cells';
import { pairTables, scoreTable } from './pairing';
import { comparePaired } from './stats/paired';
import type { BootstrapOptions } from './stats/intervals';
import type { ComparisonResult } from './schemas';

/** Cells of two variants matched by dataset, in the order of the first list. */
export function matchByDataset(a: readonly LoadedCell[], b: readonly LoadedCell[]): [LoadedCell, LoadedCell][] {
  const byDataset = new Map(b.map((c) => [c.cell.dataset, c]));
  return a.flatMap((c) => {
    const other = byDataset.get(c.cell.dataset);
    return other ? [[c, other] as [LoadedCell, LoadedCell]] : [];
  });
}

/** A sample's value of the named metric (its per-sample `scores` entry; `score` when the scorer kept none by that name). */
export function metricOf(metric: string): (s: SampleResult) => number {
  return (s) => s.scores[metric] ?? s.score;
}

/** Paired comparison (a − b) of a per-sample value over the samples both cells have. */
export function compareCells(a: LoadedCell, b: LoadedCell, value: (s: SampleResult) => number = (s) => s.score, opts: BootstrapOptions = {}): ComparisonResult {
  const p = pairTables(scoreTable(a.samples, value), scoreTable(b.samples, value));
  return comparePaired(p.a, p.b, { ...opts, clusters: p.clusters });
}
