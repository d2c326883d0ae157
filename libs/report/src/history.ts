import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { BaselineReport, baseline as compareBaseline, parseBaselineSummary, validateWith, type BaselineSummary, type BootstrapOptions } from '@evalgraph/analysis';
import { HISTORY_HTML_MARK, HISTORY_MD_MARK, fmt, shortCommit } from './format';
import { mdCell, mdTable } from './markdown';
import type { Summary } from './summary-schema';

/** Published runs the history keeps (it is embedded in report.html, so it must not grow without bound). */
export const HISTORY_RUNS = 50;

/** File name of the publish history kept next to the published report. */
export const HISTORY_FILE = 'history.json';

/** One published run, as the history lists it. */
export const HistoryEntry = z
  .object({
    published_at: z.string(),
    generated_at: z.string(),
    git_commit: z.string().nullable(),
    cells: z.number().int().min(0),
    dummy: z.boolean(),
    primary: z.record(z.string(), z.object({ metric: z.string(), value: z.number() }).strict()).describe('cell key → primary metric'),
  })
  .strict();
export type HistoryEntry = z.infer<typeof HistoryEntry>;

/** history.json: the last HISTORY_RUNS published runs (newest first) and what changed since the previous one. */
export const History = z
  .object({
    schema_version: z.literal(1),
    runs: z.array(HistoryEntry),
    changes: z.object({ since: HistoryEntry, comparison: BaselineReport.describe('this run − the previous published run (paired where both scored the same samples)') }).strict().nullable(),
  })
  .strict();
export type History = z.infer<typeof History>;

function entryOf(s: Summary, publishedAt: string): HistoryEntry {
  return {
    published_at: publishedAt,
    generated_at: s.generated_at,
    git_commit: s.meta.git_commit,
    cells: s.cells.length,
    dummy: s.dummy,
    primary: Object.fromEntries(s.comparisons.matrix.map((r) => [r.key, { metric: r.metric, value: r.value }])),
  };
}

/** The history after publishing `current`: its entry first, and the comparison with the run published before it. */
export function nextHistory(previous: History | null, previousSummary: BaselineSummary | null, current: Summary, publishedAt: string, opts: BootstrapOptions = {}): History {
  const entry = entryOf(current, publishedAt);
  // A report published before histories were kept still has its summary: it is the run to compare with.
  const since: HistoryEntry | null =
    previous?.runs[0] ??
    (previousSummary
      ? { published_at: previousSummary.generated_at ?? 'unknown', generated_at: previousSummary.generated_at ?? 'unknown', git_commit: previousSummary.git_commit ?? null, cells: previousSummary.cells.length, dummy: false, primary: {} }
      : null);
  const changes = since && previousSummary ? { since, comparison: compareBaseline(current.cells, previousSummary, opts) } : null;
  return { schema_version: 1, runs: [entry, ...(previous?.runs ?? (since ? [since] : []))].slice(0, HISTORY_RUNS), changes };
}

/** Reads the published history and summary of `dir` (nulls when nothing was published there yet). */
export function readPublished(dir: string): { history: History | null; summary: BaselineSummary | null } {
  const hf = join(dir, HISTORY_FILE);
  const sf = join(dir, 'summary.json');
  const history = existsSync(hf) ? validateWith(History, JSON.parse(readFileSync(hf, 'utf8')), hf, 'history') : null;
  const summary = existsSync(sf) ? parseBaselineSummary(readFileSync(sf, 'utf8'), sf) : null;
  return { history, summary };
}

/** The history section of report.md: earlier runs, then what changed since the previous one. */
export function historyMarkdown(h: History, limit = 20): string {
  const runs = mdTable(
    ['published', 'generated', 'commit', 'cells', 'backend'],
    h.runs.map((r, i) => [`${r.published_at}${i === 0 ? ' (this report)' : ''}`, r.generated_at, `\`${shortCommit(r.git_commit)}\``, String(r.cells), r.dummy ? 'dummy' : 'model']),
    limit,
  );
  const lines = ['## History', '', runs];
  const c = h.changes;
  if (!c) {
    lines.push('', '_First published run: nothing to compare with._');
    return lines.join('\n');
  }
  const b = c.comparison;
  const rows = b.rows
    .filter((r) => r.primary || r.regression || r.improvement)
    .filter((r) => r.comparison.diff !== 0 || r.regression || r.improvement)
    .sort((x, y) => Number(y.regression) - Number(x.regression) || Number(y.improvement) - Number(x.improvement) || Math.abs(y.comparison.diff) - Math.abs(x.comparison.diff));
  lines.push('', `### Since the run published ${c.since.published_at} (commit \`${shortCommit(c.since.git_commit)}\`): ${b.regressions} regression(s), ${b.improvements} improvement(s)`, '');
  if (rows.length) {
    lines.push(
      mdTable(
        ['cell', 'metric', 'before', 'now', 'Δ [95% CI]', 'p', 'test', 'verdict'],
        rows.map((r) => [mdCell(r.key), mdCell(r.metric), fmt.metric(r.baseline), fmt.metric(r.current), `${fmt.signed(r.comparison.diff)} ${fmt.ci(r.comparison.ci95)}`, fmt.p(r.comparison.p_value), r.comparison.test, r.regression ? 'regression' : r.improvement ? 'improvement' : 'not significant']),
        limit,
      ),
    );
  } else lines.push('No primary metric changed.');
  if (b.new_in_current.length) lines.push('', `Cells added: ${b.new_in_current.map(mdCell).join(', ')}.`);
  if (b.missing_in_current.length) lines.push('', `Cells removed: ${b.missing_in_current.map(mdCell).join(', ')}.`);
  return lines.join('\n');
}

const JSON_SAFE = (v: unknown) => JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');

/**
 * The report files as published: history.json added, and the history filled into report.md and report.html
 * (rendered reports carry a placeholder, since only publishing knows what was published before).
 */
export function withHistory(files: Readonly<Record<string, string | Uint8Array>>, h: History): Record<string, string | Uint8Array> {
  const out: Record<string, string | Uint8Array> = { ...files, [HISTORY_FILE]: JSON.stringify(h, null, 2) + '\n' };
  const text = (name: string) => (name in files ? Buffer.from(files[name]).toString('utf8') : null);
  const md = text('report.md');
  if (md !== null) out['report.md'] = md.replace(HISTORY_MD_MARK, () => historyMarkdown(h));
  const html = text('report.html');
  if (html !== null) out['report.html'] = html.replace(HISTORY_HTML_MARK, () => HISTORY_HTML_MARK.replace('>null<', `>${JSON_SAFE(h)}<`));
  return out;
}
