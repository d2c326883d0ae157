import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { baseline, readBaselineSummary, type BaselineRow } from '@evalgraph/analysis';
import { fmt, mdCell, mdTable, readSummary, shortCommit } from '@evalgraph/report';

/** GitHub refuses a job summary over 1 MiB; stay under it with room for the note that says what was cut. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024 - 4096;

export interface StepSummaryInput {
  root: string;
  /** Folder with `<pipeline>/summary.json` from the base commit; pipelines without one show this run only. */
  baseDir?: string;
  base?: string;
  head?: string;
  limit?: number;
}

const verdict = (r: BaselineRow) => (r.regression ? '🔻 **regression**' : r.improvement ? '🔺 improvement' : 'not significant');

/** Rows whose value moved, regressions first, then by the size of the move. */
function changedRows(rows: readonly BaselineRow[]): BaselineRow[] {
  return rows
    .filter((r) => r.current !== r.baseline)
    .sort((x, y) => Number(y.regression) - Number(x.regression) || Number(y.improvement) - Number(x.improvement) || Math.abs(y.comparison.diff) - Math.abs(x.comparison.diff));
}

function pipelineSection(root: string, pipeline: string, baseDir: string | undefined, baseSha: string | undefined): string {
  const file = join(root, 'results', pipeline, 'candidate', 'summary.json');
  const s = readSummary(file);
  const lines = [`## ${mdCell(pipeline)}: ${s.readiness.pass ? '✅ ready' : '❌ not ready'}`, ''];
  if (s.dummy) lines.push('> **DUMMY BACKEND**: these numbers come from the in-process dummy, not from a model.', '');
  lines.push(`${s.cells.length} cells${s.complete ? '' : ' (incomplete: see the report)'}; failed gates: ${s.readiness.gates.filter((g) => !g.pass).map((g) => g.gate).join(', ') || 'none'}.`, '');
  const baseFile = baseDir ? join(baseDir, pipeline, 'summary.json') : null;
  if (baseFile && existsSync(baseFile)) {
    const report = baseline(readBaselineSummary(file).cells, readBaselineSummary(baseFile));
    const changed = changedRows(report.rows);
    lines.push(`### Changed metrics: ${changed.length} of ${report.rows.length}; ${report.regressions} regression(s), ${report.improvements} improvement(s)`, '');
    lines.push(`Base commit \`${shortCommit(report.baseline_git_commit ?? baseSha ?? null)}\`. The primary metric is tested on the paired samples (McNemar or paired bootstrap); other metrics by their standard errors.`, '');
    if (changed.length) {
      lines.push(mdTable(['cell', 'metric', 'base', 'head', 'Δ [95% CI]', 'p', 'test', 'verdict'], changed.map((r) => [mdCell(r.key), mdCell(r.metric), fmt.metric(r.baseline), fmt.metric(r.current), `${fmt.signed(r.comparison.diff)} ${fmt.ci(r.comparison.ci95)}`, fmt.p(r.comparison.p_value), r.comparison.test, verdict(r)]), 200));
    } else lines.push('No metric changed.');
    if (report.new_in_current.length) lines.push('', `New cells: ${report.new_in_current.map(mdCell).join(', ')}.`);
    if (report.missing_in_current.length) lines.push('', `Cells of the base that this run does not have: ${report.missing_in_current.map(mdCell).join(', ')}.`);
  } else {
    lines.push(`### Results (no summary of the base commit for this pipeline, so nothing to compare)`, '');
    lines.push(
      mdTable(
        ['cell', 'metric', 'value', '95% CI', 'n'],
        s.cells.map((c) => {
          const m = c.metrics.metrics.find((x) => x.name === c.metrics.primary);
          return [mdCell(c.key), mdCell(c.metrics.primary), fmt.metric(m?.value), fmt.ci(m?.ci95), String(m?.n ?? 0)];
        }),
        200,
      ),
    );
  }
  lines.push('', `Full report: \`results/${pipeline}/candidate/report.md\` and \`report.html\` (workflow artifact).`);
  return lines.join('\n');
}

/** Pipelines whose report ran in this job (their candidate summary.json exists), sorted. */
export function reportedPipelines(root: string): string[] {
  const dir = join(root, 'results');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((p) => existsSync(join(dir, p, 'candidate', 'summary.json')))
    .sort();
}

/**
 * The job summary of the CI's GPU job: per reported pipeline its readiness and the metrics that changed
 * against the base commit, with their paired tests. Cut to GitHub's size limit, saying so.
 */
export function stepSummary(input: StepSummaryInput): string {
  const pipelines = reportedPipelines(input.root);
  const range = input.base && input.head ? ` (\`${input.base.slice(0, 12)}\` → \`${input.head.slice(0, 12)}\`)` : '';
  const head = `# evalgraph: affected pipelines${range}`;
  if (!pipelines.length) return `${head}\n\nNo pipeline was affected: no report ran.\n`;
  let out = `${head}\n`;
  const limit = input.limit ?? STEP_SUMMARY_LIMIT;
  for (const [i, p] of pipelines.entries()) {
    const section = `\n${pipelineSection(input.root, p, input.baseDir, input.base)}\n`;
    if (Buffer.byteLength(out + section) > limit) {
      out += `\n_Cut to fit GitHub's job summary limit: ${pipelines.length - i} pipeline(s) not shown (${pipelines.slice(i).join(', ')}); see their report.md._\n`;
      break;
    }
    out += section;
  }
  return out;
}
