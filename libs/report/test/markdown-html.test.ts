import { describe, expect, it } from 'vitest';
import { DUMMY_BANNER, MARKDOWN_LIMIT, embedSamples, renderHtml, renderMarkdown, type Summary } from '../src';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();

/** A summary with `copies` times the cells, matrix rows and outcome rows (a very large sweep). */
function amplify(s: Summary, copies: number): Summary {
  const rename = (k: string, i: number) => k.replace(/^([^/]+)/, `$1-x${i}`);
  const many = <T extends { key: string; variant: string }>(rows: T[]) => rows.flatMap((r) => Array.from({ length: copies }, (_, i) => ({ ...r, key: rename(r.key, i), variant: `${r.variant}-x${i}` })));
  return {
    ...s,
    variants: s.variants.flatMap((v) => Array.from({ length: copies }, (_, i) => ({ ...v, id: `${v.id}-x${i}` }))),
    cells: many(s.cells),
    comparisons: { ...s.comparisons, matrix: many(s.comparisons.matrix) },
    analysis: { ...s.analysis, error_categories: many(s.analysis.error_categories) },
  };
}

describe('renderMarkdown', () => {
  const { summary } = build(tmp());

  it('fits a PR comment even for a very large sweep, saying what it left out', () => {
    const md = renderMarkdown(summary);
    expect(md).not.toContain('more rows in summary.json');
    const huge = amplify(summary, 60); // 900 cells
    const big = renderMarkdown(huge);
    expect(big.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(big).toMatch(/\| … \d+ more rows in summary\.json and report\.html \|/);
    expect(big).toContain('## Readiness');
    expect(big).toContain('## Cost per cell');
  });

  it('shows the dummy banner first when any cell used the dummy backend', () => {
    const { summary: dummy } = build(tmp(), { datasets: [{ name: 'gsm8k', tasks: 20 }], comparisons: [], variants: [{ id: 'a', accuracy: 0.5, backend: 'dummy' }, { id: 'b', accuracy: 0.5 }] });
    const md = renderMarkdown(dummy);
    expect(md.split('\n').slice(0, 5).join('\n')).toContain(`**${DUMMY_BANNER}.** 1 of 2 cells ran on the in-process dummy backend`);
    expect(renderMarkdown(summary)).not.toContain(DUMMY_BANNER);
  });

  it('shows nothing from the dummy backend as a measurement, and no bare 0 / 0 gate', () => {
    const { summary: dummy } = build(tmp(), { datasets: [{ name: 'gsm8k', tasks: 20 }], comparisons: [], variants: [{ id: 'a', accuracy: 0.5, backend: 'dummy', throughput: 5_773_657 }] });
    const md = renderMarkdown(dummy);
    expect(dummy.meta.gpu.used).toBe(false);
    expect(md).not.toContain('NVIDIA H100');
    expect(md).toContain('no GPU used (dummy backend');
    expect(md).not.toMatch(/5773657|5,773,657/);
    expect(dummy.comparisons.matrix[0]).toMatchObject({ throughput_tok_s: null, throughput_note: 'dummy backend: not measured' });
    expect(dummy.comparisons.servers[0]).toMatchObject({ tok_s: null, note: 'dummy backend: not measured' });
    expect(md).toContain('## Cost per cell\n\nNot measured: every cell ran on the dummy backend, which measures no throughput, latency or GPU memory.');
    const gates = md.slice(md.indexOf('## Readiness'), md.indexOf('## Results'));
    expect(gates).not.toMatch(/\| 0 \| 0 \|/);
    expect(gates).toContain('| coverage | ✅ pass | 1 of 1 cells | every cell |');
  });

  it('keeps the main table narrow: datasets as rows when there are fewer variants', () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ name: `d${i}`, tasks: 5 }));
    const { summary: wide } = build(tmp(), { datasets: many, comparisons: [], variants: [{ id: 'a', accuracy: 0.5 }, { id: 'b', accuracy: 0.6 }, { id: 'c', accuracy: 0.7 }] });
    const md = renderMarkdown(wide);
    const header = md.slice(md.indexOf('## Results')).split('\n')[2];
    expect(header).toBe('| dataset | metric | a | b | c |');
    for (const block of md.split('\n\n').filter((b) => b.startsWith('|'))) expect(block.split('\n')[0].split(' | ').length, block.split('\n')[0]).toBeLessThanOrEqual(10);
  });

  it('escapes table-breaking text', () => {
    const { summary: s } = build(tmp(), { datasets: [{ name: 'gsm8k', tasks: 10 }], comparisons: [], variants: [{ id: 'a', accuracy: 0.5 }] });
    const md = renderMarkdown({ ...s, missing_cells: [{ key: 'a|b', variant: 'a', dataset: 'b', reason: 'line\nbreak | pipe <b>' }] });
    expect(md).toContain('| a\\|b | line break \\| pipe &lt;b> |');
  });
});

describe('renderHtml (static checks)', () => {
  const { summary, samples } = build(tmp(), { variants: [{ id: 'qwen3-8b', accuracy: 0.6, backend: 'dummy' }, { id: 'qwen3-14b', accuracy: 0.7 }], comparisons: [{ kind: 'scaling', family: 'qwen3', small: 'qwen3-8b', large: 'qwen3-14b' }] });

  it('is one self-contained file: no external URL, stylesheet, font or image, and a CSP that forbids them', async () => {
    const html = await renderHtml(summary, samples);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\b(src|href|xlink:href)\s*=\s*["']?\s*(https?:|\/\/|ftp:)/i);
    expect(html).not.toMatch(/url\((?!#)|@import|@font-face/i); // url(#id) is an in-document SVG gradient
    // Sample text contains "</script>": it must stay inside the JSON, escaped.
    expect(html.match(/<\/script>/g)).toHaveLength(5);
    expect((html.match(/<svg\b/g) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(html).toContain(DUMMY_BANNER);
  });

  it('caps the embedded samples per cell and within a size budget, flagged samples first', () => {
    const capped = embedSamples(summary, samples, { maxPerCell: 30 });
    expect(capped.cap).toBe(30);
    for (const c of capped.cells) expect(c.shown).toBe(Math.min(30, c.total));
    const rowsOf = (i: number) => capped.rows.filter((r) => r[0] === i);
    const longest = summary.analysis.longest[0];
    const cellIndex = capped.cells.findIndex((c) => c.key === longest.key);
    expect(rowsOf(cellIndex).some((r) => r[1] === longest.id && r[2] === longest.sample_index)).toBe(true);
    const tiny = embedSamples(summary, samples, { maxPerCell: 200, maxBytes: 20_000 });
    expect(tiny.cap).toBeLessThan(200);
    expect(tiny.cap).toBeGreaterThanOrEqual(10);
    const clipped = embedSamples(summary, samples, { maxTextChars: 10 });
    expect(clipped.strings.every((s) => s.length <= 10 || /… \[\d+ more characters\]$/.test(s))).toBe(true);
  });
});
