import { describe, expect, it } from 'vitest';
import { CPU_STANDIN_KIND, GPU_STANDIN_KIND, serverKind } from '../src/runtime-version';

describe('serverKind', () => {
  it('labels the GPU stand-in, the CPU stand-in and vLLM apart', () => {
    expect(serverKind('gpu-standin 0.1.0')).toBe('gpu-standin (transformers, random weights; not vLLM)');
    expect(GPU_STANDIN_KIND).toContain('not vLLM');
    expect(serverKind('standin-vllm 1.0.0')).toBe(CPU_STANDIN_KIND);
    expect(serverKind('0.11.0')).toBe('vllm');
    expect(serverKind(null)).toBe('vllm');
  });
});
