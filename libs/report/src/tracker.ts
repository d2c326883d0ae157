import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@evalgraph/core';
import { mdCell, mdTable, overviewTable, resultsTable, serversTable } from './markdown';
import { DUMMY_BANNER, fmt, shortCommit } from './format';
import type { Summary } from './summary-schema';

export const TRACKER_START = '<!-- evalgraph:results:start -->';
export const TRACKER_END = '<!-- evalgraph:results:end -->';

/** A tracker file whose results markers are broken (one without the other, or in the wrong order). */
export class TrackerError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message} — fix the markers by hand (${TRACKER_START} … ${TRACKER_END}) or remove both`);
    this.name = 'TrackerError';
  }
}

/** The Markdown that goes between the tracker markers: measured numbers only, never typed by hand. */
export function renderTrackerSection(s: Summary): string {
  const lines = [
    `_Written by evalgraph from results/${s.pipeline} on ${s.generated_at} (commit \`${shortCommit(s.meta.git_commit)}\`). Do not edit between the markers: the next report rewrites this section._`,
    '',
  ];
  if (s.dummy) lines.push(`> **${DUMMY_BANNER}.**`, '');
  const failed = s.readiness.gates.filter((g) => !g.pass);
  lines.push(`**Readiness:** ${s.readiness.pass ? '✅ ready' : `❌ not ready (${failed.map((g) => g.gate).join(', ')})`} · ${s.cells.length}/${s.cells.length + s.missing_cells.length} cells`, '');
  lines.push(overviewTable(s), '', resultsTable(s.comparisons.matrix, { tailLatency: false }), '', serversTable(s));
  if (s.comparisons.scaling.length) {
    lines.push('', mdTable(['family', 'dataset', 'metric', 'small → large', 'gain [95% CI]', 'significant', 'memory', 'throughput'], s.comparisons.scaling.map((r) => [mdCell(r.family), mdCell(r.dataset), mdCell(r.metric), `${mdCell(r.small)} → ${mdCell(r.large)}`, `${fmt.signed(r.gain.diff)} ${fmt.ci(r.gain.ci95)}`, r.gain.significant ? 'yes' : 'no', fmt.ratio(r.memory_ratio), fmt.ratio(r.throughput_ratio)])));
  }
  if (s.comparisons.baseline) lines.push('', `Against the baseline: ${s.comparisons.baseline.regressions} regression(s), ${s.comparisons.baseline.improvements} improvement(s).`);
  return lines.join('\n');
}

/**
 * Rewrites only the part of a Markdown tracker between the evalgraph markers (adding the markers at the
 * end when the file has none, creating the file when absent); every other byte is kept. Returns whether
 * the file changed.
 */
export function updateTracker(file: string, summary: Summary): boolean {
  const old = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
  const eol = old.includes('\r\n') ? '\r\n' : '\n';
  const body = Buffer.from(eol + renderTrackerSection(summary).replace(/\n/g, eol) + eol, 'utf8');
  const start = old.indexOf(TRACKER_START);
  const end = old.indexOf(TRACKER_END);
  let next: Buffer;
  if (start < 0 && end < 0) {
    const sep = old.length === 0 ? '' : old.subarray(-1).toString() === '\n' ? eol : eol + eol;
    next = Buffer.concat([old, Buffer.from(sep + TRACKER_START, 'utf8'), body, Buffer.from(TRACKER_END + eol, 'utf8')]);
  } else {
    if (start < 0) throw new TrackerError(file, `has ${TRACKER_END} but no ${TRACKER_START}`);
    if (end < 0) throw new TrackerError(file, `has ${TRACKER_START} but no ${TRACKER_END}`);
    if (end < start) throw new TrackerError(file, `${TRACKER_END} comes before ${TRACKER_START}`);
    if (old.indexOf(TRACKER_START, start + 1) >= 0 || old.indexOf(TRACKER_END, end + 1) >= 0) throw new TrackerError(file, 'has more than one results section');
    const head = old.subarray(0, start + Buffer.byteLength(TRACKER_START));
    const tail = old.subarray(end);
    next = Buffer.concat([head, body, tail]);
  }
  if (next.equals(old) && existsSync(file)) return false;
  writeFileAtomic(file, next);
  return true;
}
