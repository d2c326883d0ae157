import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadNamed, pipelineAdapters, resolvePipeline, resolveTrainRun } from '../src';

const REPO = resolve(__dirname, '../../..');

const RUN = `model: qwen3-4b
data: mix
gpu: h100-80gb
lora: { rank: 8, alpha: 16 }
learning_rate: 1.0e-4
epochs: 1
`;

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'evalgraph-train-cfg-'));
  cpSync(join(REPO, 'configs/models'), join(root, 'configs/models'), { recursive: true });
  cpSync(join(REPO, 'configs/gpus'), join(root, 'configs/gpus'), { recursive: true });
  mkdirSync(join(root, 'configs/train'), { recursive: true });
  mkdirSync(join(root, 'configs/train-data'), { recursive: true });
  cpSync(join(REPO, 'configs/train-data/math-code-sft.yaml'), join(root, 'configs/train-data/mix.yaml'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const run = (yaml: string) => {
  writeFileSync(join(root, 'configs/train/r.yaml'), yaml);
  return () => resolveTrainRun(root, 'r');
};

describe('train configs', () => {
  it('the repository’s train-data and train configs are valid', () => {
    expect(loadNamed(REPO, 'train-data', 'math-code-sft').sources.map((s) => s.name)).toEqual(['gsm8k-train', 'mbpp-train']);
    expect(resolveTrainRun(REPO, 'qwen3-4b-math-code')).toMatchObject({ model: 'qwen3-4b', data: 'math-code-sft' });
  });

  it('fills batch, accumulation and precision from the GPU profile; switching the profile changes only those', () => {
    const h100 = run(RUN)();
    expect(h100).toMatchObject({ batchSize: 8, gradientAccumulation: 4, precision: 'bf16', from: { batch_size: 'gpu profile h100-80gb' } });
    const h200 = run(RUN.replace('h100-80gb', 'h200-141gb'))();
    expect(h200).toMatchObject({ batchSize: 16, gradientAccumulation: 2, precision: 'bf16', from: { batch_size: 'gpu profile h200-141gb' } });
    expect({ ...h200.config, gpu: 'h100-80gb' }).toEqual(h100.config);
  });

  it('a recipe setting beats the profile’s default', () => {
    expect(run(RUN + 'batch_size: 2\nprecision: fp16\n')()).toMatchObject({ batchSize: 2, gradientAccumulation: 4, precision: 'fp16', from: { batch_size: 'recipe', gradient_accumulation: 'gpu profile h100-80gb' } });
  });

  it('names the file, field and fix for each bad reference', () => {
    expect(run(RUN.replace('qwen3-4b', 'qwen3-4')).bind(null)).toThrow(/configs\/train\/r\.yaml:1: model: expected a model config .*found "qwen3-4" — did you mean "qwen3-4b"\?/);
    expect(run(RUN.replace('data: mix', 'data: mixx'))).toThrow(/data: expected a train-data config \(configs\/train-data\/<name>\.yaml: mix\), found "mixx" — did you mean "mix"\?/);
    expect(run(RUN.replace('h100-80gb', 'a100'))).toThrow(/gpu: expected a gpu config/);
  });

  it('rejects both or neither of epochs and max_steps, and unknown keys with a did-you-mean', () => {
    expect(run(RUN + 'max_steps: 10\n')).toThrow(/max_steps: expected exactly one of epochs or max_steps/);
    expect(run(RUN.replace('epochs: 1\n', ''))).toThrow(/epochs: expected exactly one of epochs or max_steps/);
    expect(run(RUN + 'learning_rat: 1\n')).toThrow(/learning_rat: expected no unknown key .* — did you mean "learning_rate"\?/);
    expect(run(RUN.replace('rank: 8', 'rank: 0'))).toThrow(ConfigError);
  });

  it('needs training defaults from the profile or the recipe, and bf16 only where the GPU has it', () => {
    writeFileSync(join(root, 'configs/gpus/t4.yaml'), 'name: NVIDIA T4\nmemory_gib: 15\ncompute_capability: "7.5"\n');
    expect(run(RUN.replace('h100-80gb', 't4'))).toThrow(/batch_size: expected batch_size in the recipe or training\.batch_size in configs\/gpus\/t4\.yaml, found neither/);
    const old = RUN.replace('h100-80gb', 't4') + 'batch_size: 1\ngradient_accumulation: 8\nprecision: bf16\n';
    expect(run(old)).toThrow(/precision: expected fp16 or fp32 on NVIDIA T4 \(compute capability 7\.5; bf16 needs 8\.0\+\), found bf16 \(from the recipe\) — set precision: fp16/);
  });
});

describe('pipeline model entries with adapter:', () => {
  const pipeline = (models: string) => {
    cpSync(join(REPO, 'configs/presets'), join(root, 'configs/presets'), { recursive: true });
    cpSync(join(REPO, 'configs/datasets/gsm8k'), join(root, 'configs/datasets/gsm8k'), { recursive: true });
    writeFileSync(join(root, 'configs/train/r.yaml'), RUN);
    mkdirSync(join(root, 'pipelines/p'), { recursive: true });
    writeFileSync(join(root, 'pipelines/p/pipeline.yaml'), `backend: dummy\ngates: { max_gpu_memory_fraction: null, min_throughput_tok_s: null }\nmodels:\n${models}datasets: [gsm8k]\n`);
    return () => resolvePipeline(root, 'p');
  };

  it('gives the adapter its own variant and cells that name the run', () => {
    const p = pipeline('  - model: qwen3-4b\n  - model: qwen3-4b\n    adapter: r\n')();
    expect(p.variants.map((v) => [v.id, v.adapter])).toEqual([['qwen3-4b', undefined], ['qwen3-4b-r', 'r']]);
    expect(p.cells.map((c) => [c.target, c.adapter])).toEqual([['evaluate-qwen3-4b-gsm8k', undefined], ['evaluate-qwen3-4b-r-gsm8k', 'r']]);
    expect(pipelineAdapters(p)).toEqual(['r']);
    expect(Object.keys(p.cells[0])).not.toContain('adapter');
  });

  it('names an unknown run, a run of another model and an endpoint backend', () => {
    expect(pipeline('  - model: qwen3-4b\n    adapter: rr\n')).toThrow(/pipelines\/p\/pipeline\.yaml:\d+: models\.0\.adapter: expected a LoRA run under configs\/train \(r\), found "rr" — did you mean "r"\?/);
    expect(pipeline('  - model: qwen3-8b\n    adapter: r\n')).toThrow(/models\.0\.adapter: expected a LoRA run of qwen3-8b, found "r", a run of qwen3-4b \(configs\/train\/r\.yaml\) — use model: qwen3-4b/);
    expect(pipeline('  - model: qwen3-4b\n    adapter: r\n    backend: endpoint\n')).toThrow(/models\.0\.adapter: expected a vllm or dummy backend/);
  });
});
