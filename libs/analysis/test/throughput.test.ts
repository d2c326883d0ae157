import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cellThroughput, loadCells, performanceMatrix, serverThroughput, type LoadedCell } from '../src';
import { generateFixture } from './fixtures/cells';

const dir = mkdtempSync(join(tmpdir(), 'evalgraph-throughput-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = generateFixture(dir, {
  variants: [
    { id: 'qwen3-8b', accuracy: 0.6, throughput: 2000, tokens: 300 },
    { id: 'qwen3-8b-thinking', model: 'qwen3-8b', mode: 'thinking', accuracy: 0.6, throughput: 2000, tokens: 900 },
    { id: 'qwen3-14b', accuracy: 0.7, throughput: 1000, tokens: 300 },
    { id: 'dummy-8b', model: 'qwen3-8b-dummy', accuracy: 0.5, backend: 'dummy', throughput: 5_773_657 },
  ],
  datasets: [{ name: 'gsm8k', tasks: 50 }, { name: 'arc-easy', tasks: 50 }],
  comparisons: [],
});
const loaded = loadCells(dir, fixture.pipeline).cells;
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
/** The cell with its run window set to [from, to] seconds. */
const timed = (key: string, from: number, to: number): LoadedCell => {
  const c = loaded.find((x) => x.cell.key === key)!;
  return { ...c, run: { ...c.run, started_at: at(from), finished_at: at(to) } };
};

describe('throughput accounting', () => {
  // Three qwen3-8b cells on one server at the same time (0–40 s), one later on its own (100–110 s);
  // qwen3-14b alone on its server.
  const cells = [
    timed('qwen3-8b/gsm8k', 0, 20),
    timed('qwen3-8b/arc-easy', 10, 30),
    timed('qwen3-8b-thinking/gsm8k', 15, 40),
    timed('qwen3-8b-thinking/arc-easy', 100, 110),
    timed('qwen3-14b/gsm8k', 0, 30),
    timed('qwen3-14b/arc-easy', 30, 50),
    timed('dummy-8b/gsm8k', 0, 1),
  ];
  const tokens = (key: string) => cells.find((c) => c.cell.key === key)!.metrics.tokens.completion;

  it("counts a server's tokens once over the window it served, for cells that overlapped on it", () => {
    const rows = serverThroughput(cells);
    const shared = rows.find((r) => r.model === 'qwen3-8b' && r.cells.length === 3)!;
    expect(shared.cells.sort()).toEqual(['qwen3-8b-thinking/gsm8k', 'qwen3-8b/arc-easy', 'qwen3-8b/gsm8k']);
    expect(shared.window_s).toBe(40);
    const sum = tokens('qwen3-8b/gsm8k') + tokens('qwen3-8b/arc-easy') + tokens('qwen3-8b-thinking/gsm8k');
    expect(shared.completion_tokens).toBe(sum);
    expect(shared.tok_s).toBeCloseTo(sum / 40, 9);
    // Summing the cells' own tok/s would count the overlap once per cell: far above what the server did.
    const naive = cells.filter((c) => shared.cells.includes(c.cell.key)).reduce((a, c) => a + c.metrics.tokens.completion / ((Date.parse(c.run.finished_at) - Date.parse(c.run.started_at)) / 1000), 0);
    expect(naive).toBeGreaterThan(shared.tok_s! * 1.5);

    const later = rows.find((r) => r.model === 'qwen3-8b' && r.cells.length === 1)!;
    expect(later.cells).toEqual(['qwen3-8b-thinking/arc-easy']);
    expect(later.tok_s).toBeCloseTo(tokens('qwen3-8b-thinking/arc-easy') / 10, 9);
    // Back-to-back cells (one ends as the next starts) are one after the other, not sharing.
    expect(rows.filter((r) => r.model === 'qwen3-14b').map((r) => r.cells.length)).toEqual([1, 1]);
  });

  it('shows a cell’s own tok/s only where it had its server to itself, and never for the dummy backend', () => {
    expect(cellThroughput(cells[0], cells)).toEqual({ tok_s: null, note: 'shared server: see the per-server tok/s' });
    expect(cellThroughput(cells[3], cells).tok_s).toBe(cells[3].metrics.throughput_tok_s);
    expect(cellThroughput(cells[6], cells)).toEqual({ tok_s: null, note: 'dummy backend: not measured' });
    const dummyServer = serverThroughput(cells).find((r) => r.backend === 'dummy')!;
    expect(dummyServer).toMatchObject({ tok_s: null, note: 'dummy backend: not measured' });
    const matrix = performanceMatrix(cells);
    expect(matrix.find((r) => r.key === 'dummy-8b/gsm8k')).toMatchObject({ throughput_tok_s: null, throughput_note: 'dummy backend: not measured' });
    expect(matrix.find((r) => r.key === 'qwen3-8b/arc-easy')).toMatchObject({ throughput_tok_s: null, throughput_note: 'shared server: see the per-server tok/s' });
    expect(matrix.find((r) => r.key === 'qwen3-14b/gsm8k')!.throughput_tok_s).toBe(cells[4].metrics.throughput_tok_s);
  });

  it("cells divided among a model's servers count against those servers together, and show no tok/s of their own", () => {
    // Two qwen3-14b cells, each divided among three servers (0–30 s and 20–50 s): one row over 0–50 s for them.
    const divided = (key: string, from: number, to: number): LoadedCell => {
      const c = timed(key, from, to);
      return { ...c, run: { ...c.run, server: { ...c.run.server, command: ['vllm', 'serve', '--port', String(from)], replicas: 3 } } };
    };
    const both = [divided('qwen3-14b/gsm8k', 0, 30), divided('qwen3-14b/arc-easy', 20, 50)];
    const rows = serverThroughput(both);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ model: 'qwen3-14b', window_s: 50, completion_tokens: both[0].metrics.tokens.completion + both[1].metrics.tokens.completion });
    expect(rows[0].server).toMatch(/cells divided among up to 3 servers/);
    expect(cellThroughput(both[0], both)).toEqual({ tok_s: null, note: 'shared server: see the per-server tok/s' });
  });
});
