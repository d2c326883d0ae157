import { describe, expect, it } from 'vitest';
import { HISTORY_HTML_MARK, HISTORY_MD_MARK, History, nextHistory, renderHtml, renderMarkdown, withHistory } from '../src';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();
const datasets = [{ name: 'gsm8k', tasks: 120 }, { name: 'arc-easy', tasks: 60 }];
const first = build(tmp(), { datasets, comparisons: [], variants: [{ id: 'qwen3-8b', accuracy: 0.5 }, { id: 'qwen3-14b', accuracy: 0.7 }] }).summary;
// The next run: qwen3-8b got much better on the same samples, qwen3-14b/arc-easy is gone, a new variant came.
const second = build(
  tmp(),
  { datasets, comparisons: [], variants: [{ id: 'qwen3-8b', accuracy: 0.9 }, { id: 'qwen3-14b', accuracy: 0.7 }, { id: 'qwen2.5-7b', accuracy: 0.6 }], skip: ['qwen3-14b/arc-easy'] },
  { generatedAt: '2026-02-04T00:00:00.000Z' },
).summary;

describe('publish history', () => {
  it('lists every published run and what changed since the previous one, with the paired test', () => {
    const h1 = nextHistory(null, null, first, '2026-02-03T05:00:00.000Z');
    expect(h1.runs).toHaveLength(1);
    expect(h1.changes).toBeNull();
    const h2 = History.parse(nextHistory(h1, first, second, '2026-02-04T05:00:00.000Z'));
    expect(h2.runs.map((r) => r.published_at)).toEqual(['2026-02-04T05:00:00.000Z', '2026-02-03T05:00:00.000Z']);
    const c = h2.changes!.comparison;
    expect(c.new_in_current.sort()).toEqual(['qwen2.5-7b/arc-easy', 'qwen2.5-7b/gsm8k']);
    expect(c.missing_in_current).toEqual(['qwen3-14b/arc-easy']);
    const row = c.rows.find((r) => r.key === 'qwen3-8b/gsm8k' && r.primary)!;
    expect(row.comparison.test).toBe('mcnemar-exact');
    expect(row.comparison.n_paired).toBe(120);
    expect(row.improvement).toBe(true);
    expect(row.current - row.baseline).toBeCloseTo(row.comparison.diff, 10);

    const md = withHistory({ 'report.md': renderMarkdown(second) }, h2)['report.md'] as string;
    expect(md).not.toContain(HISTORY_MD_MARK);
    expect(md).toMatch(/## History[\s\S]*2026-02-04T05:00:00.000Z \(this report\)[\s\S]*2026-02-03T05:00:00.000Z/);
    expect(md).toMatch(/\| qwen3-8b\/gsm8k \| exact_match \| [\d.]+ \| [\d.]+ \| \+[\d.]+ \[[\d.]+, [\d.]+\] \| [<\d.]+ \| mcnemar-exact \| improvement \|/);
    expect(md).toMatch(/Cells added: qwen2.5-7b\/(gsm8k|arc-easy), qwen2.5-7b\/(gsm8k|arc-easy)\./);
    expect(md).toContain('Cells removed: qwen3-14b/arc-easy.');
  });

  it('a report published before histories were kept is still the run the next one is compared with', () => {
    const h = nextHistory(null, first, second, '2026-02-04T05:00:00.000Z');
    expect(h.runs).toHaveLength(2);
    expect(h.changes?.comparison.rows.length).toBeGreaterThan(0);
  });

  it('fills the placeholder of report.html with the history as JSON', async () => {
    const html = await renderHtml(second, {});
    expect(html).toContain(HISTORY_HTML_MARK);
    const h = nextHistory(null, first, second, '2026-02-04T05:00:00.000Z');
    const out = withHistory({ 'report.html': html }, h);
    const embedded = /<script type="application\/json" id="evalgraph-history">(.*?)<\/script>/s.exec(out['report.html'] as string)![1];
    expect(JSON.parse(embedded)).toEqual(h);
    expect(JSON.parse(out['history.json'] as string)).toEqual(h);
  });
});
