/**
 * The evaluate executor checks the code sandbox once, up front, and fails only the code cells with one message; and
 * whatever throws outside a cell (opening or closing a backend, stopping the servers), every task still gets a result.
 */
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { MissingDependencyError } from '@evalgraph/core';
import type { CellOptions } from '../src/nodes/pipeline-project';

const ran: string[] = [];
/** What the mocked backends do wrong, per cell name. */
const faults: { openThrows?: string; closeRejects?: string; closeAllRejects?: boolean } = {};
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
  slurmFor: () => undefined,
  createBackends: () => ({
    register() {},
    open: (_spec: unknown, input: { cell: string }) => {
      if (faults.openThrows === input.cell) throw new Error('no server for it');
      return {
        backend: { close: async () => (faults.closeRejects === input.cell ? Promise.reject(new Error('the server did not stop')) : undefined) },
        services: {},
      };
    },
    closeAll: async () => (faults.closeAllRejects ? Promise.reject(new Error('lease database locked')) : undefined),
  }),
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
  for (const k of Object.keys(faults)) delete faults[k as keyof typeof faults];
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

describe('evaluate: a failure outside a cell does not end the batch', () => {
  it('a backend that cannot open fails its cell; one that cannot close still leaves every cell reported', async () => {
    preflight.mockResolvedValue(null);
    faults.openThrows = 'm--gsm8k';
    faults.closeRejects = 'm--arc';
    faults.closeAllRejects = true;
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const results = await collect(['gsm8k', 'arc', 'mbpp']);
    expect(results.map((r) => [r.task, r.success]).sort()).toEqual([
      ['cell-arc:evaluate', true],
      ['cell-gsm8k:evaluate', false],
      ['cell-mbpp:evaluate', true],
    ]);
    expect(results.find((r) => !r.success)?.terminalOutput).toMatch(/no server for it/);
    const said = errors.mock.calls.map((c) => String(c[0])).join('\n');
    expect(said).toMatch(/p:m--arc: closing its backend failed: .*the server did not stop/);
    expect(said).toMatch(/stopping the servers failed: .*lease database locked/);
  });
});
