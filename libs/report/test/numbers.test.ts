/**
 * Every number report.md, report.html and the tracker show equals the one in the cells' metrics.json,
 * read back from disk (rounded the way each format shows it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MetricsFile } from '@evalgraph/core';
import { DIGITS, TRACKER_END, TRACKER_START, renderHtml, renderMarkdown, roundTo, updateTracker } from '../src';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();
const built = build(tmp());
const { fixture, summary, samples } = built;

/** metrics.json of every cell, straight from disk. */
const onDisk = new Map<string, MetricsFile>(fixture.pipeline.cells.map((c) => [c.key, JSON.parse(readFileSync(join(fixture.root, c.resultsDir, 'metrics.json'), 'utf8'))]));
const primary = (m: MetricsFile) => m.metrics.find((x) => x.name === m.primary)!;

/** Rows of the Markdown table that follows `heading` (cells split on unescaped pipes). */
function mdTableAfter(md: string, heading: string): string[][] {
  const start = md.indexOf(heading);
  expect(start, `heading ${heading}`).toBeGreaterThanOrEqual(0);
  const lines = md.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim()));
  }
  return rows;
}

const num = (s: string) => Number(s.replace(/[%×,+]/g, ''));
const ci = (s: string) => {
  const m = /^\[(-?[\d.]+), (-?[\d.]+)\]$/.exec(s.trim());
  expect(m, s).not.toBeNull();
  return [Number(m![1]), Number(m![2])];
};

/** Checks one cost row (cell, n, tok/s, p50, [p90, p99], peak, error) against metrics.json. */
function checkCostRow(r: string[], withTail: boolean) {
  const m = onDisk.get(r[0])!;
  expect(m, r[0]).toBeDefined();
  expect(num(r[1])).toBe(primary(m).n);
  expect(num(r[2])).toBe(roundTo(m.throughput_tok_s!, DIGITS.tokS));
  expect(num(r[3])).toBe(roundTo(m.latency_ms!.p50, DIGITS.ms));
  const rest = r.slice(4);
  if (withTail) {
    expect(num(rest[0])).toBe(roundTo(m.latency_ms!.p90, DIGITS.ms));
    expect(num(rest[1])).toBe(roundTo(m.latency_ms!.p99, DIGITS.ms));
    rest.splice(0, 2);
  }
  expect(num(rest[0])).toBe(roundTo(m.peak_gpu_memory_gib!, DIGITS.gib));
  expect(num(rest[1])).toBe(roundTo(m.error_rate * 100, DIGITS.pct));
}

/** Checks the primary-metric grid (one row per variant here: the fixture has more variants than datasets). */
function checkGrid(grid: string[][]) {
  expect(grid).toHaveLength(summary.variants.length);
  for (const r of grid) {
    summary.datasets.forEach((d, i) => {
      const p = primary(onDisk.get(`${r[0]}/${d}`)!);
      const [v, ...c] = r[i + 1].replace(/\*\*/g, '').split(' ');
      expect(num(v)).toBe(roundTo(p.value, DIGITS.metric));
      expect(ci(c.join(' '))).toEqual(p.ci95!.map((x) => roundTo(x, DIGITS.metric)));
    });
  }
}

describe('numbers equal metrics.json', () => {
  it('report.md: performance matrix, overview grid, every metric and every outcome count', () => {
    const md = renderMarkdown(summary);
    const matrix = mdTableAfter(md, '## Cost per cell');
    expect(matrix).toHaveLength(onDisk.size);
    for (const r of matrix) checkCostRow(r, true);

    checkGrid(mdTableAfter(md, '## Results (primary metric, 95% CI'));

    const all = mdTableAfter(md, '## All metrics');
    expect(all).toHaveLength([...onDisk.values()].reduce((a, m) => a + m.metrics.length, 0));
    for (const r of all) {
      const m = onDisk.get(r[0])!;
      const metric = m.metrics.find((x) => x.name === r[1].replace(' (primary)', ''))!;
      expect(num(r[2])).toBe(roundTo(metric.value, DIGITS.metric));
      expect(num(r[3])).toBe(roundTo(metric.stderr!, DIGITS.metric));
      expect(ci(r[4])).toEqual(metric.ci95!.map((x) => roundTo(x, DIGITS.metric)));
      expect(num(r[5])).toBe(metric.n);
    }

    const outcomes = mdTableAfter(md, '## Outcomes');
    const header = md.slice(md.indexOf('## Outcomes')).split('\n')[2].slice(1, -1).split('|').map((c) => c.trim());
    for (const r of outcomes) {
      const m = onDisk.get(`${r[0]}/${r[1]}`)!;
      expect(num(r[2])).toBe(m.n);
      header.slice(3, -1).forEach((o, i) => expect(num(r[3 + i]), o).toBe(m.outcomes[o as keyof MetricsFile['outcomes']]));
    }
  });

  it('report.html: the embedded data and every table cell’s number', async () => {
    const html = await renderHtml(summary, samples);
    const embedded = JSON.parse(/<script type="application\/json" id="evalgraph-summary">(.*?)<\/script>/s.exec(html)![1]);
    expect(embedded.cells).toHaveLength(onDisk.size);
    for (const c of embedded.cells) expect(c.metrics).toEqual(onDisk.get(c.key));

    // Matrix table: exact values in data-value, shown text rounded from them.
    const rows = [...html.matchAll(/<tr data-key="([^"]+)">(.*?)<\/tr>/gs)].filter((m) => m[2].includes('data-field="p99"'));
    expect(rows).toHaveLength(onDisk.size);
    const fieldOf = (m: MetricsFile): Record<string, [number, string]> => {
      const p = primary(m);
      const f = (v: number, d: number): [number, string] => [v, v.toFixed(d)];
      return {
        value: f(p.value, DIGITS.metric),
        ci_low: f(p.ci95![0], DIGITS.metric),
        ci_high: f(p.ci95![1], DIGITS.metric),
        n: [p.n, String(p.n)],
        throughput_tok_s: f(m.throughput_tok_s!, DIGITS.tokS),
        p50: f(m.latency_ms!.p50, DIGITS.ms),
        p90: f(m.latency_ms!.p90, DIGITS.ms),
        p99: f(m.latency_ms!.p99, DIGITS.ms),
        peak_gpu_memory_gib: f(m.peak_gpu_memory_gib!, DIGITS.gib),
        error_rate: [m.error_rate, `${(m.error_rate * 100).toFixed(DIGITS.pct)}%`],
      };
    };
    for (const [, key, body] of rows) {
      const expected = fieldOf(onDisk.get(key)!);
      const cells = [...body.matchAll(/<td class="num" data-value="([^"]+)" data-field="([^"]+)">([^<]*)<\/td>/g)];
      expect(cells.map((c) => c[2]).sort()).toEqual(Object.keys(expected).sort());
      for (const [, value, field, text] of cells) {
        expect(Number(value), `${key} ${field}`).toBe(expected[field][0]);
        expect(text, `${key} ${field}`).toBe(expected[field][1]);
      }
    }

    // Every metric of every cell.
    const metricRows = [...html.matchAll(/<tr data-key="([^"]+)" data-metric="([^"]+)">(.*?)<\/tr>/gs)];
    expect(metricRows).toHaveLength([...onDisk.values()].reduce((a, m) => a + m.metrics.length, 0));
    for (const [, key, name, body] of metricRows) {
      const metric = onDisk.get(key)!.metrics.find((x) => x.name === name)!;
      const v = Object.fromEntries([...body.matchAll(/data-value="([^"]+)" data-field="([^"]+)"/g)].map((m) => [m[2], Number(m[1])]));
      expect(v).toEqual({ value: metric.value, stderr: metric.stderr, ci_low: metric.ci95![0], ci_high: metric.ci95![1], n: metric.n });
    }
  });

  it('the tracker section', () => {
    const file = join(tmp(), 'TRACKER.md');
    writeFileSync(file, '# Tracker\n\nhand-written notes\n');
    updateTracker(file, summary);
    const text = readFileSync(file, 'utf8');
    const section = text.slice(text.indexOf(TRACKER_START), text.indexOf(TRACKER_END));
    checkGrid(mdTableAfter(section, '| variant |'));
    const rows = mdTableAfter(section, '| cell | n |');
    expect(rows).toHaveLength(onDisk.size);
    for (const r of rows) checkCostRow(r, false);
  });
});

describe('metric references', () => {
  it('lists each metric reference once under the metrics tables, and nothing when no metric has one', () => {
    const withRefs = { ...summary, cells: summary.cells.map((c) => ({ ...c, metrics: { ...c.metrics, metrics: c.metrics.metrics.map((m) => ({ ...m, reference: `ref of ${m.name}` })) } })) };
    const names = [...new Set(summary.cells.flatMap((c) => c.metrics.metrics.map((m) => m.name)))];
    const md = renderMarkdown(withRefs);
    for (const n of names) expect(md.split(`- \`${n}\`: ref of ${n}`)).toHaveLength(2);
    expect(renderMarkdown(summary)).not.toContain('What each metric reproduces');
  });
});
