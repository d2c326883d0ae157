import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Outcome, type SampleResult } from '@evalgraph/core';
import type { ComparisonResult, SampleHighlight } from '@evalgraph/analysis';
import { chartSpecs, type ChartSpec } from './charts';
import { DUMMY_BANNER, HISTORY_HTML_MARK, fmt, gpuText, measured, metricReferences, shortCommit } from './format';
import { embedSamples, embedScores, type EmbedOptions } from './sample-embed';
import { renderSvg } from './svg';
import { shortNote } from './markdown';
import type { Summary } from './summary-schema';

/** Escapes text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** JSON safe to place inside a <script> element (no "</script>", no line separators that break JS). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const asset = (name: string) => readFileSync(join(__dirname, 'assets', name), 'utf8');

/** A table cell showing a formatted number and carrying the exact one (for sorting and for tests). */
function num(v: number | null | undefined, text: string, field?: string): string {
  const attrs = [v === null || v === undefined ? '' : ` data-value="${v}"`, field ? ` data-field="${field}"` : ''].join('');
  return `<td class="num"${attrs}>${esc(text)}</td>`;
}

const td = (s: string) => `<td>${esc(s)}</td>`;

function table(id: string, header: string[], rows: string[], caption?: string): string {
  return `<div class="table-wrap"><table id="${id}">${caption ? `<caption>${esc(caption)}</caption>` : ''}<thead><tr>${header.map((h) => `<th scope="col">${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table></div>`;
}

function comparisonCells(c: ComparisonResult, digits = 3): string {
  return [
    num(c.diff, fmt.signed(c.diff, digits), 'diff'),
    `<td class="num">${esc(fmt.ci(c.ci95, digits))}</td>`,
    num(c.p_value, fmt.p(c.p_value), 'p'),
    `<td>${c.p_value === null ? 'untested' : c.significant ? '<strong>yes</strong>' : 'no'}</td>`,
  ].join('');
}

function readinessTable(s: Summary): string {
  const rows = s.readiness.gates.map(
    (g) =>
      `<tr class="${g.pass ? 'pass' : 'fail'}" data-gate="${esc(g.gate)}">${td(g.gate)}<td class="verdict">${g.pass ? '✓ pass' : '✗ fail'}</td>${td(g.value_text)}${td(g.threshold_text)}<td class="wrap">${esc(g.reason)}</td></tr>`,
  );
  return table('readiness', ['gate', 'result', 'value', 'threshold', 'reason'], rows);
}

/** The primary metric with its interval; datasets as rows when there are more datasets than variants (no sideways scrolling). */
function overviewGrid(s: Summary): string {
  const byKey = new Map(s.comparisons.matrix.map((r) => [r.key, r]));
  const cell = (v: string, d: string) => {
    const r = byKey.get(`${v}/${d}`);
    return r ? `<td class="num" data-key="${esc(r.key)}" data-value="${r.value}">${esc(fmt.metric(r.value))} <span class="ci">${esc(fmt.ci(r.ci95))}</span></td>` : '<td class="missing">missing</td>';
  };
  const caption = 'Primary metric with 95% interval';
  if (s.variants.length <= s.datasets.length) {
    const metric = (d: string) => s.comparisons.matrix.find((r) => r.dataset === d)?.metric ?? '—';
    const rows = s.datasets.map((d) => `<tr><th scope="row">${esc(d)}</th>${td(metric(d))}${s.variants.map((v) => cell(v.id, d)).join('')}</tr>`);
    return table('overview-grid', ['dataset', 'metric', ...s.variants.map((v) => v.id)], rows, caption);
  }
  const rows = s.variants.map((v) => `<tr><th scope="row">${esc(v.id)}</th>${s.datasets.map((d) => cell(v.id, d)).join('')}</tr>`);
  return table('overview-grid', ['variant', ...s.datasets], rows, caption);
}

function matrixTable(s: Summary): string {
  const rows = s.comparisons.matrix.map(
    (r) =>
      `<tr data-key="${esc(r.key)}">${td(r.variant)}${td(r.dataset)}${td(r.metric)}${num(r.value, fmt.metric(r.value), 'value')}${num(r.ci95?.[0], fmt.metric(r.ci95?.[0]), 'ci_low')}${num(r.ci95?.[1], fmt.metric(r.ci95?.[1]), 'ci_high')}${num(r.n, String(r.n), 'n')}${num(r.throughput_tok_s, measured(r.throughput_tok_s, fmt.tokS, r.throughput_note ? shortNote(r.throughput_note) : null), 'throughput_tok_s')}${num(r.latency_p50_ms, measured(r.latency_p50_ms, fmt.ms), 'p50')}${num(r.latency_p90_ms, measured(r.latency_p90_ms, fmt.ms), 'p90')}${num(r.latency_p99_ms, measured(r.latency_p99_ms, fmt.ms), 'p99')}${num(r.peak_gpu_memory_gib, measured(r.peak_gpu_memory_gib, fmt.gib), 'peak_gpu_memory_gib')}${num(r.error_rate, fmt.pct(r.error_rate), 'error_rate')}</tr>`,
  );
  const note = s.comparisons.matrix.some((r) => r.throughput_note?.startsWith('shared'))
    ? 'tok/s per cell only where the cell had its server to itself; cells that shared a server are counted once in the table below'
    : undefined;
  return table('matrix-table', ['variant', 'dataset', 'metric', 'value', 'CI low', 'CI high', 'n', 'tok/s', 'p50 ms', 'p90 ms', 'p99 ms', 'peak GiB', 'error rate'], rows, note);
}

function serversTable(s: Summary): string {
  const rows = s.comparisons.servers.map(
    (r) =>
      `<tr data-model="${esc(r.model)}">${td(r.model)}${td(r.server)}${num(r.cells.length, String(r.cells.length), 'cells')}${td(`${r.started_at} → ${r.finished_at}`)}${num(r.window_s, r.window_s.toFixed(1), 'window_s')}${num(r.completion_tokens, String(r.completion_tokens), 'completion_tokens')}${num(r.tok_s, measured(r.tok_s, fmt.tokS, r.note), 'tok_s')}</tr>`,
  );
  return table('servers-table', ['model', 'server', 'cells', 'window', 'seconds', 'generated tokens', 'tok/s'], rows, 'Throughput per model server: the tokens of every cell it served, counted once, over the window it served them');
}

function scalingTable(s: Summary): string {
  const rows = s.comparisons.scaling.map(
    (r) =>
      `<tr>${td(r.family)}${td(r.dataset)}${td(r.metric)}${td(`${r.small} → ${r.large}`)}${num(r.small_value, fmt.metric(r.small_value))}${num(r.large_value, fmt.metric(r.large_value))}${comparisonCells(r.gain)}${num(r.memory_ratio, fmt.ratio(r.memory_ratio))}${num(r.throughput_ratio, fmt.ratio(r.throughput_ratio))}${num(r.accuracy_per_gib.ratio, fmt.ratio(r.accuracy_per_gib.ratio))}${num(r.accuracy_per_1k_tok_s.ratio, fmt.ratio(r.accuracy_per_1k_tok_s.ratio))}</tr>`,
  );
  return table('scaling-table', ['family', 'dataset', 'metric', 'small → large', 'small', 'large', 'gain (metric scale)', '95% CI', 'p', 'significant', 'memory', 'throughput', 'metric/GiB', 'metric per 1k tok/s'], rows, 'Gains are on each metric’s own scale; ratios are large ÷ small');
}

function modesTable(s: Summary): string {
  const rows = s.comparisons.modes.map(
    (r) =>
      `<tr data-dataset="${esc(r.dataset)}">${td(r.name)}${td(r.dataset)}${td(r.metric)}${td(`${r.a} vs ${r.b}`)}${num(r.a_value, fmt.metric(r.a_value))}${num(r.b_value, fmt.metric(r.b_value))}${comparisonCells(r.accuracy)}${num(r.completion_tokens.diff, fmt.signed(r.completion_tokens.diff, 0))}${num(r.latency_ms.diff, fmt.signed(r.latency_ms.diff, 0))}</tr>`,
  );
  return table('modes-table', ['comparison', 'dataset', 'metric', 'a vs b', 'a', 'b', 'Δ metric', '95% CI', 'p', 'significant', 'Δ tokens/sample', 'Δ latency ms'], rows, 'Δ is a − b on paired samples, on the metric’s own scale');
}

function baselineTable(s: Summary): string {
  const b = s.comparisons.baseline;
  if (!b) return '';
  const rows = [...b.rows]
    .sort((x, y) => Number(y.regression) - Number(x.regression) || Number(y.primary) - Number(x.primary))
    .map(
      (r) =>
        `<tr class="${r.regression ? 'fail' : ''}">${td(r.key)}${td(r.metric)}${num(r.baseline, fmt.metric(r.baseline))}${num(r.current, fmt.metric(r.current))}${comparisonCells(r.comparison)}${td(r.comparison.test)}${td(r.regression ? 'regression' : r.improvement ? 'improvement' : '—')}</tr>`,
    );
  return `<h3>Against the baseline: ${b.regressions} regression(s), ${b.improvements} improvement(s)</h3><p class="note">Baseline ${esc(b.baseline_pipeline)} of ${esc(b.baseline_generated_at ?? 'unknown date')}, commit <code>${esc(shortCommit(b.baseline_git_commit))}</code>.${b.missing_in_current.length ? ` Not in this run: ${esc(b.missing_in_current.join(', '))}.` : ''}</p>${table('baseline-table', ['cell', 'metric', 'baseline', 'current', 'Δ', '95% CI', 'p', 'significant', 'test', 'verdict'], rows)}`;
}

function outcomesTable(s: Summary): string {
  const used = Outcome.options.filter((o) => s.analysis.error_categories.some((r) => (r.outcomes[o] ?? 0) > 0));
  const rows = s.analysis.error_categories.map((r) => `<tr data-key="${esc(r.key)}">${td(r.variant)}${td(r.dataset)}${num(r.n, String(r.n), 'n')}${used.map((o) => num(r.outcomes[o] ?? 0, String(r.outcomes[o] ?? 0), o)).join('')}${num(r.error_rate, fmt.pct(r.error_rate), 'error_rate')}</tr>`);
  return table('outcomes-table', ['variant', 'dataset', 'n', ...used, 'error rate'], rows);
}

function metricsTable(s: Summary): string {
  const rows = s.cells.flatMap((c) =>
    c.metrics.metrics.map(
      (m) =>
        `<tr data-key="${esc(c.key)}" data-metric="${esc(m.name)}">${td(c.key)}${td(m.name + (m.name === c.metrics.primary ? ' (primary)' : ''))}${num(m.value, fmt.metric(m.value), 'value')}${num(m.stderr, fmt.metric(m.stderr), 'stderr')}${num(m.ci95?.[0], fmt.metric(m.ci95?.[0]), 'ci_low')}${num(m.ci95?.[1], fmt.metric(m.ci95?.[1]), 'ci_high')}${num(m.n, String(m.n), 'n')}</tr>`,
    ),
  );
  const refs = metricReferences(s).map(([name, ref]) => `<li><code>${esc(name)}</code>: ${esc(ref)}</li>`);
  return table('metrics-table', ['cell', 'metric', 'value', 'stderr', 'CI low', 'CI high', 'n'], rows) + (refs.length ? `<p class="note">What each metric reproduces:</p><ul class="note">${refs.join('')}</ul>` : '');
}

function metadataSection(s: Summary): string {
  const m = s.meta;
  const facts: [string, string][] = [
    ['pipeline', `${s.pipeline}${s.production ? ' (production)' : ''}`],
    ['generated', s.generated_at],
    ['git commit', `${m.git_commit ?? 'unknown'}${m.git_dirty ? ' (dirty work tree)' : ''}`],
    ['GPU', m.gpu.used ? `${m.gpu.name ?? 'unknown'} (profile ${m.gpu.profile}${m.gpu.memory_gib ? `, ${m.gpu.memory_gib} GiB` : ''}${m.gpu.count ? ` × ${m.gpu.count}` : ''})` : gpuText(m.gpu)],
    ['backend', m.backends.join(', ') || 'none'],
    ['servers', m.servers.map((x) => `${x.kind}${x.version ? ` ${x.version}` : ''}`).join(', ') || 'none'],
    ['vLLM', m.vllm_versions.join(', ') || 'not used'],
    ['run', `${m.started_at ?? '?'} → ${m.finished_at ?? '?'}`],
    ...Object.entries(m.versions).map(([k, v]): [string, string] => [`version: ${k}`, v]),
  ];
  const dl = `<dl class="facts">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('')}</dl>`;
  const rows = s.cells.map((c) => `<tr>${td(c.key)}${td(c.hf_id)}<td><code>${esc(c.revision.slice(0, 12))}</code></td>${td(c.mode)}${td(c.preset)}${td(c.backend)}${td(`${c.server.kind}${c.server.version ? ` ${c.server.version}` : ''}`)}<td><code>${esc(c.dataset_sha256.slice(0, 12))}</code></td><td class="hashes">${esc(Object.entries(c.config_hashes).map(([k, v]) => `${k}:${v.slice(0, 12)}`).join(' '))}</td></tr>`);
  const missing = s.missing_cells.length ? `<h3>Missing cells</h3>${table('missing-table', ['cell', 'reason'], s.missing_cells.map((x) => `<tr>${td(x.key)}<td class="wrap">${esc(x.reason)}</td></tr>`))}` : '';
  return `${dl}<h3>Cells</h3>${table('cells-table', ['cell', 'model', 'revision', 'mode', 'preset', 'backend', 'server', 'dataset sha256', 'config hashes'], rows)}${missing}`;
}

function highlightList(id: string, title: string, items: SampleHighlight[], metric: (h: SampleHighlight) => string): string {
  if (!items.length) return '';
  const lis = items.map((h) => `<li><button type="button" class="link" data-open="${esc(JSON.stringify([h.key, h.id, h.sample_index]))}">${esc(h.key)} · ${esc(h.id)}${h.sample_index ? ` #${h.sample_index}` : ''}</button> — ${esc(metric(h))}, ${esc(h.outcome)}</li>`);
  return `<div class="panel"><h3>${esc(title)}</h3><ol id="${id}">${lis.join('')}</ol></div>`;
}

function disagreementList(s: Summary): string {
  const sets = s.analysis.disagreements.filter((d) => d.total > 0);
  if (!sets.length) return '';
  const parts = sets.map((d) => {
    const cellKey = `${d.variants[0]}/${d.dataset}`;
    const items = d.shown.slice(0, 10).map((x) => `<li><button type="button" class="link" data-open="${esc(JSON.stringify([cellKey, x.id, x.sample_index]))}">${esc(x.id)}</button> ${esc(Object.entries(x.scores).map(([v, sc]) => `${v}: ${fmt.metric(sc)}`).join(', '))}</li>`);
    return `<details><summary>${esc(d.dataset)}: ${d.total} of ${d.compared} samples</summary><ul>${items.join('')}</ul></details>`;
  });
  return `<div class="panel"><h3>Where variants disagree</h3><p class="note">One variant right, another not.</p>${parts.join('')}</div>`;
}

function sampleBrowser(): string {
  return `<div class="browser" id="sample-browser">
<div class="controls">
<label>Search <input id="sb-search" type="search" placeholder="id, prompt or response"></label>
<label>Variant <select id="sb-variant"><option value="">all</option></select></label>
<label>Dataset <select id="sb-dataset"><option value="">all</option></select></label>
<label>Outcome <select id="sb-outcome"><option value="">all</option></select></label>
</div>
<p class="note" id="sb-count"></p>
<div class="table-wrap"><table id="sb-table"><thead><tr>
<th scope="col" data-sort="cell">cell</th><th scope="col" data-sort="id">id</th><th scope="col" data-sort="outcome">outcome</th><th scope="col" data-sort="score">score</th><th scope="col" data-sort="completion_tokens">tokens</th><th scope="col" data-sort="latency_ms">latency ms</th>
</tr></thead><tbody></tbody></table></div>
<div class="pager"><button type="button" id="sb-prev">‹ prev</button><span id="sb-page"></span><button type="button" id="sb-next">next ›</button></div>
<div id="sb-detail" class="detail" role="dialog" aria-modal="false" aria-labelledby="sb-detail-title" hidden><button type="button" id="sb-close" class="close" aria-label="close">✕ close</button><div id="sb-detail-body"></div></div>
<p class="note" id="sb-cap"></p>
</div>`;
}

function sideBySide(): string {
  return `<div class="side" id="side-by-side">
<div class="controls">
<label>Dataset <select id="sx-dataset"></select></label>
<label>Sample <select id="sx-sample"></select></label>
<label><span>&nbsp;</span><span class="inline"><input type="checkbox" id="sx-differ"> only samples where variants differ</span></label>
</div>
<div id="sx-prompt"></div>
<div class="side-grid" id="sx-grid"></div>
</div>`;
}

function compareTwo(): string {
  return `<div id="compare-two">
<p class="note">Pick any two variants: per dataset, the difference of the primary metric (a − b, on the metric's own scale) over the samples both answered, with a paired test (exact McNemar for 0/1 scores, a paired z-test on the differences otherwise). Every sample's score is embedded in this page.</p>
<div class="controls">
<label>Variant a <select id="cx-a"></select></label>
<label>Variant b <select id="cx-b"></select></label>
</div>
<div class="table-wrap"><table id="cx-table"><thead><tr><th scope="col">dataset</th><th scope="col">metric</th><th scope="col">paired n</th><th scope="col">a</th><th scope="col">b</th><th scope="col">Δ a − b</th><th scope="col">95% CI</th><th scope="col">p</th><th scope="col">test</th><th scope="col">verdict</th></tr></thead><tbody></tbody></table></div>
<p class="note" id="cx-summary"></p>
</div>`;
}

/** One view; its id differs from the #hash that selects it, so selecting a view never scrolls the page. */
function section(id: string, title: string, body: string): string {
  return `<section id="view-${id}" data-view="${id}" class="view" aria-labelledby="${id}-h"><h2 id="${id}-h">${esc(title)}</h2>${body}</section>`;
}

async function renderCharts(s: Summary): Promise<Map<ChartSpec['view'], string[]>> {
  const out = new Map<ChartSpec['view'], string[]>();
  for (const c of chartSpecs(s)) {
    const { svg } = await renderSvg(c.spec);
    out.set(c.view, [...(out.get(c.view) ?? []), `<figure class="chart" id="chart-${c.id}" data-chart="${c.id}">${svg}<figcaption>${esc(c.title)}</figcaption></figure>`]);
  }
  return out;
}

/** summary.json without the per-sample score tables (they only serve later baseline comparisons). */
function embeddableSummary(s: Summary): Omit<Summary, 'cells'> & { cells: Omit<Summary['cells'][number], 'sample_scores'>[] } {
  return { ...s, cells: s.cells.map(({ sample_scores: _unused, ...c }) => c) };
}

/**
 * report.html: one self-contained file (inline CSS, JS, SVG charts rendered at build time; no external
 * requests), with the matrix heatmap, per-dataset bars, scaling / mode / baseline charts with interval
 * whiskers, a sortable and filterable sample browser, and run metadata. A dummy run says so on every view.
 */
export async function renderHtml(summary: Summary, samples: Readonly<Record<string, readonly SampleResult[]>>, opts: EmbedOptions = {}): Promise<string> {
  const s = summary;
  const charts = await renderCharts(s);
  const chartBlock = (view: ChartSpec['view']) => `<div class="charts">${(charts.get(view) ?? []).join('')}</div>`;
  const embedded = embedSamples(s, samples, opts);
  const dummyCells = s.cells.filter((c) => c.backend === 'dummy').length;
  const banner = s.dummy
    ? `<div class="banner" id="dummy-banner" role="alert"><strong>${esc(DUMMY_BANNER)}</strong> <span>${dummyCells} of ${s.cells.length} cells ran on the in-process dummy backend: these numbers test the pipeline, not a model.</span></div>`
    : '';
  const partial = s.complete ? '' : `<div class="banner partial" role="status"><strong>Partial run</strong> <span>${s.missing_cells.length} cell(s) have no results.</span></div>`;
  const problems = s.comparisons.problems.length ? `<div class="panel"><h3>Comparisons not made</h3><ul>${s.comparisons.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul></div>` : '';
  const views: [string, string][] = [
    ['overview', 'Overview'],
    ['matrix', 'Matrix'],
    ['comparisons', 'Comparisons'],
    ['compare', 'Compare two'],
    ['samples', 'Samples'],
    ['history', 'History'],
    ['run', 'Run'],
  ];
  const capNote = embedded.cells.some((c) => c.shown < c.total)
    ? `Showing up to ${embedded.cap} samples per cell (flagged samples and failures first); texts are cut at ${embedded.text_chars} characters. Every sample is in results/${s.pipeline}/&lt;variant&gt;/&lt;preset&gt;/&lt;dataset&gt;/samples.jsonl.`
    : `All samples are shown; texts are cut at ${embedded.text_chars} characters.`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(`evalgraph · ${s.pipeline}${s.dummy ? ' · DUMMY' : ''}`)}</title>
<style>${asset('dashboard.css')}</style>
</head>
<body>
${banner}${partial}
<header class="top">
<h1>evalgraph · ${esc(s.pipeline)}</h1>
<span class="badge ${s.readiness.pass ? 'ok' : 'bad'}" id="readiness-badge">${s.readiness.pass ? 'ready' : 'not ready'}</span>
<p class="sub">${esc(s.generated_at)} · commit <code>${esc(shortCommit(s.meta.git_commit))}</code> · ${esc(gpuText(s.meta.gpu))} · ${esc(s.meta.backends.join(', ') || 'no backend')}${s.meta.vllm_versions.length ? ` · vLLM ${esc(s.meta.vllm_versions.join(', '))}` : ''} · ${s.cells.length}/${s.cells.length + s.missing_cells.length} cells</p>
<nav id="views">${views.map(([id, label]) => `<a href="#${id}" data-view="${id}">${label}</a>`).join('')}</nav>
</header>
<main>
${section('overview', 'Overview', `<h3>Readiness: ${s.readiness.pass ? 'ready' : 'not ready'}</h3>${readinessTable(s)}${chartBlock('overview')}${overviewGrid(s)}`)}
${section('matrix', 'Performance matrix', `${matrixTable(s)}<h3>Throughput per model server</h3>${serversTable(s)}<h3>Per dataset</h3>${chartBlock('matrix')}`)}
${section('comparisons', 'Comparisons', `${chartBlock('comparisons')}${s.comparisons.scaling.length ? `<h3>Scaling: accuracy gain vs cost</h3>${scalingTable(s)}` : ''}${s.comparisons.modes.length ? `<h3>Modes</h3>${modesTable(s)}` : ''}${baselineTable(s)}${problems}${!s.comparisons.scaling.length && !s.comparisons.modes.length && !s.comparisons.baseline ? '<p class="note">The pipeline asks for no scaling, mode or baseline comparison.</p>' : ''}`)}
${section('compare', 'Compare any two variants', compareTwo())}
${section('samples', 'Samples', `<h3>One sample, every variant</h3>${sideBySide()}<div class="panels">${disagreementList(s)}${highlightList('longest', 'Longest responses', s.analysis.longest, (h) => `${h.completion_tokens} tokens`)}${highlightList('slowest', 'Slowest samples', s.analysis.slowest.filter((h) => h.latency_ms > 0), (h) => `${fmt.ms(h.latency_ms)} ms`)}</div><h3>Sample browser</h3>${sampleBrowser()}`)}
${section('history', 'Published runs', '<div id="history-body"><p class="note">This report has not been published: `npx nx run pipeline-' + esc(s.pipeline) + ':readiness` publishes it and fills in the earlier published runs and what changed since the previous one.</p></div>')}
${section('run', 'Run', `${metadataSection(s)}<h3>Outcomes</h3>${outcomesTable(s)}<h3>All metrics</h3>${metricsTable(s)}`)}
</main>
<footer><p>Generated by evalgraph from measured results. ${s.dummy ? `<strong>${esc(DUMMY_BANNER)}.</strong>` : ''}</p><p class="note" id="cap-note">${capNote}</p></footer>
<script type="application/json" id="evalgraph-summary">${scriptJson(embeddableSummary(s))}</script>
<script type="application/json" id="evalgraph-samples">${scriptJson(embedded)}</script>
<script type="application/json" id="evalgraph-scores">${scriptJson(embedScores(s))}</script>
${HISTORY_HTML_MARK}
<script>${asset('dashboard.js')}</script>
</body>
</html>
`;
}
