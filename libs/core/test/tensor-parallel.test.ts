import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, GpuProfile, ModelConfig, loadNamed, planTensorParallel, resolvePipeline } from '../src';

const REPO = resolve(__dirname, '../../..');
const h100 = (count: number) => GpuProfile.parse({ ...loadNamed(REPO, 'gpu', 'h100-80gb'), count });
const balanced = loadNamed(REPO, 'preset', 'balanced');
const q14 = loadNamed(REPO, 'model', 'qwen3-14b');
// Qwen3-32B's shape: 61 GiB of BF16 weights leave no room for one 40k-token sequence on one H100 at 0.85.
const q32 = ModelConfig.parse({ ...q14, architecture: { ...q14.architecture, params_b: 32.8, layers: 64, attention_heads: 64, kv_heads: 8 } });

describe('tensor parallel: how many GPUs one server takes', () => {
  it('one GPU when the model fits it; the smallest power of two that fits when not, within the profile', () => {
    const p14 = planTensorParallel(q14, balanced, h100(8));
    expect([p14.size, p14.source, p14.problem]).toEqual([1, 'default', undefined]);
    const p = planTensorParallel(q32, balanced, h100(8));
    expect([p.size, p.source, p.problem]).toEqual([2, 'memory', undefined]);
    expect(p.fit.fits).toBe(true);
    const one = planTensorParallel(q32, balanced, h100(1));
    expect(one.problem).toMatch(/exceed the budget|fewer than one sequence/);
  });

  it('a configured tensor_parallel_size wins, and more GPUs than the profile has is a problem, not a wait', () => {
    const tp2 = ModelConfig.parse({ ...q14, vllm_args: { tensor_parallel_size: 2 } });
    const p = planTensorParallel(tp2, balanced, h100(8));
    expect([p.size, p.source, p.problem]).toEqual([2, 'config', undefined]);
    expect(planTensorParallel(tp2, balanced, h100(1)).problem).toBe('tensor_parallel_size 2 needs 2 GPUs; the profile has count 1');
  });

  it('the pipeline check names the pipeline, the model entry and the fix before any GPU work', () => {
    const root = mkdtempSync(join(tmpdir(), 'evalgraph-tp-'));
    try {
      for (const d of ['models/qwen3-14b', 'presets', 'gpus', 'datasets/gsm8k']) cpSync(join(REPO, 'configs', d), join(root, 'configs', d), { recursive: true });
      writeFileSync(join(root, 'configs/models/qwen3-14b/model.yaml'), `${readFileSync(join(REPO, 'configs/models/qwen3-14b/model.yaml'), 'utf8')}\nvllm_args:\n  tensor_parallel_size: 2\n`);
      mkdirSync(join(root, 'pipelines/p'), { recursive: true });
      writeFileSync(join(root, 'pipelines/p/pipeline.yaml'), 'gpu: h100-80gb\npreset: balanced\nbackend: vllm\nmodels:\n  - model: qwen3-14b\ndatasets: [gsm8k]\n');
      let err: unknown;
      try {
        resolvePipeline(root, 'p');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const line = (err as Error).message.split('\n').find((l) => l.includes(': models.0: '));
      expect(line, (err as Error).message).toMatch(/^pipelines\/p\/pipeline\.yaml.*tensor_parallel_size 2 needs 2 GPUs.*count >= 2/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
