import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { storageLayout } from '@evalgraph/core';
import { withStorageBlock } from '../src/cli/storage';
import { nxStorageEnv, storageMismatch } from '../src/shared/nx-storage-env';

describe('evalgraph storage apply: its block of .env.local', () => {
  it('adds the block after what the file had, and replaces it on the next apply without touching the rest', () => {
    const first = withStorageBlock('MY_VAR=1\n', { NX_CACHE_DIRECTORY: '/v/nx-cache' });
    expect(first).toMatch(/^MY_VAR=1\n\n# evalgraph storage .*\nNX_CACHE_DIRECTORY=\/v\/nx-cache\n# end evalgraph storage\n$/);
    const second = withStorageBlock(`${first}OTHER=2\n`, { NX_CACHE_DIRECTORY: '/w/nx-cache' });
    expect(second).toContain('MY_VAR=1');
    expect(second).toContain('OTHER=2');
    expect(second).toContain('NX_CACHE_DIRECTORY=/w/nx-cache');
    expect(second).not.toContain('/v/nx-cache');
    expect(second.match(/# evalgraph storage/g)).toHaveLength(1);
  });

  it('kind workspace removes the block', () => {
    const withBlock = withStorageBlock('A=1\n', { NX_CACHE_DIRECTORY: '/v' });
    expect(withStorageBlock(withBlock, {})).toBe('A=1\n');
  });
});

describe("the storage setting as Nx's environment", () => {
  const layout = (yaml: string) => {
    const root = mkdtempSync(join(tmpdir(), 'evalgraph-nx-storage-'));
    mkdirSync(join(root, 'configs'));
    writeFileSync(join(root, 'configs/storage.yaml'), yaml);
    try {
      return storageLayout(root);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };

  it('kind path moves the cache and its index; a run whose Nx started elsewhere is stopped with the fix', () => {
    const l = layout('kind: path\npath: /mnt/persist/eg\n');
    expect(nxStorageEnv(l)).toEqual({ NX_CACHE_DIRECTORY: '/mnt/persist/eg/nx-cache', NX_WORKSPACE_DATA_DIRECTORY: '/mnt/persist/eg/nx-workspace-data' });
    expect(storageMismatch(l, nxStorageEnv(l))).toBeNull();
    expect(storageMismatch(l, {})).toMatch(/^configs\/storage\.yaml: kind path needs NX_CACHE_DIRECTORY=\/mnt\/persist\/eg\/nx-cache .*found it unset; run `npx evalgraph storage apply`/);
  });

  it('kind remote-cache names the server; kind workspace needs nothing', () => {
    expect(nxStorageEnv(layout('kind: remote-cache\nurl: http://cache-host:8787\n'))).toEqual({ NX_SELF_HOSTED_REMOTE_CACHE_SERVER: 'http://cache-host:8787' });
    const ws = layout('kind: workspace\n');
    expect(nxStorageEnv(ws)).toEqual({});
    expect(storageMismatch(ws, {})).toBeNull();
  });
});
