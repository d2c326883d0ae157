import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadStorage, storageLayout } from '@evalgraph/core';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function workspace(storageYaml?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'evalgraph-storage-unit-'));
  dirs.push(root);
  if (storageYaml !== undefined) {
    mkdirSync(join(root, 'configs'), { recursive: true });
    writeFileSync(join(root, 'configs/storage.yaml'), storageYaml);
  }
  return root;
}

describe('configs/storage.yaml', () => {
  it('absent: everything stays in the workspace and Nx keeps its defaults', () => {
    const root = workspace();
    const l = storageLayout(root);
    expect(l.config).toEqual({ kind: 'workspace' });
    expect([l.downloads, l.requestCache]).toEqual([join(root, '.evalgraph/downloads'), join(root, '.evalgraph/request-cache.sqlite')]);
    expect([l.taskCacheDirectory, l.hfHome, l.vllmCacheRoot('qwen3-8b', 'balanced')]).toEqual([null, null, null]);
    expect([l.taskCacheIndexDirectory, l.remoteCacheUrl]).toEqual([null, null]);
  });

  it('kind path puts downloads, the request cache, Nx cache and index, HF_HOME and one vLLM cache per model and preset there', () => {
    const l = storageLayout(workspace('kind: path\npath: /mnt/persist/eg\n'));
    expect(l.downloads).toBe('/mnt/persist/eg/downloads');
    expect(l.requestCache).toBe('/mnt/persist/eg/request-cache.sqlite');
    expect([l.taskCacheDirectory, l.taskCacheIndexDirectory]).toEqual(['/mnt/persist/eg/nx-cache', '/mnt/persist/eg/nx-workspace-data']);
    expect(l.hfHome).toBe('/mnt/persist/eg/hf-home');
    expect(l.vllmCacheRoot('qwen3-8b', 'balanced')).toBe('/mnt/persist/eg/vllm-cache/qwen3-8b--balanced');
    const noModelCaches = storageLayout(workspace('kind: path\npath: /mnt/persist/eg\nmodel_caches: false\n'));
    expect([noModelCaches.hfHome, noModelCaches.vllmCacheRoot('m', 'p')]).toEqual([null, null]);
  });

  it('kind remote-cache names the server Nx must use; the token is never part of the setting', () => {
    const l = storageLayout(workspace('kind: remote-cache\nurl: http://cache-host:8787\n'));
    expect(l.remoteCacheUrl).toBe('http://cache-host:8787');
    expect(l.requestCache.endsWith('.evalgraph/request-cache.sqlite')).toBe(true);
    expect(() => loadStorage(workspace('kind: remote-cache\nurl: http://h:1\ntoken: s3cret\n'))).toThrow(ConfigError);
  });

  it('bad input names the file, the field and what it expects', () => {
    const err = (yaml: string) => {
      try {
        loadStorage(workspace(yaml));
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    };
    expect(err('kind: path\npath: data/store\n')).toMatch(/configs\/storage\.yaml.*path.*an absolute path/s);
    expect(err('kind: disk\n')).toMatch(/configs\/storage\.yaml.*kind/s);
    expect(err('kind: path\n')).toMatch(/configs\/storage\.yaml.*path/s);
  });
});
