import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePipeline } from '@evalgraph/core';
import { pipelineProjects } from '../src/nodes/pipeline-project';
import { trainDataProject } from '../src/nodes/train-data-project';
import { trainProject, TRAINER_RUNTIME_INPUT } from '../src/nodes/train-project';

const REPO = resolve(__dirname, '../../..');
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'evalgraph-train-nodes-'));
  for (const d of ['configs/models', 'configs/presets', 'configs/gpus', 'configs/datasets/gsm8k', 'configs/train', 'configs/train-data']) cpSync(join(REPO, d), join(root, d), { recursive: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const projects = (models: string) => {
  mkdirSync(join(root, 'pipelines/p'), { recursive: true });
  writeFileSync(join(root, 'pipelines/p/pipeline.yaml'), `backend: dummy\nmodels:\n${models}datasets: [gsm8k]\n`);
  return pipelineProjects('p', resolvePipeline(root, 'p'), { gsm8k: 'gsm8k' }, {});
};

describe('training projects in the graph', () => {
  it('train-data prepare waits for and hashes the evaluation sets it checks against', () => {
    const prepare = trainDataProject('mix', ['gsm8k', 'mbpp']).targets!.prepare;
    expect(prepare.dependsOn).toEqual([
      { projects: ['dataset-gsm8k'], target: 'prepare', params: 'ignore' },
      { projects: ['dataset-mbpp'], target: 'prepare', params: 'ignore' },
    ]);
    expect(prepare.inputs).toContainEqual({ dependentTasksOutputFiles: '**/manifest.json', transitive: false });
  });

  it('train hashes the set’s data (not its manifest), and the Python stack only for real training', () => {
    const real = trainProject('r', { model: 'qwen3-4b', data: 'mix', gpu: 'h100-80gb', trainer: 'transformers' }).targets!.train;
    expect(real.dependsOn).toEqual([{ projects: ['train-data-mix'], target: 'prepare', params: 'ignore' }]);
    expect(real.inputs).toContainEqual({ dependentTasksOutputFiles: '**/data.jsonl', transitive: false });
    expect(real.inputs).toContainEqual(TRAINER_RUNTIME_INPUT);
    expect(real.outputs).toEqual(['{workspaceRoot}/results/train/r']);
    expect(trainProject('r', { trainer: 'fake' }).targets!.train.inputs).not.toContainEqual(TRAINER_RUNTIME_INPUT);
    // A broken config (no references known) still gets a project, with no edge to a project that may not exist.
    expect(trainProject('r', {}).targets!.train.dependsOn).toEqual([]);
  });

  it('an adapter cell depends on its run and hashes the adapter; the base cell is the same project as without it', () => {
    const without = projects('  - model: qwen3-4b\n');
    const withAdapter = projects('  - model: qwen3-4b\n  - model: qwen3-4b\n    adapter: qwen3-4b-math-code\n');
    const base = 'pipelines/p/cells/qwen3-4b/gsm8k';
    expect(withAdapter[base]).toEqual(without[base]);
    const cell = withAdapter['pipelines/p/cells/qwen3-4b-qwen3-4b-math-code/gsm8k'].targets!.evaluate;
    expect(cell.options).toMatchObject({ adapter: 'qwen3-4b-math-code', variant: 'qwen3-4b-qwen3-4b-math-code' });
    expect(cell.dependsOn).toContainEqual({ projects: ['train-qwen3-4b-math-code'], target: 'train', params: 'ignore' });
    expect(cell.inputs).toContainEqual({ dependentTasksOutputFiles: '**/adapter/*', transitive: false });
    // check gathers the training runs with the datasets, so base and adapter cells share one batch and one server.
    expect(withAdapter['pipelines/p'].targets!.check.dependsOn).toContainEqual({ projects: ['train-qwen3-4b-math-code'], target: 'train', params: 'ignore' });
    expect(without['pipelines/p'].targets!.check.dependsOn).toEqual([{ projects: ['dataset-gsm8k'], target: 'prepare', params: 'ignore' }]);
  });
});
