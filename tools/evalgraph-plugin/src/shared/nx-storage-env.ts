import { STORAGE_CONFIG, type StorageLayout } from '@evalgraph/core';

/**
 * The environment Nx must start with for this storage (Nx reads its cache location before any plugin loads, so
 * it comes from `.env.local`, which `evalgraph storage apply` writes).
 */
export function nxStorageEnv(layout: StorageLayout): Record<string, string> {
  if (layout.taskCacheDirectory && layout.taskCacheIndexDirectory) {
    // Nx 20+ finds a cache entry through its SQLite index in the workspace data folder: both must move.
    return { NX_CACHE_DIRECTORY: layout.taskCacheDirectory, NX_WORKSPACE_DATA_DIRECTORY: layout.taskCacheIndexDirectory };
  }
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
