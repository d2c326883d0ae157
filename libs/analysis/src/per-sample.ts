import { Outcome, type SampleResult } from '@evalgraph/core';
import type { LoadedCell } from './load-cells';
import type { CellMetrics } from './matrix';
import type { Disagreement, DisagreementSet, ErrorCategoryRow, SampleHighlight } from './schemas';

/** Outcome counts per variant × dataset, as metrics.json recorded them (every outcome listed, zeros included). */
export function errorCategories(cells: readonly CellMetrics[]): ErrorCategoryRow[] {
  return cells.map(({ cell, metrics }) => ({
    key: cell.key,
    variant: cell.variant,
    dataset: cell.dataset,
    n: metrics.n,
    error_rate: metrics.error_rate,
    outcomes: Object.fromEntries(Outcome.options.map((o) => [o, metrics.outcomes[o] ?? 0])),
  }));
}

/** Cuts text to at most `max` characters, saying how much was cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… [${text.length - max} more characters]`;
}

const sampleKey = (s: Pick<SampleResult, 'id' | 'sample_index'>) => `${s.id}\u0000${s.sample_index}`;

/**
 * Per dataset, the samples that every variant answered where some variant got it right (outcome
 * "correct") and another did not; `limit` caps how many are kept per dataset (the total is still counted).
 */
export function disagreements(cells: readonly LoadedCell[], opts: { limit?: number; promptChars?: number } = {}): DisagreementSet[] {
  const limit = opts.limit ?? 50;
  const byDataset = new Map<string, LoadedCell[]>();
  for (const c of cells) byDataset.set(c.cell.dataset, [...(byDataset.get(c.cell.dataset) ?? []), c]);
  const out: DisagreementSet[] = [];
  for (const [dataset, group] of byDataset) {
    if (group.length < 2) continue;
    const maps = group.map((c) => new Map(c.samples.map((s) => [sampleKey(s), s])));
    let compared = 0;
    let total = 0;
    const shown: Disagreement[] = [];
    for (const [k, first] of maps[0]) {
      const all = maps.map((m) => m.get(k));
      if (all.some((s) => !s)) continue;
      compared++;
      const present = all as SampleResult[];
      const right = present.filter((s) => s.outcome === 'correct').length;
      if (right === 0 || right === present.length) continue;
      total++;
      if (shown.length < limit) {
        shown.push({
          dataset,
          id: first.id,
          sample_index: first.sample_index,
          scores: Object.fromEntries(present.map((s, i) => [group[i].cell.variant, s.score])),
          outcomes: Object.fromEntries(present.map((s, i) => [group[i].cell.variant, s.outcome])),
          prompt: clip(first.prompt, opts.promptChars ?? 2000),
        });
      }
    }
    out.push({ dataset, variants: group.map((c) => c.cell.variant), compared, total, shown });
  }
  return out;
}

/** The k samples with the most generated tokens and the k slowest, over all cells, with prompt and response. */
export function extremes(cells: readonly LoadedCell[], opts: { k?: number; textChars?: number } = {}): { longest: SampleHighlight[]; slowest: SampleHighlight[] } {
  const k = opts.k ?? 10;
  const chars = opts.textChars ?? 2000;
  const all = cells.flatMap((c) => c.samples.map((s) => ({ c, s })));
  const top = (by: (s: SampleResult) => number) =>
    [...all]
      .sort((x, y) => by(y.s) - by(x.s) || x.c.cell.key.localeCompare(y.c.cell.key) || x.s.id.localeCompare(y.s.id))
      .slice(0, k)
      .map(({ c, s }): SampleHighlight => ({
        key: c.cell.key,
        variant: c.cell.variant,
        dataset: c.cell.dataset,
        id: s.id,
        sample_index: s.sample_index,
        outcome: s.outcome,
        score: s.score,
        completion_tokens: s.completion_tokens,
        latency_ms: s.latency_ms,
        prompt: clip(s.prompt, chars),
        response: clip(s.response, chars),
      }));
  return { longest: top((s) => s.completion_tokens), slowest: top((s) => s.latency_ms) };
}
