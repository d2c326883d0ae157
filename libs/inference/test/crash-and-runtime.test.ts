import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withRetry } from '../src/retry';
import { shebangPython, vllmRuntimeVersion } from '../src/runtime-version';
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

  const PYTHON = ['/usr/bin/python3', '/usr/local/bin/python3'].find((p) => existsSync(p));
  it.runIf(PYTHON)('reads a Python entry point\'s version from the vllm package metadata, without running `vllm --version`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalgraph-vllm-version-'));
    const saved = process.env.PYTHONPATH;
    try {
      // `--version` of this entry point fails: a version can only come from the metadata.
      const exe = join(dir, 'vllm');
      writeFileSync(exe, `#!${PYTHON}\nimport sys\nsys.exit(3)\n`);
      chmodSync(exe, 0o755);
      const site = join(dir, 'site');
      mkdirSync(join(site, 'vllm-0.11.2.dist-info'), { recursive: true });
      writeFileSync(join(site, 'vllm-0.11.2.dist-info', 'METADATA'), 'Metadata-Version: 2.1\nName: vllm\nVersion: 0.11.2\n');
      process.env.PYTHONPATH = site;
      expect(vllmRuntimeVersion(exe)).toBe('0.11.2');
      // No vllm package for that Python: `--version` is asked, and here it fails.
      delete process.env.PYTHONPATH;
      const bare = join(dir, 'vllm-bare');
      writeFileSync(bare, `#!/usr/bin/env ${PYTHON}\nimport sys\nprint("INFO platform detected")\nprint("0.9.0" if "--version" in sys.argv else "")\n`);
      chmodSync(bare, 0o755);
      expect(vllmRuntimeVersion(bare)).toBe('0.9.0');
    } finally {
      if (saved === undefined) delete process.env.PYTHONPATH;
      else process.env.PYTHONPATH = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the Python of an entry point\'s shebang, and nothing for other launchers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'evalgraph-shebang-'));
    try {
      const at = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
      expect(shebangPython(at('a', '#!/opt/venv/bin/python3.12\nimport vllm\n'))).toEqual(['/opt/venv/bin/python3.12']);
      expect(shebangPython(at('b', '#!/usr/bin/env python3\n'))).toEqual(['python3']);
      expect(shebangPython(at('c', '#!/usr/bin/env -S python3 -u\n'))).toEqual(['python3', '-u']);
      expect(shebangPython(at('d', '#!/bin/sh\n\'\'\'exec\' /long/path/python3 "$0" "$@"\n'))).toBeNull();
      expect(shebangPython(join(STANDIN_DIR, 'vllm'))).toBeNull(); // a Node script
      expect(shebangPython(join(dir, 'missing'))).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('server time-outs come from the environment when set to a positive number', () => {
    expect(envDurationMs('X', { X: '1500' })).toBe(1500);
    expect(envDurationMs('X', { X: '' })).toBeUndefined();
    expect(envDurationMs('X', { X: 'soon' })).toBeUndefined();
    expect(envDurationMs('X', { X: '-5' })).toBeUndefined();
    expect(envDurationMs('X', {})).toBeUndefined();
  });
});
