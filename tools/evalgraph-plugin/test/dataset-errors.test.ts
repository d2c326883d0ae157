import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ExecutorContext } from '@nx/devkit';
import { afterAll, describe, expect, it, vi } from 'vitest';
import prepareExecutor from '../src/executors/prepare/executor';
import summaryExecutor from '../src/executors/summary/executor';

const ROOT = resolve(__dirname, '../../..');
const empty = mkdtempSync(join(tmpdir(), 'evalgraph-empty-mirror-'));
/** A workspace with the gsm8k config and nothing prepared. */
const root = mkdtempSync(join(tmpdir(), 'evalgraph-dataset-errors-'));
cpSync(join(ROOT, 'configs/datasets/gsm8k'), join(root, 'configs/datasets/gsm8k'), { recursive: true });
afterAll(() => {
  rmSync(empty, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

/** Runs an executor and returns what it printed to stderr. */
async function errorsOf(run: () => Promise<{ success: boolean }>): Promise<string> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    expect((await run()).success).toBe(false);
  } finally {
    spy.mockRestore();
  }
  return lines.join('\n');
}

describe('dataset errors name the dataset once', () => {
  it('prepare with a mirror that lacks the file', async () => {
    const prev = process.env.EVALGRAPH_DATA_MIRROR;
    process.env.EVALGRAPH_DATA_MIRROR = empty;
    try {
      const out = await errorsOf(() => prepareExecutor({ dataset: 'gsm8k' }, { root } as ExecutorContext));
      expect(out).toMatch(/^dataset gsm8k: gsm8k\/test\.jsonl is not in the mirror /);
      expect(out.match(/dataset gsm8k/g)).toHaveLength(1);
    } finally {
      if (prev === undefined) delete process.env.EVALGRAPH_DATA_MIRROR;
      else process.env.EVALGRAPH_DATA_MIRROR = prev;
    }
  });

  it('prepare whose files were here when the graph was built, and are not now, fails: no "unavailable" for the cache', async () => {
    const prev = process.env.EVALGRAPH_DATA_MIRROR;
    process.env.EVALGRAPH_DATA_MIRROR = empty;
    // A pipeline's cell waits on it: without sourceHere this prepare would record the error and succeed.
    const taskGraph = { dependencies: { 'cell-p--m--gsm8k:evaluate': [{ id: 'dataset-gsm8k:prepare' }] } };
    const context = { root, projectName: 'dataset-gsm8k', targetName: 'prepare', taskGraph } as unknown as ExecutorContext;
    try {
      const out = await errorsOf(() => prepareExecutor({ dataset: 'gsm8k', sourceHere: true }, context));
      expect(out).toContain('gsm8k/test.jsonl is not in the mirror');
      expect(out).toContain('were here when Nx read the workspace and are gone now');
      expect(existsSync(join(root, '.evalgraph/prepared/gsm8k/unavailable.json'))).toBe(false);
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        expect((await prepareExecutor({ dataset: 'gsm8k' }, context)).success).toBe(true);
      } finally {
        warn.mockRestore();
      }
      expect(existsSync(join(root, '.evalgraph/prepared/gsm8k/unavailable.json'))).toBe(true);
    } finally {
      rmSync(join(root, '.evalgraph'), { recursive: true, force: true });
      if (prev === undefined) delete process.env.EVALGRAPH_DATA_MIRROR;
      else process.env.EVALGRAPH_DATA_MIRROR = prev;
    }
  });

  it('summary of a dataset that is not prepared', async () => {
    const out = await errorsOf(() => summaryExecutor({ dataset: 'gsm8k' }, { root } as ExecutorContext));
    expect(out).toMatch(/^dataset gsm8k is not prepared/);
    expect(out).not.toMatch(/dataset gsm8k: dataset gsm8k/);
  });
});
