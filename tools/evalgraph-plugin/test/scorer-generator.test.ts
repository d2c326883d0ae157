import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import { DatasetConfig, type EvalResponse } from '@evalgraph/core';
import { validatePlugin, type Scorer, type ScoringContext } from '@evalgraph/scoring';
import { scorerGenerator } from '../src/generators/scorer/generator';

const REPO = resolve(__dirname, '../../..');
// Inside the repository (tmp/ is gitignored) so the generated code resolves @evalgraph/* as a real plugin would.
mkdirSync(join(REPO, 'tmp'), { recursive: true });
const out = mkdtempSync(join(REPO, 'tmp', 'scorer-gen-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const generated = (tree: Tree, root: string) =>
  tree
    .listChanges()
    .map((c) => c.path)
    .filter((p) => p.startsWith(root))
    .sort();

describe('nx g @evalgraph/plugin:scorer', () => {
  it('writes a plugin package with a scorer, a test and a README, and asks npm to link it', async () => {
    const tree = createTreeWithEmptyWorkspace();
    const install = await scorerGenerator(tree, { name: 'json-answer' });
    expect(typeof install).toBe('function');
    const root = 'tools/plugins/json-answer';
    expect(generated(tree, root)).toEqual([`${root}/README.md`, `${root}/package.json`, `${root}/src/index.ts`, `${root}/src/scorer.ts`, `${root}/test/json-answer.test.ts`]);
    expect(JSON.parse(tree.read(`${root}/package.json`, 'utf8')!)).toMatchObject({ name: '@evalgraph-plugins/json-answer', version: '0.1.0', main: './src/index.ts' });
    expect(tree.read(`${root}/README.md`, 'utf8')).toContain('scorer: ./tools/plugins/json-answer');
  });

  it('generates code that loads through the plugin API and scores', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await scorerGenerator(tree, { name: 'json-answer', directory: 'x', skipInstall: true });
    for (const p of generated(tree, 'x/json-answer')) {
      mkdirSync(dirname(join(out, p)), { recursive: true });
      writeFileSync(join(out, p), tree.read(p)!);
    }
    const mod = (await import(join(out, 'x/json-answer/src/index.ts'))) as { default: unknown; jsonAnswerScorer: Scorer };
    const scorer = validatePlugin('./x/json-answer', mod.default, 'scorer').scorer;
    expect(scorer).toBe(mod.jsonAnswerScorer);
    const datasetConfig = DatasetConfig.parse({
      source: { kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
      format: 'x',
      split: 'test',
      expected_records: 1,
      scorer: './x/json-answer',
      scorer_options: { ignore_case: true },
    });
    const ctx: ScoringContext = { dataset: 'toy', datasetConfig, maxTokens: 64, samplesPerTask: 1, workspaceRoot: '/tmp', services: {} };
    const sample = scorer.buildRequests({ id: 'r', input: 'Capital of France?', target: 'Paris', metadata: {} }, ctx);
    const gen = (text: string): EvalResponse => ({ kind: 'generate', text, finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });
    const [right] = await scorer.score(sample, [gen(' paris ')], ctx);
    expect(right).toMatchObject({ score: 1, scores: { json_answer: 1 } });
  });

  it('rejects a bad name, a built-in scorer name and an existing folder', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await expect(scorerGenerator(tree, { name: 'Json_Answer' })).rejects.toThrow('scorer: name "Json_Answer" is not a lower-case kebab name');
    await expect(scorerGenerator(tree, { name: 'gsm8k' })).rejects.toThrow('"gsm8k" is a built-in scorer');
    tree.write('tools/plugins/taken/package.json', '{}');
    await expect(scorerGenerator(tree, { name: 'taken' })).rejects.toThrow('tools/plugins/taken already exists');
  });
});
