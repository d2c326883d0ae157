/** The evaluate executor checks the code sandbox once, up front, and fails only the code cells with one message. */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MissingDependencyError } from '@evalgraph/core';
import type { CellOptions } from '../src/nodes/pipeline-project';

const ran: string[] = [];
const preflight = vi.fn<() => Promise<MissingDependencyError | null>>();

vi.mock('@evalgraph/scoring', async (importOriginal) => ({
  ...(await importOriginal<typeof import('@evalgraph/scoring')>()),
  sandboxPreflight: () => preflight(),
  runCell: async (input: { cell: string }) => void ran.push(input.cell),
}));
vi.mock('../src/executors/evaluate/load-cell', () => ({
  loadCell: (_root: string, o: CellOptions) => ({ cell: o.cell, dataset: { scorer: o.dataset === 'humaneval' ? 'code-humaneval' : 'gsm8k', scorer_options: {} } }),
}));
vi.mock('../src/executors/evaluate/backends', () => ({
  serverSpec: () => ({ key: 'one-server' }),
  createBackends: () => ({ register() {}, open: () => ({ backend: { close: async () => {} }, services: {} }), closeAll: async () => {} }),
}));

let runCells: typeof import('../src/executors/evaluate/run-cells').runCells;
beforeAll(async () => {
  ({ runCells } = await import('../src/executors/evaluate/run-cells'));
});

const task = (dataset: string) => ({ task: `cell-${dataset}:evaluate`, options: { pipeline: 'p', cell: `m--${dataset}`, dataset } as unknown as CellOptions });
const collect = async (datasets: string[]) => {
  const out = [];
  for await (const r of runCells('/nonexistent', datasets.map(task), new AbortController().signal)) out.push(r);
  return out;
};

afterEach(() => {
  ran.length = 0;
  preflight.mockReset();
  vi.restoreAllMocks();
});

describe('evaluate: sandbox preflight', () => {
  it('without a sandbox, prints the fix once and runs every cell that needs none', async () => {
    preflight.mockResolvedValue(new MissingDependencyError('bubblewrap (bwrap) is not installed', 'apt-get install bubblewrap'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const results = await collect(['humaneval', 'gsm8k', 'humaneval']);
    expect(preflight).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0][0])).toMatch(/2 code cell\(s\) not run: bubblewrap \(bwrap\) is not installed — fix: apt-get install bubblewrap/);
    expect(ran).toEqual(['m--gsm8k']);
    expect(results.filter((r) => !r.success).map((r) => r.terminalOutput)).toEqual([
      'm--humaneval: not run: the code sandbox is unavailable here (npm run setup; npx evalgraph doctor says why)',
      'm--humaneval: not run: the code sandbox is unavailable here (npm run setup; npx evalgraph doctor says why)',
    ]);
  });

  it('runs code cells when the sandbox works, and does not probe it when no cell runs code', async () => {
    preflight.mockResolvedValue(null);
    expect((await collect(['humaneval', 'gsm8k'])).every((r) => r.success)).toBe(true);
    expect(ran.sort()).toEqual(['m--gsm8k', 'm--humaneval']);
    preflight.mockClear();
    await collect(['gsm8k']);
    expect(preflight).not.toHaveBeenCalled();
  });
});
