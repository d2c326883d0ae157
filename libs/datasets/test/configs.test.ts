import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNamed } from '@evalgraph/core';
import { MIRROR, REPO } from './helpers';

const DATASETS = ['arc-challenge', 'arc-easy', 'boolq', 'commonsenseqa', 'gsm8k', 'gsm8k-regex', 'hellaswag', 'humaneval', 'humanevalplus', 'ifeval', 'math500', 'mbpp', 'mbppplus', 'mmlu', 'mt-bench', 'openbookqa', 'piqa', 'truthfulqa-mc1', 'truthfulqa-mc2', 'winogrande'];

/** sha256 per mirror file, read from the mirror's MANIFEST.md table (the pins must be these). */
function manifestShas(): Map<string, string> {
  const text = readFileSync(join(MIRROR, 'MANIFEST.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$/gm)) out.set(m[1], m[2]);
  return out;
}

describe('dataset configs', () => {
  it('there is one config per planned dataset', () => {
    expect(readdirSync(join(REPO, 'configs/datasets')).sort()).toEqual(DATASETS);
  });

  it.each(DATASETS)('%s loads, points at the schema and pins every file', (name) => {
    const text = readFileSync(join(REPO, 'configs/datasets', name, 'dataset.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/dataset.schema.json');
    const cfg = loadNamed(REPO, 'dataset', name);
    expect(cfg.source.revision).toMatch(/^[0-9a-f]{40}$/);
    expect(new Set(cfg.source.files.map((f) => f.mirror_path)).size).toBe(cfg.source.files.length);
    if (cfg.scorer === 'multiple-choice') expect(cfg.mode).toBe('loglikelihood');
  });

  it('pinned sha256 values of mirrored files equal the MANIFEST', () => {
    const shas = manifestShas();
    let checked = 0;
    for (const name of DATASETS) {
      for (const f of loadNamed(REPO, 'dataset', name).source.files) {
        const mirrorName = f.mirror_path;
        if (!shas.has(mirrorName)) continue;
        expect(f.sha256, `${name}: ${mirrorName}`).toBe(shas.get(mirrorName));
        checked++;
      }
    }
    // 20 mirrored files are used; TruthfulQA's mc_task.json is pinned by both MC1 and MC2, GSM8K's test.jsonl by gsm8k
    // and gsm8k-regex (the example plugin's dataset).
    expect(checked).toBe(22);
  });
});
