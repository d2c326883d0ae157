import type { SampleResult } from '@evalgraph/core';
import { clip } from '@evalgraph/analysis';
import type { Summary } from './summary-schema';

/** Limits on the samples embedded in report.html. */
export interface EmbedOptions {
  /** Samples per cell (default 200). */
  maxPerCell?: number;
  /** Characters kept of each prompt / response / reasoning (default 4000). */
  maxTextChars?: number;
  /** Size budget of the embedded JSON; the per-cell cap is halved until it fits (default 12 MB). */
  maxBytes?: number;
}

/** Column order of EmbeddedSamples.rows (strings are indexes into `strings`, -1 for none). */
export const SAMPLE_COLUMNS = ['cell', 'id', 'sample_index', 'outcome', 'score', 'prompt_tokens', 'completion_tokens', 'latency_ms', 'prompt', 'response', 'reasoning', 'extracted', 'target'] as const;

export type EmbeddedRow = [number, string, number, string, number, number, number, number, number, number, number, number, number];

/** The sample browser's data: cells, interned strings (prompts repeat across variants) and one row per sample. */
export interface EmbeddedSamples {
  columns: typeof SAMPLE_COLUMNS;
  cap: number;
  text_chars: number;
  cells: { key: string; variant: string; dataset: string; total: number; shown: number }[];
  strings: string[];
  rows: EmbeddedRow[];
}

/** Samples worth showing first: the longest and slowest, then disagreements, then failures, then the rest in file order. */
function pick(key: string, samples: readonly SampleResult[], summary: Summary, cap: number): SampleResult[] {
  const k = (id: string, i: number) => `${id}\u0000${i}`;
  const extreme = new Set<string>();
  for (const h of [...summary.analysis.longest, ...summary.analysis.slowest]) if (h.key === key) extreme.add(k(h.id, h.sample_index));
  const disputed = new Set<string>();
  const dataset = summary.cells.find((c) => c.key === key)?.dataset;
  for (const d of summary.analysis.disagreements) if (d.dataset === dataset) for (const x of d.shown) disputed.add(k(x.id, x.sample_index));
  const rank = (s: SampleResult) => {
    const id = k(s.id, s.sample_index);
    return extreme.has(id) ? 0 : disputed.has(id) ? 1 : s.outcome !== 'correct' ? 2 : 3;
  };
  return samples
    .map((s, i) => ({ s, i, r: rank(s) }))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .slice(0, cap)
    .sort((a, b) => a.i - b.i)
    .map((x) => x.s);
}

function build(summary: Summary, samples: Readonly<Record<string, readonly SampleResult[]>>, cap: number, chars: number): EmbeddedSamples {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const intern = (s: string | null | undefined) => {
    if (s === null || s === undefined) return -1;
    const t = clip(s, chars);
    let i = index.get(t);
    if (i === undefined) {
      i = strings.length;
      strings.push(t);
      index.set(t, i);
    }
    return i;
  };
  const out: EmbeddedSamples = { columns: SAMPLE_COLUMNS, cap, text_chars: chars, cells: [], strings, rows: [] };
  for (const cell of summary.cells) {
    const all = samples[cell.key] ?? [];
    const chosen = pick(cell.key, all, summary, cap);
    const ci = out.cells.length;
    out.cells.push({ key: cell.key, variant: cell.variant, dataset: cell.dataset, total: all.length, shown: chosen.length });
    for (const s of chosen) {
      out.rows.push([ci, s.id, s.sample_index, s.outcome, s.score, s.prompt_tokens, s.completion_tokens, s.latency_ms, intern(s.prompt), intern(s.response), intern(s.reasoning), intern(s.extracted), intern(s.target)]);
    }
  }
  return out;
}

/** Chooses and compacts the samples report.html embeds, within the per-cell cap and the size budget. */
export function embedSamples(summary: Summary, samples: Readonly<Record<string, readonly SampleResult[]>>, opts: EmbedOptions = {}): EmbeddedSamples {
  const chars = opts.maxTextChars ?? 4000;
  const budget = opts.maxBytes ?? 12_000_000;
  let cap = opts.maxPerCell ?? 200;
  for (;;) {
    const data = build(summary, samples, cap, chars);
    if (cap <= 10 || JSON.stringify(data).length <= budget) return data;
    cap = Math.max(10, Math.floor(cap / 2));
  }
}

/** Every sample's primary-metric value per dataset and variant, aligned by sample, for comparing two variants in the page. */
export interface EmbeddedScores {
  datasets: {
    dataset: string;
    metric: string;
    higher_is_better: boolean;
    /** "task id#sample_index" of each position. */
    samples: string[];
    /** variant → value per position (null where that variant has no such sample). */
    values: Record<string, (number | null)[]>;
  }[];
}

/** The per-sample score tables of summary.json, laid out per dataset (ids once, values per variant). */
export function embedScores(summary: Summary): EmbeddedScores {
  const out: EmbeddedScores = { datasets: [] };
  for (const dataset of summary.datasets) {
    const cells = summary.cells.filter((c) => c.dataset === dataset);
    if (!cells.length) continue;
    const keys = new Set<string>();
    for (const c of cells) for (const [id, row] of Object.entries(c.sample_scores)) row.forEach((v, i) => v !== null && keys.add(`${id}#${i}`));
    const samples = [...keys].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    const values: Record<string, (number | null)[]> = {};
    for (const c of cells) {
      values[c.variant] = samples.map((k) => {
        const at = k.lastIndexOf('#');
        // Rounded: the page shows 3 decimals, and 6 keep paired sums exact enough while halving the bytes.
        const v = c.sample_scores[k.slice(0, at)]?.[Number(k.slice(at + 1))];
        return v === null || v === undefined ? null : Math.round(v * 1e6) / 1e6;
      });
    }
    const primary = cells[0].metrics.metrics.find((m) => m.name === cells[0].metrics.primary);
    out.datasets.push({ dataset, metric: cells[0].metrics.primary, higher_is_better: primary?.higher_is_better ?? true, samples, values });
  }
  return out;
}
