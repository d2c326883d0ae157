import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from './load';
import { StorageConfig } from './schemas/storage';

/** The storage config, relative to the workspace root. */
export const STORAGE_CONFIG = 'configs/storage.yaml';

/** Where each thing evalgraph keeps lives, for one workspace and its storage setting. */
export interface StorageLayout {
  config: StorageConfig;
  /** Raw dataset sources, named by sha256. */
  downloads: string;
  /** The SQLite request cache (finished requests, so a re-run never resends them). */
  requestCache: string;
  /** The build tool's task cache (prepared data, adapters, results), or null where the tool's own default applies. */
  taskCacheDirectory: string | null;
  /**
   * Where the build tool keeps its index of that cache, or null: a cache folder shared without its index is never
   * read by another clone (the plugin turns both into Nx's environment).
   */
  taskCacheIndexDirectory: string | null;
  /** A remote task cache server that holds the task outputs, or null. */
  remoteCacheUrl: string | null;
  /** HF_HOME for every server, or null to leave the environment's. */
  hfHome: string | null;
  /** VLLM_CACHE_ROOT of a model's server under a preset (its mode-independent flags), or null. */
  vllmCacheRoot(model: string, preset: string): string | null;
}

/** Reads configs/storage.yaml (absent: the workspace itself); a bad file is a ConfigError naming the field. */
export function loadStorage(root: string): StorageConfig {
  const file = join(root, STORAGE_CONFIG);
  if (!existsSync(file)) return { kind: 'workspace' };
  return loadConfig(file, StorageConfig, root);
}

/** The locations a storage setting gives a workspace. */
export function storageLayout(root: string, config: StorageConfig = loadStorage(root)): StorageLayout {
  const local = join(root, '.evalgraph');
  if (config.kind === 'path') {
    const caches = config.model_caches;
    return {
      config,
      downloads: join(config.path, 'downloads'),
      requestCache: join(config.path, 'request-cache.sqlite'),
      taskCacheDirectory: join(config.path, 'nx-cache'),
      taskCacheIndexDirectory: join(config.path, 'nx-workspace-data'),
      remoteCacheUrl: null,
      hfHome: caches ? join(config.path, 'hf-home') : null,
      vllmCacheRoot: (model, preset) => (caches ? join(config.path, 'vllm-cache', `${model}--${preset}`.replace(/[^A-Za-z0-9._-]/g, '_')) : null),
    };
  }
  return {
    config,
    downloads: join(local, 'downloads'),
    requestCache: join(local, 'request-cache.sqlite'),
    taskCacheDirectory: null,
    taskCacheIndexDirectory: null,
    remoteCacheUrl: config.kind === 'remote-cache' ? config.url : null,
    hfHome: null,
    vllmCacheRoot: () => null,
  };
}
