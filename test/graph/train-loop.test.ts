import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

/** Each step runs nx in a scratch workspace; on a busy 2-core machine one can take minutes. */
const NX_TIMEOUT = 300_000;

const PIPELINE = `backend: dummy
gates: { max_gpu_memory_fraction: null, min_throughput_tok_s: null }
settings:
  sample_limit: 3
models:
  - model: qwen3-4b
  - model: qwen3-4b
    adapter: tiny
datasets: [gsm8k]
comparisons:
  - kind: modes
    name: adapter vs base
    a: qwen3-4b
    b: qwen3-4b-tiny
`;

const TRAIN_DATA = `sources:
  - name: gsm8k-train
    format: gsm8k
    split: train
    kind: github
    repo: openai/grade-school-math
    revision: 3101c7d5072418e28b9008a6636bde82a006892c
    license: MIT
    files:
      - path: grade_school_math/data/train.jsonl
        sha256: 17f347dc51477c50d4efb83959dbb7c56297aba886e5544ee2aaed3024813465
        mirror_path: gsm8k/train.jsonl
    limit: 10
decontamination:
  datasets: [gsm8k, mbpp]
`;

const TRAIN = `model: qwen3-4b
data: tiny-set
trainer: fake
lora: { rank: 8, alpha: 16 }
learning_rate: 1.0e-4
max_steps: 3
`;

let ws: Scratch;
const run = (target: 'compare' | 'evaluate') => {
  const r = ws.nx(['run', `pipeline-loop:${target}`, '--outputStyle=static']);
  expect(r.status, r.out).toBe(0);
  return r.out;
};

// The one end-to-end test of the data → train → evaluate loop: real nx runs, the fake trainer, the dummy backend.
describe('data preparation, training and evaluation as one graph', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { loop: PIPELINE } });
    for (const f of ['configs/train-data/math-code-sft.yaml', 'configs/train/qwen3-4b-math-code.yaml']) rmSync(join(ws.root, f));
    writeFileSync(join(ws.root, 'configs/train-data/tiny-set.yaml'), TRAIN_DATA);
    writeFileSync(join(ws.root, 'configs/train/tiny.yaml'), TRAIN);
    ws.commit('train configs');
  }, NX_TIMEOUT);
  afterAll(() => ws?.dispose());

  it('prepares, trains and evaluates base and adapter, then re-runs exactly what each edit touches', () => {
    const out = run('compare');
    expect(out).toContain('FAKE trainer (CPU stand-in, nothing is trained)');
    expect(ws.executed()).toEqual(['loop:qwen3-4b-tiny/gsm8k', 'loop:qwen3-4b/gsm8k', 'train-data-tiny-set', 'train-tiny']);
    expect(existsSync(join(ws.root, 'results/train/tiny/adapter/adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(ws.read('results/train/tiny/run.json'))).toMatchObject({ trainer: 'fake (CPU stand-in: nothing trained)', data: { name: 'tiny-set', examples: 10 } });
    // The comparison pairs the adapter against its base on the same samples (the report renders these rows).
    const summary = JSON.parse(ws.read('results/loop/compare/summary.json'));
    expect(JSON.stringify(summary)).toMatch(/"name":"adapter vs base","a":"qwen3-4b","b":"qwen3-4b-tiny","dataset":"gsm8k"/);

    // New training data: the set, the run and the adapter's cell; the base cell stays cached.
    ws.edit('configs/train-data/tiny-set.yaml', (t) => t.replace('limit: 10', 'limit: 11'));
    // `nx affected` selects the same: the adapter's cell through the training run, not the base model's; and the
    // pipeline, so `nx affected -t report` (the CI workflow's step) renders its report again.
    const affected = ws.nx(['show', 'projects', '--affected', '--base=HEAD']);
    expect(affected.status, affected.out).toBe(0);
    expect(affected.out).toContain('cell-loop--qwen3-4b-tiny--gsm8k');
    expect(affected.out).toContain('train-tiny');
    expect(affected.out).not.toMatch(/cell-loop--qwen3-4b--gsm8k\b/);
    expect(affected.out.split('\n').map((l) => l.trim())).toContain('pipeline-loop');
    run('evaluate');
    expect(ws.executed()).toEqual(['loop:qwen3-4b-tiny/gsm8k', 'train-data-tiny-set', 'train-tiny']);

    // A changed evaluation set the pipeline does not use (its prepared manifest changes): the decontamination re-runs;
    // the training set is unchanged, so nothing is retrained or re-evaluated.
    ws.edit('configs/datasets/mbpp/dataset.yaml', (t) => t.replace('split: test', 'split: test-renamed'));
    run('evaluate');
    expect(ws.executed()).toEqual(['train-data-tiny-set']);
  }, 4 * NX_TIMEOUT);
});
