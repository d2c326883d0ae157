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
  /** Nx's task cache (prepared data, adapters, results), or null where Nx's own default applies. */
  nxCacheDirectory: string | null;
  /**
   * Nx's workspace data (its SQLite index of that cache among them), or null. Nx 20+ finds a cache entry through
   * this index, so a cache folder shared without it is never read by another clone.
   */
  nxWorkspaceDataDirectory: string | null;
  /** An Nx self-hosted remote cache that holds the task outputs, or null. */
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
      nxCacheDirectory: join(config.path, 'nx-cache'),
      nxWorkspaceDataDirectory: join(config.path, 'nx-workspace-data'),
      remoteCacheUrl: null,
      hfHome: caches ? join(config.path, 'hf-home') : null,
      vllmCacheRoot: (model, preset) => (caches ? join(config.path, 'vllm-cache', `${model}--${preset}`.replace(/[^A-Za-z0-9._-]/g, '_')) : null),
    };
  }
  return {
    config,
    downloads: join(local, 'downloads'),
    requestCache: join(local, 'request-cache.sqlite'),
    nxCacheDirectory: null,
    nxWorkspaceDataDirectory: null,
    remoteCacheUrl: config.kind === 'remote-cache' ? config.url : null,
    hfHome: null,
    vllmCacheRoot: () => null,
  };
}

/**
 * The environment Nx must start with for this storage (Nx reads its cache location before any plugin loads, so
 * it comes from `.env.local`, which `evalgraph storage apply` writes).
 */
export function nxStorageEnv(layout: StorageLayout): Record<string, string> {
  if (layout.nxCacheDirectory && layout.nxWorkspaceDataDirectory) return { NX_CACHE_DIRECTORY: layout.nxCacheDirectory, NX_WORKSPACE_DATA_DIRECTORY: layout.nxWorkspaceDataDirectory };
  if (layout.remoteCacheUrl) return { NX_SELF_HOSTED_REMOTE_CACHE_SERVER: layout.remoteCacheUrl };
  return {};
}

/**
 * What is wrong between the storage setting and the environment this Nx process started with, or null: a run whose
 * results would silently go to another place than the setting says must not start.
 */
export function storageMismatch(layout: StorageLayout, env: NodeJS.ProcessEnv = process.env): string | null {
  for (const [name, want] of Object.entries(nxStorageEnv(layout))) {
    if (env[name] !== want) {
      return `${STORAGE_CONFIG}: kind ${layout.config.kind} needs ${name}=${want} in Nx's environment, found ${env[name] === undefined ? 'it unset' : `${name}=${env[name]}`}; run \`npx evalgraph storage apply\` (it writes .env.local, which Nx reads on every command)`;
    }
  }
  return null;
}
