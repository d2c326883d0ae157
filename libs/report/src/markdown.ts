import { Outcome } from '@evalgraph/core';
import { DUMMY_BANNER, HISTORY_MD_MARK, fmt, gpuText, measured, metricReferences, shortCommit } from './format';
import type { Summary } from './summary-schema';

/** GitHub rejects PR comments over 65,536 characters; keep a margin. */
export const MARKDOWN_LIMIT = 65_000;

/** Escapes text for a Markdown table cell. */
export function mdCell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}

/** A Markdown table; rows past `limit` are replaced by one row saying how many were left out and where they are. */
export function mdTable(header: string[], rows: string[][], limit = Infinity): string {
  const shown = rows.slice(0, limit);
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...shown.map((r) => `| ${r.join(' | ')} |`)];
  if (rows.length > shown.length) lines.push(`| … ${rows.length - shown.length} more rows in summary.json and report.html |${' |'.repeat(header.length - 1)}`);
  return lines.join('\n');
}

const yes = (b: boolean) => (b ? 'yes' : 'no');

function header(s: Summary): string {
  const lines = [`# evalgraph report: ${s.pipeline}`, ''];
  if (s.dummy) {
    const n = s.cells.filter((c) => c.backend === 'dummy').length;
    lines.push('> [!WARNING]', `> **${DUMMY_BANNER}.** ${n} of ${s.cells.length} cells ran on the in-process dummy backend: these numbers test the pipeline, not a model.`, '');
  }
  if (!s.complete) lines.push(`> [!CAUTION]`, `> **Partial run:** ${s.missing_cells.length} cell(s) have no results.`, '');
  const gpu = gpuText(s.meta.gpu);
  const vllm = s.meta.vllm_versions.length ? `vLLM ${s.meta.vllm_versions.join(', ')}` : 'no vLLM';
  lines.push(`Generated ${s.generated_at} · commit \`${shortCommit(s.meta.git_commit)}\`${s.meta.git_dirty ? ' (dirty)' : ''} · ${s.meta.gpu.used ? 'GPU ' : ''}${gpu} · backend ${s.meta.backends.join(', ') || 'none'} · ${vllm} · ${s.cells.length}/${s.cells.length + s.missing_cells.length} cells`);
  if (s.description) lines.push('', mdCell(s.description));
  return lines.join('\n');
}

function readiness(s: Summary): string {
  const rows = s.readiness.gates.map((g) => [g.gate, g.pass ? '✅ pass' : '❌ fail', mdCell(g.value_text), mdCell(g.threshold_text), mdCell(g.reason)]);
  return [`## Readiness: ${s.readiness.pass ? '✅ ready' : '❌ not ready'}`, '', mdTable(['gate', 'result', 'value', 'threshold', 'reason'], rows)].join('\n');
}

/** The best row of a dataset by its metric's direction, when exactly one row has that value. */
function bestOf(rows: readonly MatrixRow[]): MatrixRow | null {
  if (rows.length < 2) return null;
  const best = rows.reduce((a, r) => ((r.higher_is_better ? r.value > a.value : r.value < a.value) ? r : a));
  return rows.filter((r) => r.value === best.value).length === 1 ? best : null;
}

/**
 * The primary metric with its interval. Datasets are rows and variants columns (a pipeline usually has far
 * more datasets than variants), swapped when there are more variants, so the table stays narrow enough for
 * a terminal and a GitHub page. The best variant of each dataset is in bold.
 */
export function overviewTable(s: Pick<Summary, 'datasets' | 'variants' | 'comparisons'>, limit = Infinity): string {
  const byKey = new Map(s.comparisons.matrix.map((r) => [r.key, r]));
  const best = new Set<string>();
  for (const d of s.datasets) {
    const b = bestOf(s.comparisons.matrix.filter((r) => r.dataset === d));
    if (b) best.add(b.key);
  }
  const cell = (v: string, d: string) => {
    const r = byKey.get(`${v}/${d}`);
    if (!r) return 'missing';
    return best.has(r.key) ? `**${fmt.metric(r.value)}** ${fmt.ci(r.ci95)}` : `${fmt.metric(r.value)} ${fmt.ci(r.ci95)}`;
  };
  const metricOf = (d: string) => s.comparisons.matrix.find((r) => r.dataset === d)?.metric ?? '—';
  if (s.variants.length <= s.datasets.length) {
    const rows = s.datasets.map((d) => [mdCell(d), mdCell(metricOf(d)), ...s.variants.map((v) => cell(v.id, d))]);
    return mdTable(['dataset', 'metric', ...s.variants.map((v) => mdCell(v.id))], rows, limit);
  }
  const rows = s.variants.map((v) => [mdCell(v.id), ...s.datasets.map((d) => cell(v.id, d))]);
  return mdTable(['variant', ...s.datasets.map((d) => `${mdCell(d)} (${mdCell(metricOf(d))})`)], rows, limit);
}

function overview(s: Summary, limit: number): string {
  return ['## Results (primary metric, 95% CI; best per dataset in bold)', '', overviewTable(s, limit)].join('\n');
}

type MatrixRow = Summary['comparisons']['matrix'][number];

/** `tail` marks the p90/p99 latencies, which the tracker leaves out to keep its table narrow. */
const RESULT_COLUMNS: { header: string; cell: (r: MatrixRow) => string; tail?: true }[] = [
  { header: 'cell', cell: (r) => mdCell(r.key) },
  { header: 'n', cell: (r) => String(r.n) },
  { header: 'tok/s', cell: (r) => measured(r.throughput_tok_s, fmt.tokS, r.throughput_note ? shortNote(r.throughput_note) : null) },
  { header: 'p50 ms', cell: (r) => measured(r.latency_p50_ms, fmt.ms) },
  { header: 'p90 ms', cell: (r) => measured(r.latency_p90_ms, fmt.ms), tail: true },
  { header: 'p99 ms', cell: (r) => measured(r.latency_p99_ms, fmt.ms), tail: true },
  { header: 'peak GiB', cell: (r) => measured(r.peak_gpu_memory_gib, fmt.gib) },
  { header: 'error rate', cell: (r) => fmt.pct(r.error_rate) },
];

/** A throughput note short enough for a table cell. */
export function shortNote(note: string): string {
  return note.startsWith('shared server') ? 'shared server' : note.startsWith('dummy') ? 'not measured' : note;
}

/** The per-cell cost table (one row per matrix entry) shared by the report and the tracker; `tailLatency: false` drops p90/p99. */
export function resultsTable(matrix: readonly MatrixRow[], { tailLatency = true, limit = Infinity }: { tailLatency?: boolean; limit?: number } = {}): string {
  const columns = RESULT_COLUMNS.filter((c) => tailLatency || !c.tail);
  return mdTable(columns.map((c) => c.header), matrix.map((r) => columns.map((c) => c.cell(r))), limit);
}

/** Throughput per model server over the window it served (a server's tokens counted once). */
export function serversTable(s: Pick<Summary, 'comparisons'>, limit = Infinity): string {
  return mdTable(
    ['model', 'server', 'cells', 'seconds', 'generated tokens', 'tok/s'],
    s.comparisons.servers.map((r) => [mdCell(r.model), mdCell(r.server), String(r.cells.length), r.window_s.toFixed(1), String(r.completion_tokens), measured(r.tok_s, fmt.tokS, r.note)]),
    limit,
  );
}

function matrix(s: Summary, limit: number): string {
  const rows = s.comparisons.matrix;
  const nothing = rows.every((r) => r.throughput_tok_s === null && r.latency_p50_ms === null && r.peak_gpu_memory_gib === null);
  if (nothing && rows.length) {
    const dummy = rows.every((r) => r.throughput_note?.startsWith('dummy'));
    return ['## Cost per cell', '', `Not measured: ${dummy ? 'every cell ran on the dummy backend, which measures no' : 'no cell recorded'} throughput, latency or GPU memory.`].join('\n');
  }
  return [
    '## Cost per cell',
    '',
    resultsTable(s.comparisons.matrix, { limit }),
    '',
    "_tok/s per cell only where the cell had its server to itself; cells that ran on one server at the same time share its tokens, counted once below._",
    '',
    '## Throughput per model server',
    '',
    serversTable(s, limit),
  ].join('\n');
}

const sig = (c: { significant: boolean; p_value: number | null }) => (c.p_value === null ? 'untested' : c.significant ? '**yes**' : 'no');

function scalingSection(s: Summary, limit: number): string {
  if (!s.comparisons.scaling.length) return '';
  const rows = s.comparisons.scaling.map((r) => [
    mdCell(r.family),
    mdCell(r.dataset),
    mdCell(r.metric),
    `${mdCell(r.small)} → ${mdCell(r.large)}`,
    fmt.metric(r.small_value),
    fmt.metric(r.large_value),
    `${fmt.signed(r.gain.diff)} ${fmt.ci(r.gain.ci95)}`,
    fmt.p(r.gain.p_value),
    sig(r.gain),
    fmt.ratio(r.memory_ratio),
    fmt.ratio(r.throughput_ratio),
    fmt.ratio(r.accuracy_per_gib.ratio),
    fmt.ratio(r.accuracy_per_1k_tok_s.ratio),
  ]);
  return [
    '## Scaling: accuracy gain vs cost',
    '',
    mdTable(['family', 'dataset', 'metric', 'small → large', 'small', 'large', 'gain [95% CI]', 'p', 'significant', 'memory', 'throughput', 'metric/GiB', 'metric per 1k tok/s'], rows, limit),
    '',
    '_Gains are on each metric’s own scale; ratios are large ÷ small; the gain is paired on the same samples (McNemar for 0/1 outcomes, paired bootstrap otherwise)._',
  ].join('\n');
}

function modesSection(s: Summary, limit: number): string {
  if (!s.comparisons.modes.length) return '';
  const rows = s.comparisons.modes.map((r) => [
    mdCell(r.name),
    mdCell(r.dataset),
    mdCell(r.metric),
    `${mdCell(r.a)} vs ${mdCell(r.b)}`,
    fmt.metric(r.a_value),
    fmt.metric(r.b_value),
    `${fmt.signed(r.accuracy.diff)} ${fmt.ci(r.accuracy.ci95)}`,
    `${fmt.p(r.accuracy.p_value)} ${sig(r.accuracy)}`,
    `${fmt.signed(r.completion_tokens.diff, 0)} ${fmt.ci(r.completion_tokens.ci95, 0)}`,
    `${fmt.signed(r.latency_ms.diff, 0)} ${fmt.ci(r.latency_ms.ci95, 0)}`,
  ]);
  return [
    '## Modes',
    '',
    mdTable(['comparison', 'dataset', 'metric', 'a vs b', 'a', 'b', 'Δ metric [95% CI]', 'p, significant', 'Δ tokens/sample', 'Δ latency ms'], rows, limit),
    '',
    '_Δ is a − b on paired samples, on the metric’s own scale._',
  ].join('\n');
}

function baselineSection(s: Summary, limit: number): string {
  const b = s.comparisons.baseline;
  if (!b) return '';
  const rows = [...b.rows]
    .sort((x, y) => Number(y.regression) - Number(x.regression) || Number(y.primary) - Number(x.primary))
    .map((r) => [
      mdCell(r.key),
      mdCell(r.metric),
      fmt.metric(r.baseline),
      fmt.metric(r.current),
      `${fmt.signed(r.comparison.diff)} ${fmt.ci(r.comparison.ci95)}`,
      fmt.p(r.comparison.p_value),
      r.comparison.test,
      r.regression ? '🔻 **regression**' : r.improvement ? '🔺 improvement' : '—',
    ]);
  const extra = [
    b.missing_in_current.length ? `Cells in the baseline but not in this run: ${b.missing_in_current.map(mdCell).join(', ')}.` : '',
    b.new_in_current.length ? `New cells: ${b.new_in_current.map(mdCell).join(', ')}.` : '',
  ].filter(Boolean);
  return [
    `## Baseline: ${b.regressions} regression(s), ${b.improvements} improvement(s)`,
    '',
    `Against ${mdCell(b.baseline_pipeline)} of ${b.baseline_generated_at ?? 'unknown date'} (commit \`${shortCommit(b.baseline_git_commit)}\`).`,
    '',
    mdTable(['cell', 'metric', 'baseline', 'current', 'Δ [95% CI]', 'p', 'test', 'verdict'], rows, limit),
    ...(extra.length ? ['', ...extra] : []),
  ].join('\n');
}

function outcomesSection(s: Summary, limit: number): string {
  const used = Outcome.options.filter((o) => s.analysis.error_categories.some((r) => (r.outcomes[o] ?? 0) > 0));
  const rows = s.analysis.error_categories.map((r) => [mdCell(r.variant), mdCell(r.dataset), String(r.n), ...used.map((o) => String(r.outcomes[o] ?? 0)), fmt.pct(r.error_rate)]);
  return ['## Outcomes', '', mdTable(['variant', 'dataset', 'n', ...used, 'error rate'], rows, limit)].join('\n');
}

function allMetrics(s: Summary, limit: number): string {
  const rows = s.cells.flatMap((c) =>
    c.metrics.metrics.map((m) => [mdCell(c.key), mdCell(m.name) + (m.name === c.metrics.primary ? ' (primary)' : ''), fmt.metric(m.value), fmt.metric(m.stderr), fmt.ci(m.ci95), String(m.n)]),
  );
  const refs = metricReferences(s).map(([name, ref]) => `- \`${mdCell(name)}\`: ${mdCell(ref)}`);
  return ['## All metrics', '', mdTable(['cell', 'metric', 'value', 'stderr', '95% CI', 'n'], rows, limit), ...(refs.length ? ['', 'What each metric reproduces:', '', ...refs] : [])].join('\n');
}

function disagreementsSection(s: Summary, limit: number): string {
  const sets = s.analysis.disagreements.filter((d) => d.total > 0);
  if (!sets.length) return '';
  const rows = sets.map((d) => [mdCell(d.dataset), String(d.variants.length), String(d.compared), String(d.total), d.shown.slice(0, 5).map((x) => `\`${mdCell(x.id)}${x.sample_index ? `#${x.sample_index}` : ''}\``).join(', ')]);
  return ['## Where variants disagree', '', mdTable(['dataset', 'variants', 'samples compared', 'disagreements', 'examples (see report.html)'], rows, limit)].join('\n');
}

function missingSection(s: Summary, limit: number): string {
  if (!s.missing_cells.length) return '';
  return ['## Missing cells', '', mdTable(['cell', 'reason'], s.missing_cells.map((m) => [mdCell(m.key), mdCell(m.reason)]), limit)].join('\n');
}

function problemsSection(s: Summary): string {
  if (!s.comparisons.problems.length) return '';
  return ['## Comparisons not made', '', ...s.comparisons.problems.map((p) => `- ${mdCell(p)}`)].join('\n');
}

function metadata(s: Summary, limit: number): string {
  const versions = Object.entries(s.meta.versions).map(([k, v]) => [mdCell(k), mdCell(v)]);
  const servers = s.meta.servers.map((x) => `${x.kind}${x.version ? ` ${x.version}` : ''}`).join(', ');
  const cells = s.cells.map((c) => [mdCell(c.key), mdCell(`${c.hf_id}@${c.revision.slice(0, 12)}`), mdCell(c.mode), mdCell(c.preset), c.backend, mdCell(Object.entries(c.config_hashes).map(([k, v]) => `${k}:${v.slice(0, 10)}`).join(' '))]);
  return [
    '<details><summary>Run metadata</summary>',
    '',
    `Pipeline \`${mdCell(s.pipeline)}\` (production: ${yes(s.production)}), run ${s.meta.started_at ?? '?'} → ${s.meta.finished_at ?? '?'}; servers: ${mdCell(servers) || 'none'}.`,
    '',
    mdTable(['software', 'version'], versions, limit),
    '',
    mdTable(['cell', 'model', 'mode', 'preset', 'backend', 'config hashes'], cells, limit),
    '',
    '</details>',
  ].join('\n');
}

function render(s: Summary, limit: number): string {
  return (
    [
      header(s),
      readiness(s),
      overview(s, limit),
      matrix(s, limit),
      scalingSection(s, limit),
      modesSection(s, limit),
      baselineSection(s, limit),
      HISTORY_MD_MARK,
      outcomesSection(s, limit),
      disagreementsSection(s, limit),
      allMetrics(s, limit),
      missingSection(s, limit),
      problemsSection(s),
      metadata(s, limit),
      s.dummy ? `> **${DUMMY_BANNER}.**` : '',
    ]
      .filter(Boolean)
      .join('\n\n') + '\n'
  );
}

/**
 * report.md: fits a GitHub PR comment (< 65,000 characters); long tables are cut to fewer rows, each
 * saying how many rows were left out, until it fits.
 */
export function renderMarkdown(summary: Summary): string {
  for (const limit of [Infinity, 200, 100, 50, 25, 12, 6, 3]) {
    const md = render(summary, limit);
    if (md.length <= MARKDOWN_LIMIT) return md;
  }
  const md = render(summary, 3);
  const note = `\n\n… report cut at ${MARKDOWN_LIMIT} characters; the full numbers are in summary.json and report.html.\n`;
  return md.slice(0, MARKDOWN_LIMIT - note.length) + note;
}
