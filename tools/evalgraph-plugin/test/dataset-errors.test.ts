import { cpSync, mkdtempSync, rmSync } from 'node:fs';
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

  it('summary of a dataset that is not prepared', async () => {
    const out = await errorsOf(() => summaryExecutor({ dataset: 'gsm8k' }, { root } as ExecutorContext));
    expect(out).toMatch(/^dataset gsm8k is not prepared/);
    expect(out).not.toMatch(/dataset gsm8k: dataset gsm8k/);
  });
});
