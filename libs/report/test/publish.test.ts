import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '@evalgraph/core';
import { CANDIDATE_DIR, PREVIOUS_DIR, PublishError, publishDecision, publishReport, publishedFiles, rollbackReport } from '../src';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();

/** Every file under dir (relative path → sha256), optionally leaving some top-level entries out. */
function snapshot(dir: string, skip: string[] = []): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (d === dir && skip.includes(name)) continue;
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const report = (tag: string) => ({ 'report.md': `# report ${tag}\n`, 'report.html': `<p>${tag}</p>`, 'summary.json': JSON.stringify({ tag }) });

describe('publishReport', () => {
  it('publishes, keeps the previous report, and rolls back', () => {
    const dir = join(tmp(), 'results', 'p');
    expect(publishReport(dir, report('A'), { ready: true })).toMatchObject({ published: true });
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe('# report A\n');
    expect(existsSync(join(dir, PREVIOUS_DIR))).toBe(false);

    publishReport(dir, report('B'), { ready: true });
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe('# report B\n');
    expect(readFileSync(join(dir, PREVIOUS_DIR, 'report.md'), 'utf8')).toBe('# report A\n');

    rollbackReport(dir);
    expect(readFileSync(join(dir, 'report.html'), 'utf8')).toBe('<p>A</p>');
    expect(readFileSync(join(dir, PREVIOUS_DIR, 'report.html'), 'utf8')).toBe('<p>B</p>');
    expect(publishedFiles(dir)).toEqual(['report.html', 'report.md', 'summary.json']);
    // No staging leftovers.
    expect(readdirSync(dir).filter((n) => n.startsWith('.')).sort()).toEqual(['.previous', '.published.json']);
  });

  it('a failed readiness or partial run leaves the published report byte for byte', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'unrelated.txt'), 'cells live here too');
    publishReport(dir, report('good-1'), { ready: true });
    publishReport(dir, report('good-2'), { ready: true });
    const before = snapshot(dir);

    const failing = build(tmp(), { datasets: [{ name: 'gsm8k', tasks: 20 }], comparisons: [], variants: [{ id: 'a', accuracy: 0.5, throughput: 20 }] }).summary;
    const decision = publishDecision(failing);
    expect(decision.ready).toBe(false);
    expect(decision.reason).toMatch(/^readiness failed: throughput/);
    const r = publishReport(dir, report('bad'), decision);
    expect(r).toMatchObject({ published: false, reason: decision.reason });
    expect(snapshot(dir, [CANDIDATE_DIR])).toEqual(before);
    expect(readFileSync(join(dir, CANDIDATE_DIR, 'report.md'), 'utf8')).toBe('# report bad\n');

    const partial = build(tmp(), { datasets: [{ name: 'gsm8k', tasks: 20 }], comparisons: [], variants: [{ id: 'a', accuracy: 0.5 }, { id: 'b', accuracy: 0.5 }], skip: ['b/gsm8k'] }).summary;
    expect(publishDecision(partial)).toEqual({ ready: false, reason: 'partial run: 1 cell(s) missing' });
    publishReport(dir, report('partial'), publishDecision(partial));
    expect(snapshot(dir, [CANDIDATE_DIR])).toEqual(before);

    // The next good run replaces it and clears the candidate.
    publishReport(dir, report('good-3'), { ready: true });
    expect(readFileSync(join(dir, 'report.md'), 'utf8')).toBe('# report good-3\n');
    expect(readFileSync(join(dir, PREVIOUS_DIR, 'report.md'), 'utf8')).toBe('# report good-2\n');
    expect(existsSync(join(dir, CANDIDATE_DIR))).toBe(false);
    expect(readFileSync(join(dir, 'unrelated.txt'), 'utf8')).toBe('cells live here too');
  });

  it('a publish that crashed half-way is finished by the next command', () => {
    for (const crashAt of ['staged', 'previous-saved', 'file-moved'] as const) {
      const dir = tmp();
      publishReport(dir, report('old'), { ready: true });
      expect(() =>
        publishReport(dir, report('new'), {
          ready: true,
          onStep: (step) => {
            if (step === crashAt) throw new Error('crash');
          },
        }),
      ).toThrow('crash');
      // After a crash before the journal, the old report is intact; after it, the new one is rolled forward.
      publishReport(dir, { 'other.md': 'x' }, { ready: false, reason: 'probe' });
      const expected = crashAt === 'staged' ? 'old' : 'new';
      expect(readFileSync(join(dir, 'report.md'), 'utf8'), crashAt).toBe(`# report ${expected}\n`);
      expect(readFileSync(join(dir, 'report.html'), 'utf8'), crashAt).toBe(`<p>${expected}</p>`);
      if (expected === 'new') expect(readFileSync(join(dir, PREVIOUS_DIR, 'report.md'), 'utf8')).toBe('# report old\n');
      expect(readdirSync(dir).filter((n) => /staging|journal/.test(n)), crashAt).toEqual([]);
    }
  });

  it('drops files the new report no longer has, and refuses bad names and empty rollbacks', () => {
    const dir = tmp();
    publishReport(dir, { ...report('A'), 'extra.txt': 'old only' }, { ready: true });
    publishReport(dir, report('B'), { ready: true });
    expect(existsSync(join(dir, 'extra.txt'))).toBe(false);
    expect(readFileSync(join(dir, PREVIOUS_DIR, 'extra.txt'), 'utf8')).toBe('old only');
    rollbackReport(dir);
    expect(readFileSync(join(dir, 'extra.txt'), 'utf8')).toBe('old only');

    expect(() => publishReport(dir, { '../escape.md': 'x' }, { ready: true })).toThrow(PublishError);
    expect(() => publishReport(dir, { '.hidden': 'x' }, { ready: true })).toThrow(PublishError);
    expect(() => rollbackReport(tmp())).toThrow(/no previous published report/);
  });
});
