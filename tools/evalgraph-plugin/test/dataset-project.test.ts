import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CreateNodesContext, ProjectConfiguration } from '@nx/devkit';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodes } from '../src';

const ROOT = resolve(__dirname, '../../..');
const MIRROR = process.env.EVALGRAPH_DATA_MIRROR ?? resolve(ROOT, '../shared/datasets');
const root = mkdtempSync(join(tmpdir(), 'evalgraph-dataset-project-'));
const mirror = mkdtempSync(join(tmpdir(), 'evalgraph-dataset-project-mirror-'));
cpSync(join(ROOT, 'configs/datasets/gsm8k'), join(root, 'configs/datasets/gsm8k'), { recursive: true });
mkdirSync(join(mirror, 'gsm8k'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(mirror, { recursive: true, force: true });
});

/** The gsm8k project's prepare target as the plugin infers it with this mirror. */
async function prepareTarget(): Promise<NonNullable<ProjectConfiguration['targets']>[string]> {
  const prev = process.env.EVALGRAPH_DATA_MIRROR;
  process.env.EVALGRAPH_DATA_MIRROR = mirror;
  try {
    const results = await createNodes[1](['configs/datasets/gsm8k/dataset.yaml'], undefined, { workspaceRoot: root, nxJsonConfiguration: {} } as CreateNodesContext);
    const [, result] = (results as [string, { projects?: Record<string, ProjectConfiguration> }][])[0];
    return result.projects!['configs/datasets/gsm8k'].targets!.prepare;
  } finally {
    if (prev === undefined) delete process.env.EVALGRAPH_DATA_MIRROR;
    else process.env.EVALGRAPH_DATA_MIRROR = prev;
  }
}

const runtimeInputs = (t: Awaited<ReturnType<typeof prepareTarget>>) => (t.inputs ?? []).filter((i) => typeof i === 'object' && 'runtime' in i);

describe('the prepare target of a dataset project', () => {
  it('has a source probe among its inputs while the source files are missing', async () => {
    const t = await prepareTarget();
    expect(runtimeInputs(t)).toHaveLength(1);
    expect(t.options).toEqual({ dataset: 'gsm8k' });
  });

  // 17 probes cost a cached run of the bench grid about 0.25 s of hashing (docs/architecture.md).
  it('spawns no probe once they are here: sourceHere in its options (part of the task hash) says so', async () => {
    symlinkSync(join(MIRROR, 'gsm8k/test.jsonl'), join(mirror, 'gsm8k/test.jsonl'));
    const t = await prepareTarget();
    expect(runtimeInputs(t)).toEqual([]);
    expect(t.options).toEqual({ dataset: 'gsm8k', sourceHere: true });
  });
});
