import { createRequire } from 'node:module';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ExecutorContext, Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ConfigError, DatasetConfig, ModelConfig, PipelineConfig, checkSource, loadNamed, parseYaml, resolvePipeline, type ConfigProblem } from '@evalgraph/core';
import modelGenerator from '../src/generators/model/generator';
import datasetGenerator from '../src/generators/dataset/generator';
import pipelineGenerator from '../src/generators/pipeline/generator';
import { ModelGeneratorOptions } from '../src/generators/model/options';
import { DatasetGeneratorOptions } from '../src/generators/dataset/options';
import { PipelineGeneratorOptions } from '../src/generators/pipeline/options';
import { GeneratorError } from '../src/generators/shared/generator-error';
import validateExecutor from '../src/executors/validate/executor';
import checkExecutor from '../src/executors/check/executor';

const REPO = resolve(__dirname, '../../..');
const PLUGIN = resolve(__dirname, '..');
const SHA40 = '0123456789abcdef0123456789abcdef01234567';

/** The repository's configs/ and pipelines/ loaded into an empty Nx workspace tree (in memory: nothing touches the disk). */
let base: [string, Buffer][];
function workspaceTree(skip: RegExp = /^$/): Tree {
  const tree = createTreeWithEmptyWorkspace();
  for (const [p, data] of base) if (!skip.test(p)) tree.write(p, data);
  return tree;
}
function filesUnder(dir: string): string[] {
  return readdirSync(join(REPO, dir)).flatMap((e) => (statSync(join(REPO, dir, e)).isDirectory() ? filesUnder(`${dir}/${e}`) : [`${dir}/${e}`]));
}
const check = <S extends z.ZodType>(tree: Tree, file: string, schema: S) => checkSource(parseYaml(tree.read(file, 'utf8') ?? '', file), schema);
const fields = (problems: ConfigProblem[]) => problems.map((p) => p.field);
/** Runs a generator that must refuse: its message, and proof that it wrote nothing. */
async function refusal(tree: Tree, run: (t: Tree) => Promise<void>): Promise<string> {
  const before = tree.listChanges().length;
  const e = await run(tree).then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(GeneratorError);
  expect(tree.listChanges().length).toBe(before);
  return (e as Error).message;
}

beforeAll(() => {
  base = [...filesUnder('configs'), ...filesUnder('pipelines')].map((p) => [p, readFileSync(join(REPO, p))]);
  // The generators report their TODOs through Nx's logger; keep the test output to the assertions.
  vi.spyOn(console, 'info').mockImplementation(() => {});
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterAll(() => vi.restoreAllMocks());

describe('generators.json', () => {
  const collection = JSON.parse(readFileSync(join(PLUGIN, 'generators.json'), 'utf8')) as { generators: Record<string, { factory: string; schema: string }> };
  const options: Record<string, z.ZodObject> = { model: ModelGeneratorOptions, dataset: DatasetGeneratorOptions, pipeline: PipelineGeneratorOptions };

  it('is the package\'s "generators" and names a factory and a schema.json whose options are the zod options', async () => {
    expect(JSON.parse(readFileSync(join(PLUGIN, 'package.json'), 'utf8')).generators).toBe('./generators.json');
    for (const name of ['model', 'dataset', 'pipeline']) {
      const entry = collection.generators[name];
      // "./compiled.js#<export>": the shim that compiles what changed and hands over dist/ (bin/build.js).
      const [file, exportName] = entry.factory.split('#');
      expect(typeof (createRequire(__filename)(join(PLUGIN, file)) as Record<string, unknown>)[exportName], name).toBe('function');
      const schema = JSON.parse(readFileSync(join(PLUGIN, entry.schema), 'utf8')) as { properties: Record<string, unknown>; required: string[] };
      expect(Object.keys(schema.properties).sort(), name).toEqual(Object.keys(options[name].shape).sort());
      expect(schema.required, name).toContain('name');
      expect(existsSync(join(PLUGIN, 'dist/generators', name, 'files')), name).toBe(true);
    }
  });
});

describe('nx g @evalgraph/plugin:model', () => {
  it('copies --from with new weights: every setting kept, the revision left as a TODO, the architecture flagged', async () => {
    const tree = workspaceTree();
    await modelGenerator(tree, { name: 'qwen3-8b-sft', from: 'qwen3-8b', hfId: 'acme/qwen3-8b-sft', skipFormat: true });
    const file = 'configs/models/qwen3-8b-sft/model.yaml';
    const text = tree.read(file, 'utf8') ?? '';
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/model.schema.json');
    expect(text.match(/yaml-language-server/g)).toHaveLength(1);
    expect(text).toContain("# Copied from qwen3-8b: check every number against acme/qwen3-8b-sft's config.json.");
    expect(fields(check(tree, file, ModelConfig).problems)).toEqual(['revision']);
    const filled = checkSource(parseYaml(text.replace(/^revision: .*$/m, `revision: ${SHA40}`), file), ModelConfig).value;
    const source = check(tree, 'configs/models/qwen3-8b/model.yaml', ModelConfig).value;
    expect(filled).toEqual({ ...source, hf_id: 'acme/qwen3-8b-sft', revision: SHA40, description: 'acme/qwen3-8b-sft, served with the settings of qwen3-8b.' });
  });

  it('with --revision (or the same weights) the config is complete', async () => {
    const tree = workspaceTree();
    await modelGenerator(tree, { name: 'a', from: 'qwen3-4b', hfId: 'acme/a', revision: SHA40, skipFormat: true });
    await modelGenerator(tree, { name: 'b', from: 'qwen2.5-7b-instruct', skipFormat: true });
    expect(check(tree, 'configs/models/a/model.yaml', ModelConfig)).toMatchObject({ problems: [], value: { hf_id: 'acme/a', revision: SHA40 } });
    expect(check(tree, 'configs/models/b/model.yaml', ModelConfig).problems).toEqual([]);
  });

  it('refuses bad arguments with what to change, writing nothing', async () => {
    const tree = workspaceTree();
    const gen = (o: Partial<ModelGeneratorOptions>) => (t: Tree) => modelGenerator(t, { name: 'x', from: 'qwen3-8b', skipFormat: true, ...o });
    expect(await refusal(tree, gen({ from: 'qwen3-8c' }))).toMatch(/^--from: no model "qwen3-8c" .*did you mean "qwen3-8b"\?$/);
    expect(await refusal(tree, gen({ name: 'My_Model' }))).toMatch(/^name: expected a lower-case name .*found "My_Model" — did you mean "my-model"\?$/);
    expect(await refusal(tree, gen({ name: 'qwen3-4b' }))).toBe('name: model "qwen3-4b" already exists (configs/models/qwen3-4b/model.yaml) — choose another name or edit that file');
    expect(await refusal(tree, gen({ hfId: 'not an id' }))).toBe('--hf-id: expected a Hugging Face id "org/name", found "not an id"');
    expect(await refusal(tree, gen({ hfId: 'acme/x', revision: 'main' }))).toMatch(/^--revision: expected a 40-hex commit sha/);
  });
});

describe('nx g @evalgraph/plugin:dataset', () => {
  it('leaves exactly the pinned source as TODOs and copies how the same format is prompted', async () => {
    const tree = workspaceTree();
    await datasetGenerator(tree, { name: 'gsm-plus', format: 'gsm8k', skipFormat: true });
    const file = 'configs/datasets/gsm-plus/dataset.yaml';
    const { problems } = check(tree, file, DatasetConfig);
    expect(fields(problems)).toEqual(['source.kind', 'source.repo', 'source.revision', 'source.license', 'source.files.0.path', 'source.files.0.sha256', 'source.files.0.mirror_path', 'expected_records']);
    expect(problems.every((p) => p.file === file && p.line && p.found === 'a TODO placeholder')).toBe(true);
    const gsm8k = check(tree, 'configs/datasets/gsm8k/dataset.yaml', DatasetConfig).value as DatasetConfig;
    // Filled in with the real GSM8K source, it is the same dataset under another name.
    let text = tree.read(file, 'utf8') ?? '';
    const f = gsm8k.source.files[0];
    for (const [k, v] of Object.entries({ kind: gsm8k.source.kind, repo: gsm8k.source.repo, revision: gsm8k.source.revision, license: gsm8k.source.license, path: f.path, sha256: f.sha256, mirror_path: f.mirror_path, expected_records: gsm8k.expected_records })) {
      text = text.replace(new RegExp(`^(\\s*(?:- )?${k}): .*TODO.*$`, 'm'), `$1: ${JSON.stringify(v)}`);
    }
    const filled = checkSource(parseYaml(text, file), DatasetConfig);
    expect(filled.problems).toEqual([]);
    expect({ ...filled.value, description: undefined }).toEqual({ ...gsm8k, description: undefined, mirror: undefined, source: { ...gsm8k.source, homepage: undefined } });
  });

  it('--scorer overrides the reference one; a format no dataset uses needs it', async () => {
    const tree = workspaceTree();
    await datasetGenerator(tree, { name: 'arc-gen', format: 'arc', scorer: 'exact-match', split: 'validation', skipFormat: true });
    expect(parseYaml(tree.read('configs/datasets/arc-gen/dataset.yaml', 'utf8') ?? '', 'x').data).toMatchObject({ format: 'arc', scorer: 'exact-match', split: 'validation' });
    const bare = workspaceTree(/^configs\/datasets\//);
    expect(await refusal(bare, (t) => datasetGenerator(t, { name: 'g', format: 'gsm8k', skipFormat: true }))).toMatch(/^--scorer: no existing dataset uses format "gsm8k".*give one of exact-match, /);
    await datasetGenerator(bare, { name: 'g', format: 'gsm8k', scorer: 'gsm8k', skipFormat: true });
    expect(fields(check(bare, 'configs/datasets/g/dataset.yaml', DatasetConfig).problems)).toContain('expected_records');
  });

  it('takes a format plugin and a scorer plugin by reference, as dataset.yaml does', async () => {
    const tree = workspaceTree();
    await datasetGenerator(tree, { name: 'own', format: './tools/plugins/my-format', scorer: './tools/plugins/regex-answer', skipFormat: true });
    expect(parseYaml(tree.read('configs/datasets/own/dataset.yaml', 'utf8') ?? '', 'x').data).toMatchObject({ format: './tools/plugins/my-format', scorer: './tools/plugins/regex-answer' });
  });

  it('asks for one file per role the format reads (MT-Bench: three; MMLU: data and fewshot, not its 114 files)', async () => {
    const tree = workspaceTree();
    const roles = async (format: string) => {
      await datasetGenerator(tree, { name: `new-${format}`, format, skipFormat: true });
      const data = parseYaml(tree.read(`configs/datasets/new-${format}/dataset.yaml`, 'utf8') ?? '', 'x').data as { source: { files: { role: string }[] } };
      return data.source.files.map((f) => f.role);
    };
    expect(await roles('mt-bench')).toEqual(['data', 'reference', 'judge_prompts']);
    expect(await roles('mmlu')).toEqual(['data', 'fewshot']);
  });

  it('refuses an unknown format or scorer, and a taken name', async () => {
    const tree = workspaceTree();
    expect(await refusal(tree, (t) => datasetGenerator(t, { name: 'x', format: 'gsm8', skipFormat: true }))).toMatch(/^--format: unknown format "gsm8"; known: .*did you mean "gsm8k"\?$/);
    expect(await refusal(tree, (t) => datasetGenerator(t, { name: 'x', format: 'gsm8k', scorer: 'exact-mtch', skipFormat: true }))).toMatch(/^--scorer: unknown scorer "exact-mtch"; known: .*did you mean "exact-match"\?$/);
    expect(await refusal(tree, (t) => datasetGenerator(t, { name: 'gsm8k', format: 'gsm8k', skipFormat: true }))).toMatch(/^name: dataset "gsm8k" already exists/);
  });
});

describe('nx g @evalgraph/plugin:pipeline', () => {
  it('every model on every dataset; a judged dataset on a real backend gets a judge to fill in', async () => {
    const tree = workspaceTree();
    await pipelineGenerator(tree, { name: 'cmp', models: 'qwen3-8b,qwen3-14b', datasets: 'gsm8k,mt-bench', skipFormat: true });
    const { problems } = check(tree, 'pipelines/cmp/pipeline.yaml', PipelineConfig);
    expect(fields(problems)).toEqual(['judge.endpoint', 'judge.model', 'judge.api_key_env']);
    const data = parseYaml(tree.read('pipelines/cmp/pipeline.yaml', 'utf8') ?? '', 'x').data;
    expect(data).toMatchObject({ backend: 'vllm', gpu: 'h100-80gb', preset: 'balanced', models: [{ model: 'qwen3-8b' }, { model: 'qwen3-14b' }], datasets: ['gsm8k', 'mt-bench'] });
  });

  it('a dummy pipeline needs no judge and does not gate on memory or throughput it cannot measure', async () => {
    const tree = workspaceTree();
    await pipelineGenerator(tree, { name: 'd', models: ['qwen3-8b'], datasets: 'mt-bench', backend: 'dummy', sampleLimit: 5, skipFormat: true });
    expect(check(tree, 'pipelines/d/pipeline.yaml', PipelineConfig)).toMatchObject({
      problems: [],
      value: { backend: 'dummy', settings: { sample_limit: 5 }, gates: { min_throughput_tok_s: null, max_gpu_memory_fraction: null } },
    });
    expect(check(tree, 'pipelines/d/pipeline.yaml', PipelineConfig).value).not.toHaveProperty('judge');
  });

  it('refuses unknown, repeated or unservable models, datasets, GPU profiles and presets', async () => {
    const tree = workspaceTree();
    tree.write('configs/gpus/tiny-8gb.yaml', (tree.read('configs/gpus/h100-80gb.yaml', 'utf8') ?? '').replace(/memory_gib: .*/, 'memory_gib: 8'));
    const gen = (o: Partial<PipelineGeneratorOptions>) => (t: Tree) => pipelineGenerator(t, { name: 'p', models: 'qwen3-8b', datasets: 'gsm8k', skipFormat: true, ...o });
    expect(await refusal(tree, gen({ models: 'qwen3-8c' }))).toMatch(/^--models: no model "qwen3-8c" .*did you mean "qwen3-8b"\?$/);
    expect(await refusal(tree, gen({ datasets: 'gsm8k,arc-esy' }))).toMatch(/^--datasets: no dataset "arc-esy" .*did you mean "arc-easy"\?$/);
    expect(await refusal(tree, gen({ models: 'qwen3-8b,qwen3-8b' }))).toBe('--models: "qwen3-8b" is listed twice');
    expect(await refusal(tree, gen({ datasets: 'gsm8k,' }))).toMatch(/^--datasets: expected a comma-separated list/);
    expect(await refusal(tree, gen({ gpu: 'h100-80g' }))).toMatch(/^--gpu: no gpu "h100-80g" .*did you mean "h100-80gb"\?$/);
    expect(await refusal(tree, gen({ preset: 'fast' }))).toMatch(/^--preset: no preset "fast"/);
    expect(await refusal(tree, gen({ backend: 'endpoint' }))).toMatch(/^--backend endpoint: configs\/models\/qwen3-8b\/model\.yaml has no endpoint/);
    expect(await refusal(tree, gen({ gpu: 'tiny-8gb' }))).toMatch(/^--models: qwen3-8b with preset balanced does not fit tiny-8gb: .* — use --preset memory-optimized or a larger --gpu$/);
    expect(await refusal(tree, gen({ name: 'smoke' }))).toMatch(/^name: pipeline "smoke" already exists/);
  });
});

describe('generated configs through the real validators', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'evalgraph-gen-'));
    cpSync(join(REPO, 'configs'), join(root, 'configs'), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('model validate and pipeline check pass; a dataset with TODOs fails both with exactly those fields', async () => {
    const tree = workspaceTree();
    await modelGenerator(tree, { name: 'qwen3-8b-sft', from: 'qwen3-8b', hfId: 'acme/qwen3-8b-sft', revision: SHA40, skipFormat: true });
    await pipelineGenerator(tree, { name: 'sft', models: 'qwen3-8b,qwen3-8b-sft', datasets: 'gsm8k,arc-easy', skipFormat: true });
    await datasetGenerator(tree, { name: 'gsm-todo', format: 'gsm8k', skipFormat: true });
    await pipelineGenerator(tree, { name: 'todo', models: 'qwen3-8b-sft', datasets: 'gsm-todo', backend: 'dummy', skipFormat: true });
    // What `nx g` would flush to disk.
    for (const c of tree.listChanges()) {
      if (!c.path.startsWith('configs/') && !c.path.startsWith('pipelines/')) continue;
      mkdirSync(dirname(join(root, c.path)), { recursive: true });
      writeFileSync(join(root, c.path), c.content ?? '');
    }
    const context = { root } as unknown as ExecutorContext;
    await expect(validateExecutor({ model: 'qwen3-8b-sft', presets: ['balanced', 'memory-optimized', 'performance'], gpus: ['h100-80gb', 'h200-141gb'] }, context)).resolves.toEqual({ success: true });
    await expect(checkExecutor({ pipeline: 'sft' }, context)).resolves.toEqual({ success: true });
    expect(resolvePipeline(root, 'sft').cells.map((c) => c.target)).toEqual(['evaluate-qwen3-8b-gsm8k', 'evaluate-qwen3-8b-arc-easy', 'evaluate-qwen3-8b-sft-gsm8k', 'evaluate-qwen3-8b-sft-arc-easy']);
    const todo = ['source.kind', 'source.repo', 'source.revision', 'source.license', 'source.files.0.path', 'source.files.0.sha256', 'source.files.0.mirror_path', 'expected_records'];
    const problemsOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
      }
      return [];
    };
    expect(problemsOf(() => loadNamed(root, 'dataset', 'gsm-todo')).map((p) => `${p.file}:${p.field}`)).toEqual(todo.map((f) => `configs/datasets/gsm-todo/dataset.yaml:${f}`));
    expect(fields(problemsOf(() => resolvePipeline(root, 'todo')))).toEqual(todo);
    await expect(checkExecutor({ pipeline: 'todo' }, context)).resolves.toEqual({ success: false });
  });
});
