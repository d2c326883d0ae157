import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';
import { sha256 } from '@evalgraph/core';
import { ChaosWorkspace } from './chaos-workspace';

/**
 * Normalized results of an uninterrupted run of `pipelineYaml` in its own scratch workspace, computed once per
 * suite run and shared by the scenarios that compare against it.
 */
export async function referenceResults(pipelineYaml: string): Promise<Record<string, unknown>> {
  const file = join(inject('chaosDir'), 'reference', `${sha256(pipelineYaml).slice(0, 16)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const ref = new ChaosWorkspace({ c: pipelineYaml });
  try {
    const r = await ref.evaluate();
    if (r.status !== 0) throw new Error(`the reference run failed:\n${r.out}`);
    const results = ref.results();
    writeFileSync(file, JSON.stringify(results));
    return results;
  } finally {
    await ref.dispose();
  }
}
