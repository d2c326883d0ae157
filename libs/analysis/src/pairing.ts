import type { SampleResult } from '@evalgraph/core';
import type { ScoreTable } from './schemas';

/** Per-sample values of one cell keyed by task id and sample_index. */
export function scoreTable(samples: readonly SampleResult[], value: (s: SampleResult) => number = (s) => s.score): ScoreTable {
  const table: ScoreTable = {};
  for (const s of samples) {
    const row = (table[s.id] ??= []);
    while (row.length <= s.sample_index) row.push(null);
    row[s.sample_index] = value(s);
  }
  return table;
}

/** Two cells' values on the samples both have, aligned, with the task id of each pair as its cluster. */
export interface PairedValues {
  a: number[];
  b: number[];
  clusters: string[];
}

/** Aligns two score tables on (task id, sample_index); samples only one side has are left out. */
export function pairTables(a: ScoreTable, b: ScoreTable): PairedValues {
  const out: PairedValues = { a: [], b: [], clusters: [] };
  for (const id of Object.keys(a).sort()) {
    const rb = b[id];
    if (!rb) continue;
    const ra = a[id];
    for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
      const x = ra[i];
      const y = rb[i];
      if (x === null || y === null) continue;
      out.a.push(x);
      out.b.push(y);
      out.clusters.push(id);
    }
  }
  return out;
}

/** Number of (task, sample_index) entries in a table. */
export function tableSize(t: ScoreTable): number {
  let n = 0;
  for (const row of Object.values(t)) for (const v of row) if (v !== null) n++;
  return n;
}
