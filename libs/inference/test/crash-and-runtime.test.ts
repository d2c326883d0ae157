import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withRetry } from '../src/retry';
import { vllmRuntimeVersion } from '../src/runtime-version';
import { envDurationMs } from '../src/server';
import { vllmCacheRuntime } from '../src/vllm-backend';
import { STANDIN_DIR } from './helpers';

describe('crash detection on the last attempt (found by the chaos suite)', () => {
  it('asks shouldStop even when no retry is left, so a crash is not recorded as a failed request', async () => {
    const crash = new Error('server exited');
    const failing = () => Promise.reject(new Error('socket hang up'));
    await expect(withRetry(failing, { maxRetries: 0, isRetryable: () => true, shouldStop: async () => crash })).rejects.toBe(crash);
    await expect(withRetry(failing, { maxRetries: 0, isRetryable: () => true, shouldStop: () => null })).rejects.toThrow('socket hang up');
  });

  it('does not ask shouldStop about errors that are not worth retrying', async () => {
    let asked = 0;
    const bad = new Error('400');
    await expect(withRetry(() => Promise.reject(bad), { maxRetries: 3, isRetryable: () => false, shouldStop: () => (asked++, new Error('x')) })).rejects.toBe(bad);
    expect(asked).toBe(0);
  });
});

describe('runtime identity in request-cache keys', () => {
  it('reads the version `vllm --version` prints (the stand-in: "standin-vllm 1.0.0", as its /version says)', () => {
    expect(vllmRuntimeVersion(join(STANDIN_DIR, 'vllm'))).toBe('standin-vllm 1.0.0');
    expect(vllmCacheRuntime('standin-vllm 1.0.0')).toBe('vllm standin-vllm 1.0.0');
    expect(vllmRuntimeVersion('/nonexistent/vllm')).toBeNull();
    expect(vllmCacheRuntime(null)).toBe('vllm');
  });

  it('server time-outs come from the environment when set to a positive number', () => {
    expect(envDurationMs('X', { X: '1500' })).toBe(1500);
    expect(envDurationMs('X', { X: '' })).toBeUndefined();
    expect(envDurationMs('X', { X: 'soon' })).toBeUndefined();
    expect(envDurationMs('X', { X: '-5' })).toBeUndefined();
    expect(envDurationMs('X', {})).toBeUndefined();
  });
});
