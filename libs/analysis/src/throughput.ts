import type { MetricsFile, RunFile } from '@evalgraph/core';
import type { ServerThroughputRow } from './schemas';

/** Why a cell's own tok/s is not shown (null when it is a measurement). */
export type ThroughputNote = 'dummy backend: not measured' | 'no tokens generated' | 'shared server: see the per-server tok/s' | null;

/** What throughput accounting reads of a loaded cell. */
export interface TimedCell {
  cell: { key: string };
  metrics: Pick<MetricsFile, 'tokens' | 'throughput_tok_s'>;
  run: Pick<RunFile, 'model' | 'backend' | 'server' | 'started_at' | 'finished_at'>;
}

interface Window {
  cell: TimedCell;
  start: number;
  end: number;
}

/**
 * Cells that ran on the same model server: same model, backend and server command. Cells divided among several
 * servers of a model count against those servers together (their tokens cannot be split by server).
 */
function serverKey(c: TimedCell): string {
  const server = c.run.server.replicas ? 'several servers' : (c.run.server.command ?? []).join(' ');
  return [c.run.model.name, c.run.backend, c.run.server.kind, c.run.server.version ?? '', server].join('\u0000');
}

/** Cells of one server grouped into sessions: windows that overlap in time (they shared one running server). */
function sessions(cells: readonly TimedCell[]): Window[][] {
  const windows = cells
    .map((cell) => ({ cell, start: Date.parse(cell.run.started_at), end: Date.parse(cell.run.finished_at) }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
  const out: Window[][] = [];
  let end = -Infinity;
  for (const w of windows) {
    if (out.length && w.start < end) {
      out[out.length - 1].push(w);
      end = Math.max(end, w.end);
    } else {
      out.push([w]);
      end = w.end;
    }
  }
  return out;
}

/** Cells grouped by the server session they shared (same server, overlapping windows), with the window's length. */
export function serverSessions<T extends TimedCell>(cells: readonly T[]): { cells: T[]; windowS: number }[] {
  const groups = new Map<string, T[]>();
  for (const c of cells) groups.set(serverKey(c), [...(groups.get(serverKey(c)) ?? []), c]);
  return [...groups.values()].flatMap((g) =>
    sessions(g).map((s) => ({ cells: s.map((w) => w.cell as T), windowS: (Math.max(...s.map((w) => w.end)) - Math.min(...s.map((w) => w.start))) / 1000 })),
  );
}

/**
 * Throughput per model server over the window it served. Cells of one model that ran at the same time shared
 * one server, and a server's own token counters (vLLM /metrics) cover all of them, so a cell's wall-clock
 * tok/s would count its neighbours' work: tokens are summed per server session (each cell's own completion
 * tokens, counted once) and divided by the session's span. The dummy backend generates no real tokens, so
 * nothing it reports is a throughput measurement.
 */
export function serverThroughput(cells: readonly TimedCell[]): ServerThroughputRow[] {
  const groups = new Map<string, TimedCell[]>();
  for (const c of cells) groups.set(serverKey(c), [...(groups.get(serverKey(c)) ?? []), c]);
  const rows: ServerThroughputRow[] = [];
  for (const group of groups.values()) {
    for (const session of sessions(group)) {
      const first = session[0].cell;
      const start = Math.min(...session.map((w) => w.start));
      const end = Math.max(...session.map((w) => w.end));
      const tokens = session.reduce((a, w) => a + w.cell.metrics.tokens.completion, 0);
      const windowS = (end - start) / 1000;
      const dummy = first.run.backend === 'dummy';
      rows.push({
        model: first.run.model.name,
        backend: first.run.backend,
        server: `${first.run.server.kind}${first.run.server.version ? ` ${first.run.server.version}` : ''}${first.run.server.replicas ? `, cells divided among up to ${Math.max(...session.map((w) => w.cell.run.server.replicas ?? 1))} servers` : ''}`,
        cells: session.map((w) => w.cell.cell.key),
        started_at: new Date(start).toISOString(),
        finished_at: new Date(end).toISOString(),
        window_s: windowS,
        completion_tokens: tokens,
        tok_s: dummy || tokens === 0 || windowS <= 0 ? null : tokens / windowS,
        note: dummy ? 'dummy backend: not measured' : tokens === 0 ? 'no tokens generated' : windowS <= 0 ? 'no time window recorded' : null,
      });
    }
  }
  return rows;
}

/**
 * A cell's own tok/s where it measures that cell alone: not on the dummy backend, not while it shared its server,
 * not divided among several servers (its tok/s would be theirs together).
 */
export function cellThroughput(cell: TimedCell, all: readonly TimedCell[]): { tok_s: number | null; note: ThroughputNote } {
  if (cell.run.backend === 'dummy') return { tok_s: null, note: 'dummy backend: not measured' };
  if (cell.metrics.throughput_tok_s === null) return { tok_s: null, note: 'no tokens generated' };
  if (cell.run.server.replicas) return { tok_s: null, note: 'shared server: see the per-server tok/s' };
  const key = serverKey(cell);
  const start = Date.parse(cell.run.started_at);
  const end = Date.parse(cell.run.finished_at);
  const shared = all.some((o) => o.cell.key !== cell.cell.key && serverKey(o) === key && Date.parse(o.run.started_at) < end && Date.parse(o.run.finished_at) > start);
  return shared ? { tok_s: null, note: 'shared server: see the per-server tok/s' } : { tok_s: cell.metrics.throughput_tok_s, note: null };
}
