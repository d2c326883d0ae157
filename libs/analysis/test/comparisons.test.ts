import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MetricsFile, Outcome, RunFile, SampleResult, readJsonl } from '@evalgraph/core';
import {
  ResultFileError,
  baseline,
  disagreements,
  errorCategories,
  extremes,
  jsonSchemaOf,
  loadCells,
  modes,
  performanceMatrix,
  primaryMetric,
  scaling,
  schemaProblems,
  scoreTable,
  type LoadedCell,
} from '../src';
import { generateFixture, type FixtureOptions } from './fixtures/cells';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'evalgraph-analysis-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const base: FixtureOptions = {
  variants: [
    { id: 'qwen3-8b', accuracy: 0.55, throughput: 2400, peakMemoryGiB: 30, tokens: 300 },
    { id: 'qwen3-14b', accuracy: 0.8, throughput: 1500, peakMemoryGiB: 45, tokens: 320 },
    { id: 'qwen3-8b-thinking', model: 'qwen3-8b', mode: 'thinking', accuracy: 0.6, tokens: 1200, latencyMs: 4000 },
  ],
  datasets: [
    { name: 'gsm8k', tasks: 300 },
    { name: 'humaneval', tasks: 40, samplesPerTask: 5 },
    { name: 'mt-bench', tasks: 30, kind: 'continuous' },
  ],
};

const byVariant = (cells: LoadedCell[], v: string) => cells.filter((c) => c.cell.variant === v);

describe('loadCells', () => {
  it('loads and validates every written cell and lists the missing ones', () => {
    const { root, pipeline } = generateFixture(tmp(), { ...base, skip: ['qwen3-14b/mt-bench'] });
    const loaded = loadCells(root, pipeline);
    expect(loaded.cells).toHaveLength(8);
    expect(loaded.missing).toEqual([expect.objectContaining({ key: 'qwen3-14b/mt-bench', variant: 'qwen3-14b', dataset: 'mt-bench' })]);
    const he = loaded.cells.find((c) => c.cell.key === 'qwen3-8b/humaneval')!;
    expect(he.samples).toHaveLength(200);
    expect(he.metrics).toEqual(JSON.parse(readFileSync(join(root, he.cell.resultsDir, 'metrics.json'), 'utf8')));
  });

  it('names the file and field of an invalid result file', () => {
    const { root, pipeline } = generateFixture(tmp(), { ...base, datasets: [base.datasets[0]] });
    const cell = pipeline.cells[0];
    const mfile = join(root, cell.resultsDir, 'metrics.json');
    const good = readFileSync(mfile, 'utf8');
    writeFileSync(mfile, JSON.stringify({ ...JSON.parse(good), error_rte: 0 }));
    expect(() => loadCells(root, pipeline)).toThrow(ResultFileError);
    expect(() => loadCells(root, pipeline)).toThrow(/metrics\.json: \(root\): unknown key "error_rte"/);
    writeFileSync(mfile, JSON.stringify({ ...JSON.parse(good), complete: false }));
    expect(() => loadCells(root, pipeline)).toThrow(/\/complete: must be equal to constant/);
    writeFileSync(mfile, good);
    const rfile = join(root, cell.resultsDir, 'run.json');
    const run = readFileSync(rfile, 'utf8');
    rmSync(rfile);
    expect(() => loadCells(root, pipeline)).toThrow(/run\.json: not readable \(ENOENT\)/);
    writeFileSync(rfile, run);

    const sfile = join(root, cell.resultsDir, 'samples.jsonl');
    const lines = readFileSync(sfile, 'utf8').split('\n');
    lines[2] = JSON.stringify({ ...JSON.parse(lines[2]), outcome: 'mystery' });
    writeFileSync(sfile, lines.join('\n'));
    expect(() => loadCells(root, pipeline)).toThrow(/samples\.jsonl:3: \/outcome: must be equal to one of the allowed values \(correct, wrong/);

    writeFileSync(sfile, '{"id": "x", ');
    expect(() => loadCells(root, pipeline)).toThrow(/samples\.jsonl.*not valid JSON/);

    // Cut at a line boundary: every line parses, only the count against metrics.json gives it away.
    lines[2] = JSON.stringify({ ...JSON.parse(lines[2]), outcome: 'correct' });
    writeFileSync(sfile, lines.slice(0, 5).join('\n') + '\n');
    expect(() => loadCells(root, pipeline)).toThrow(/samples\.jsonl has 5 samples where metrics\.json says \d+: it was cut short or changed\n  fix: re-run it: /);
  });

  it('validates with JSON Schemas generated from the core zod schemas', () => {
    const schema = jsonSchemaOf(MetricsFile);
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false });
    expect(schemaProblems(RunFile, {})).toContain('(root): must have required property \'pipeline\'');
    expect(schemaProblems(SampleResult, { id: 'a', prompt: '', response: '', extracted: null, score: 2, scores: {}, outcome: 'correct', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1 })).toEqual(['/score: must be <= 1']);
  });
});

describe('comparisons', () => {
  const fixture = generateFixture(tmp(), base);
  const { cells } = loadCells(fixture.root, fixture.pipeline);

  it('performanceMatrix copies every number from metrics.json, ordered by variant then dataset', () => {
    const rows = performanceMatrix(cells, { variants: ['qwen3-14b', 'qwen3-8b', 'qwen3-8b-thinking'], datasets: fixture.pipeline.datasets });
    expect(rows.map((r) => r.key).slice(0, 3)).toEqual(['qwen3-14b/gsm8k', 'qwen3-14b/humaneval', 'qwen3-14b/mt-bench']);
    for (const row of rows) {
      const m: MetricsFile = JSON.parse(readFileSync(join(fixture.root, fixture.pipeline.cells.find((c) => c.key === row.key)!.resultsDir, 'metrics.json'), 'utf8'));
      const p = m.metrics.find((x) => x.name === m.primary)!;
      expect(row).toMatchObject({ metric: m.primary, value: p.value, stderr: p.stderr, ci95: p.ci95, n: p.n, throughput_tok_s: m.throughput_tok_s, latency_p50_ms: m.latency_ms!.p50, latency_p99_ms: m.latency_ms!.p99, peak_gpu_memory_gib: m.peak_gpu_memory_gib, error_rate: m.error_rate });
    }
  });

  it('scaling reports the paired accuracy gain and its cost', () => {
    const rows = scaling(byVariant(cells, 'qwen3-8b'), byVariant(cells, 'qwen3-14b'), 'qwen3');
    expect(rows.map((r) => r.dataset)).toEqual(['gsm8k', 'humaneval', 'mt-bench']);
    const gsm = rows[0];
    const small = cells.find((c) => c.cell.key === 'qwen3-8b/gsm8k')!;
    const large = cells.find((c) => c.cell.key === 'qwen3-14b/gsm8k')!;
    const mean = (c: LoadedCell) => c.samples.reduce((a, s) => a + s.score, 0) / c.samples.length;
    expect(gsm.gain.diff).toBeCloseTo(mean(large) - mean(small), 12);
    expect(gsm.gain).toMatchObject({ test: 'mcnemar-exact', significant: true, n_paired: 300 });
    expect(gsm.gain.ci95![0]).toBeGreaterThan(0);
    expect(gsm.memory_ratio).toBe(45 / 30);
    expect(gsm.throughput_ratio).toBe(1500 / 2400);
    expect(gsm.accuracy_per_gib.small).toBeCloseTo(primaryMetric(small.metrics).value / 30, 12);
    expect(gsm.accuracy_per_1k_tok_s.large).toBeCloseTo(primaryMetric(large.metrics).value / 1.5, 12);
    expect(gsm.accuracy_per_gib.ratio).toBeCloseTo(gsm.accuracy_per_gib.large! / gsm.accuracy_per_gib.small!, 12);
    expect(rows[1].gain.test).toBe('paired-cluster-bootstrap');
    expect(rows[2].gain.test).toBe('paired-bootstrap');
  });

  it('modes compares accuracy, generated tokens and latency on paired samples', () => {
    const rows = modes(byVariant(cells, 'qwen3-8b-thinking'), byVariant(cells, 'qwen3-8b'), 'thinking vs non-thinking');
    expect(rows).toHaveLength(3);
    for (const r of rows) {
      expect(r.completion_tokens.diff).toBeGreaterThan(500);
      expect(r.completion_tokens.significant).toBe(true);
      expect(r.latency_ms.diff).toBeGreaterThan(1000);
      expect(r.accuracy.n_paired).toBeGreaterThan(0);
    }
  });

  it("modes and scaling differ on the metric's own scale (MT-Bench 1–10), not on the 0–1 per-sample score", () => {
    // MT-Bench keeps its 1–10 rating in `scores.score` and a 0–1 `score`: the difference must be in ratings.
    const tenfold = (c: LoadedCell): LoadedCell => ({
      ...c,
      samples: c.samples.map((s) => ({ ...s, scores: { score: s.score * 10 } })),
      metrics: { ...c.metrics, metrics: c.metrics.metrics.map((m) => (m.name === c.metrics.primary ? { ...m, value: m.value * 10 } : m)) },
    });
    const mt = (v: string) => byVariant(cells, v).filter((c) => c.cell.dataset === 'mt-bench').map(tenfold);
    const [row] = modes(mt('qwen3-8b-thinking'), mt('qwen3-8b'), 'thinking vs non-thinking');
    expect(row.metric).toBe('score');
    expect(row.a_value).toBeGreaterThan(1);
    expect(row.accuracy.diff).toBeCloseTo(row.a_value - row.b_value, 9);
    const [gain] = scaling(mt('qwen3-8b'), mt('qwen3-14b'), 'qwen3');
    expect(gain.gain.diff).toBeCloseTo(gain.large_value - gain.small_value, 9);
    expect(Math.abs(gain.gain.diff)).toBeGreaterThan(0.5);
  });

  it('per-sample analysis: outcome counts, disagreements and extreme samples', () => {
    const cats = errorCategories(cells);
    for (const row of cats) {
      const c = cells.find((x) => x.cell.key === row.key)!;
      expect(Object.keys(row.outcomes)).toEqual(Outcome.options);
      for (const o of Outcome.options) expect(row.outcomes[o]).toBe(c.samples.filter((s) => s.outcome === o).length);
    }
    const dis = disagreements(cells, { limit: 5 });
    const gsm = dis.find((d) => d.dataset === 'gsm8k')!;
    const tables = byVariant(cells, 'qwen3-8b').concat(byVariant(cells, 'qwen3-14b'), byVariant(cells, 'qwen3-8b-thinking')).filter((c) => c.cell.dataset === 'gsm8k').map((c) => scoreTable(c.samples, (s) => (s.outcome === 'correct' ? 1 : 0)));
    const expected = Object.keys(tables[0]).filter((id) => new Set(tables.map((t) => t[id][0])).size > 1).length;
    expect(expected).toBeGreaterThan(20);
    expect(gsm.total).toBe(expected);
    expect(gsm.compared).toBe(300);
    expect(gsm.shown).toHaveLength(5);
    expect(new Set(Object.values(gsm.shown[0].scores)).size).toBeGreaterThan(1);
    const mt = dis.find((d) => d.dataset === 'mt-bench')!;
    expect(mt.total).toBeLessThan(mt.compared);
    for (const d of mt.shown) expect(new Set(Object.values(d.outcomes).map((o) => o === 'correct')).size).toBe(2);
    const { longest, slowest } = extremes(cells, { k: 4 });
    const maxTokens = Math.max(...cells.flatMap((c) => c.samples.map((s) => s.completion_tokens)));
    expect(longest[0].completion_tokens).toBe(maxTokens);
    expect(slowest.map((s) => s.latency_ms)).toEqual([...slowest.map((s) => s.latency_ms)].sort((a, b) => b - a));
    expect(longest[0].prompt).toContain('Question');
    expect(longest[0].response).toContain('Answer');
  });
});

describe('baseline', () => {
  const asBaseline = (cells: LoadedCell[]) =>
    cells.map((c) => ({ key: c.cell.key, variant: c.cell.variant, dataset: c.cell.dataset, metrics: c.metrics, sample_scores: scoreTable(c.samples) }));

  it('flags a significant drop on the same samples as a regression (paired), and nothing when unchanged', () => {
    const opts: FixtureOptions = { variants: [{ id: 'm', accuracy: 0.75 }], datasets: [{ name: 'gsm8k', tasks: 400 }], independence: 0 };
    const oldRoot = tmp();
    const old = generateFixture(oldRoot, opts);
    const prev = { pipeline: 'fixture', generated_at: '2026-01-01T00:00:00Z', cells: asBaseline(loadCells(oldRoot, old.pipeline).cells) };
    expect(prev.cells).toHaveLength(1);

    const same = baseline(asBaseline(loadCells(oldRoot, old.pipeline).cells), prev);
    expect(same.regressions).toBe(0);
    const primaryRow = same.rows.find((r) => r.primary)!;
    expect(primaryRow.comparison).toMatchObject({ diff: 0, test: 'mcnemar-exact', p_value: 1, n_paired: 400 });

    const worseRoot = tmp();
    const worse = generateFixture(worseRoot, { ...opts, variants: [{ id: 'm', accuracy: 0.62 }] });
    const report = baseline(asBaseline(loadCells(worseRoot, worse.pipeline).cells), prev);
    const row = report.rows.find((r) => r.primary)!;
    expect(row).toMatchObject({ key: 'm/gsm8k', regression: true, improvement: false });
    expect(row.comparison.test).toBe('mcnemar-exact');
    expect(row.comparison.diff).toBeLessThan(-0.08);
    expect(report.regressions).toBeGreaterThanOrEqual(1);

    const better = baseline(prev.cells, { ...prev, cells: asBaseline(loadCells(worseRoot, worse.pipeline).cells) });
    expect(better.rows.find((r) => r.primary)).toMatchObject({ improvement: true, regression: false });
  });

  it('falls back to an unpaired test on summarized metrics when sample ids do not match, and lists missing cells', () => {
    const aRoot = tmp();
    const a = generateFixture(aRoot, { variants: [{ id: 'm', accuracy: 0.8 }], datasets: [{ name: 'gsm8k', tasks: 500 }, { name: 'arc', tasks: 50 }] });
    const bRoot = tmp();
    const b = generateFixture(bRoot, { seed: 9, variants: [{ id: 'm', accuracy: 0.6 }], datasets: [{ name: 'gsm8k', tasks: 500 }] });
    const cur = asBaseline(loadCells(bRoot, b.pipeline).cells).map((c) => ({ ...c, sample_scores: Object.fromEntries(Object.entries(c.sample_scores).map(([k, v]) => [`other-${k}`, v])) }));
    const report = baseline(cur, { pipeline: 'fixture', cells: asBaseline(loadCells(aRoot, a.pipeline).cells) });
    const row = report.rows.find((r) => r.primary)!;
    expect(row.comparison.test).toBe('unpaired-z');
    expect(row.regression).toBe(true);
    expect(report.missing_in_current).toEqual(['m/arc']);
  });
});
