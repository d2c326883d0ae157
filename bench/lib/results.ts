import { pairedRatio, spread, type Spread } from './stats';

/** A target a figure must meet: ratio (or value) <= or >= a bound. */
export interface Target {
  op: '<=' | '>=';
  bound: number;
  /** What is compared with the bound: the median ratio (default) or the median value. */
  on?: 'ratio' | 'value';
  text: string;
}

/** One row of the results table. */
export interface Row {
  item: string;
  name: string;
  unit: string;
  /** One value per repeat. */
  values: number[];
  value: Spread;
  /** The baseline measured in the same run (its values per repeat), when the figure is a ratio. */
  baseline?: { name: string; values: number[]; value: Spread };
  ratio?: Spread;
  target?: Target & { met: boolean };
  note?: string;
}

/** Builds a row: value spread, paired ratio against the baseline, and whether the target is met (on medians). */
export function row(r: { item: string; name: string; unit: string; values: number[]; baseline?: { name: string; values: number[] }; target?: Target; note?: string; ratio?: Spread }): Row {
  const out: Row = { item: r.item, name: r.name, unit: r.unit, values: r.values, value: spread(r.values), note: r.note };
  if (r.baseline) {
    out.baseline = { ...r.baseline, value: spread(r.baseline.values) };
    out.ratio = r.ratio ?? pairedRatio(r.values, r.baseline.values);
  } else if (r.ratio) {
    out.ratio = r.ratio;
  }
  if (r.target) {
    const x = (r.target.on ?? 'ratio') === 'ratio' ? out.ratio?.median : out.value.median;
    const met = x !== undefined && !Number.isNaN(x) && (r.target.op === '<=' ? x <= r.target.bound : x >= r.target.bound);
    out.target = { ...r.target, met };
  }
  return out;
}

/** Everything one benchmark run produced. */
export interface BenchResults {
  date: string;
  command: string;
  options: Record<string, unknown>;
  machine: Record<string, unknown>;
  rows: Row[];
  commands: { what: string; command: string }[];
  notes: string[];
  raw: Record<string, unknown>;
  wall_s: number;
}
