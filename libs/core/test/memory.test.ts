import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFit, kvBytesPerToken, listConfigs, loadNamed, weightBytes } from '../src';

const REPO = resolve(__dirname, '../../..');

describe('memory fit', () => {
  it('KV bytes per token = 2 × layers × KV heads × head dim × dtype bytes', () => {
    const q3 = loadNamed(REPO, 'model', 'qwen3-8b').architecture;
    expect(kvBytesPerToken(q3, 'auto')).toBe(2 * 36 * 8 * 128 * 2); // 147456, GQA
    expect(kvBytesPerToken(q3, 'fp8')).toBe(2 * 36 * 8 * 128 * 1);
    const q1 = loadNamed(REPO, 'model', 'qwen-14b-chat').architecture;
    expect(kvBytesPerToken(q1, 'auto')).toBe(2 * 40 * 40 * 128 * 2); // 819200, full multi-head attention
    expect(weightBytes(q3)).toBeCloseTo(8.19e9 * 2);
  });

  it('max concurrent sequences follow from the KV budget', () => {
    const arch = loadNamed(REPO, 'model', 'qwen3-14b').architecture;
    const preset = loadNamed(REPO, 'preset', 'balanced');
    const gpu = loadNamed(REPO, 'gpu', 'h100-80gb');
    const fit = checkFit(arch, preset, gpu);
    const kvGiB = 79.6 * 0.85 - (14.77e9 * 2) / 1024 ** 3 - 2.5;
    expect(fit.kvCacheGiB).toBeCloseTo(kvGiB, 6);
    expect(fit.maxConcurrentSequences).toBe(Math.floor((kvGiB * 1024 ** 3) / (2 * 40 * 8 * 128 * 2 * 40960)));
    expect(fit.fits).toBe(true);
  });

  it('a model that does not fit says so with the numbers', () => {
    const arch = loadNamed(REPO, 'model', 'qwen3-14b').architecture;
    const preset = loadNamed(REPO, 'preset', 'memory-optimized');
    const fit = checkFit(arch, preset, { name: 'small', memory_gib: 24, count: 1, compute_capability: '8.9', fp8: true });
    expect(fit.fits).toBe(false);
    expect(fit.reason).toMatch(/weights 27\.5 GiB \+ overhead 2\.5 GiB exceed the budget 16\.8 GiB/);
  });

  it('every model × preset × GPU profile of the plan fits (the 18 H100 validations among them)', () => {
    let h100 = 0;
    for (const m of listConfigs(REPO, 'model')) {
      const arch = loadNamed(REPO, 'model', m).architecture;
      for (const p of listConfigs(REPO, 'preset')) {
        for (const g of listConfigs(REPO, 'gpu')) {
          const fit = checkFit(arch, loadNamed(REPO, 'preset', p), loadNamed(REPO, 'gpu', g));
          expect(fit.fits, `${m} × ${p} × ${g}: ${fit.reason}`).toBe(true);
          expect(fit.maxConcurrentSequences).toBeGreaterThanOrEqual(1);
          if (g === 'h100-80gb' && m !== 'qwen3-4b') h100++;
        }
      }
    }
    expect(h100).toBe(18);
  });
});
