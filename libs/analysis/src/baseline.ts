import { readFileSync } from 'node:fs';
import { BaselineSummary as BaselineSummarySchema, type BaselineCell, type BaselineReport, type BaselineRow, type BaselineSummary, type ComparisonResult } from './schemas';
import { ResultFileError, validateWith } from './validate';
import { pairTables, tableSize } from './pairing';
import { comparePaired, compareUnpaired } from './stats/paired';
import type { BootstrapOptions } from './stats/intervals';

/** Share of each side's samples that must be shared for the comparison to be paired. */
export const PAIRED_OVERLAP = 0.5;

/** Paired comparison of the primary metric when both runs scored (mostly) the same samples, else null. */
function pairedPrimary(cur: BaselineCell, base: BaselineCell, opts: BootstrapOptions): ComparisonResult | null {
  if (!cur.sample_scores || !base.sample_scores) return null;
  const p = pairTables(cur.sample_scores, base.sample_scores);
  const enough = p.a.length > 0 && p.a.length >= PAIRED_OVERLAP * tableSize(cur.sample_scores) && p.a.length >= PAIRED_OVERLAP * tableSize(base.sample_scores);
  return enough ? comparePaired(p.a, p.b, { ...opts, clusters: p.clusters }) : null;
}

/**
 * This run against a stored baseline summary, metric by metric: the primary metric is compared on the
 * paired samples when both runs scored the same sample ids, every other metric (or an unpaired primary)
 * by its standard errors. A regression is a significant change in the worse direction.
 */
export function baseline(current: readonly BaselineCell[], base: BaselineSummary, opts: BootstrapOptions = {}): BaselineReport {
  const baseByKey = new Map(base.cells.map((c) => [c.key, c]));
  const curKeys = new Set(current.map((c) => c.key));
  const rows: BaselineRow[] = [];
  for (const cur of current) {
    const old = baseByKey.get(cur.key);
    if (!old) continue;
    for (const m of cur.metrics.metrics) {
      const o = old.metrics.metrics.find((x) => x.name === m.name);
      if (!o) continue;
      const isPrimary = m.name === cur.metrics.primary && o.name === old.metrics.primary;
      const comparison = (isPrimary ? pairedPrimary(cur, old, opts) : null) ?? compareUnpaired(m, o);
      const worse = m.higher_is_better ? comparison.diff < 0 : comparison.diff > 0;
      rows.push({
        key: cur.key,
        metric: m.name,
        primary: isPrimary,
        current: m.value,
        baseline: o.value,
        higher_is_better: m.higher_is_better,
        comparison,
        regression: comparison.significant && worse,
        improvement: comparison.significant && !worse && comparison.diff !== 0,
      });
    }
  }
  return {
    baseline_pipeline: base.pipeline,
    baseline_generated_at: base.generated_at ?? null,
    baseline_git_commit: base.git_commit ?? null,
    rows,
    regressions: rows.filter((r) => r.regression).length,
    improvements: rows.filter((r) => r.improvement).length,
    missing_in_current: base.cells.filter((c) => !curKeys.has(c.key)).map((c) => c.key),
    new_in_current: current.filter((c) => !baseByKey.has(c.key)).map((c) => c.key),
  };
}

/** Parses summary.json text obtained elsewhere (e.g. `git show <ref>:<path>`) as a baseline; `source` names it in errors. */
export function parseBaselineSummary(text: string, source: string): BaselineSummary {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new ResultFileError(source, [`not valid JSON (${(e as Error).message})`], 'baseline');
  }
  return validateWith(BaselineSummarySchema, data, source, 'baseline');
}

/** Reads a stored summary.json as a baseline (ajv-validated against the generated JSON Schema). */
export function readBaselineSummary(file: string): BaselineSummary {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ResultFileError(file, [`not readable (${(e as NodeJS.ErrnoException).code ?? String(e)})`], 'baseline');
  }
  return parseBaselineSummary(text, file);
}
