import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadNamed, type DatasetConfig } from '@evalgraph/core';

export const REPO = resolve(__dirname, '../../..');
export const MIRROR = process.env.EVALGRAPH_DATA_MIRROR ?? resolve(REPO, '../shared/datasets');
export const FIXTURE_MIRROR = resolve(__dirname, 'fixtures/mirror');

/** A scratch workspace root with the repo's dataset configs (and their schema) copied in. */
export function scratchRoot(prefix: string): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), `evalgraph-datasets-${prefix}-`));
  cpSync(join(REPO, 'configs/datasets'), join(root, 'configs/datasets'), { recursive: true });
  cpSync(join(REPO, 'configs/schema'), join(root, 'configs/schema'), { recursive: true });
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/** Loads a dataset config the way the plugin does. */
export function config(root: string, name: string): DatasetConfig {
  return loadNamed(root, 'dataset', name);
}

/** Runs fn with EVALGRAPH_DATA_MIRROR set to value (or unset), restoring it afterwards. */
export async function withMirrorEnv<T>(value: string | undefined, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.EVALGRAPH_DATA_MIRROR;
  if (value === undefined) delete process.env.EVALGRAPH_DATA_MIRROR;
  else process.env.EVALGRAPH_DATA_MIRROR = value;
  try {
    return await fn();
  } finally {
    if (saved === undefined) delete process.env.EVALGRAPH_DATA_MIRROR;
    else process.env.EVALGRAPH_DATA_MIRROR = saved;
  }
}
