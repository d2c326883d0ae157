import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TRACKER_END, TRACKER_START, TrackerError, renderTrackerSection, updateTracker } from '../src';
import { build, tempDirs } from './helpers';

const tmp = tempDirs();
const small = { datasets: [{ name: 'gsm8k', tasks: 40 }], comparisons: [] };
const { summary } = build(tmp(), small);
const other = build(tmp(), { ...small, variants: [{ id: 'qwen3-8b', accuracy: 0.3 }], seed: 4 }).summary;

describe('updateTracker', () => {
  it('rewrites only the bytes between the markers', () => {
    const file = join(tmp(), 'tracker.md');
    // Odd bytes on purpose: CRLF line ends, a lone invalid UTF-8 byte, no trailing newline.
    const before = Buffer.concat([Buffer.from(`# Results tracker\r\n\r\nIntro \xe9 text\r\n${TRACKER_START}\r\nold hand-typed numbers 99.9%\r\n${TRACKER_END}\r\n\r\n## Notes\r\n`, 'latin1'), Buffer.from([0xff]), Buffer.from('tail without newline')]);
    writeFileSync(file, before);
    expect(updateTracker(file, summary)).toBe(true);
    const after = readFileSync(file);
    const s = before.indexOf(TRACKER_START) + TRACKER_START.length;
    const e = before.indexOf(TRACKER_END);
    expect(after.subarray(0, s).equals(before.subarray(0, s))).toBe(true);
    const tail = before.subarray(e);
    expect(after.subarray(after.length - tail.length).equals(tail)).toBe(true);
    const section = after.subarray(s, after.length - tail.length).toString('utf8');
    expect(section).not.toContain('99.9%');
    expect(section).toContain('| qwen3-8b/gsm8k |');
    expect(section.replace(/\r\n/g, '')).not.toContain('\n'); // keeps the file's CRLF line ends

    // Same numbers again: nothing to write. Different numbers: only the section changes.
    expect(updateTracker(file, summary)).toBe(false);
    expect(updateTracker(file, other)).toBe(true);
    const third = readFileSync(file);
    expect(third.subarray(0, s).equals(before.subarray(0, s))).toBe(true);
    expect(third.subarray(third.length - tail.length).equals(tail)).toBe(true);
    expect(third.equals(after)).toBe(false);
  });

  it('adds the markers at the end when absent, and creates a missing file', () => {
    const file = join(tmp(), 'TRACKER.md');
    writeFileSync(file, '# Tracker\n\nplan: TBD');
    updateTracker(file, summary);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('# Tracker\n\nplan: TBD\n\n' + TRACKER_START + '\n')).toBe(true);
    expect(text.endsWith(TRACKER_END + '\n')).toBe(true);
    expect(text).toContain(renderTrackerSection(summary));

    const fresh = join(tmp(), 'new', 'RESULTS.md');
    expect(existsSync(fresh)).toBe(false);
    updateTracker(fresh, summary);
    expect(readFileSync(fresh, 'utf8')).toBe(`${TRACKER_START}\n${renderTrackerSection(summary)}\n${TRACKER_END}\n`);
  });

  it('refuses broken markers instead of guessing', () => {
    const file = join(tmp(), 'broken.md');
    writeFileSync(file, `# T\n${TRACKER_START}\nno end\n`);
    expect(() => updateTracker(file, summary)).toThrow(TrackerError);
    writeFileSync(file, `# T\n${TRACKER_END}\n${TRACKER_START}\n`);
    expect(() => updateTracker(file, summary)).toThrow(/comes before/);
    writeFileSync(file, `${TRACKER_START}\n${TRACKER_END}\n${TRACKER_START}\n${TRACKER_END}\n`);
    expect(() => updateTracker(file, summary)).toThrow(/more than one/);
    expect(readFileSync(file, 'utf8')).toBe(`${TRACKER_START}\n${TRACKER_END}\n${TRACKER_START}\n${TRACKER_END}\n`);
  });

  it('says when the numbers come from the dummy backend', () => {
    const dummy = build(tmp(), { ...small, variants: [{ id: 'a', accuracy: 0.5, backend: 'dummy' }] }).summary;
    expect(renderTrackerSection(dummy)).toContain('DUMMY BACKEND — not model results');
    expect(renderTrackerSection(summary)).not.toContain('DUMMY');
  });
});
