import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { isUserFacingError, storageLayout, STORAGE_CONFIG, type StorageLayout } from '@evalgraph/core';
import { nxStorageEnv, storageMismatch } from '../shared/nx-storage-env';
import { reportError } from '../shared/report-error';

export const STORAGE_USAGE = `usage: evalgraph storage show     where prepared data, adapters, results, the request cache and model caches live
       evalgraph storage apply    write what Nx must start with for ${STORAGE_CONFIG} into .env.local`;

/** The file Nx reads on every command (after the shell's own variables) and evalgraph owns one block of. */
const ENV_FILE = '.env.local';
const BEGIN = '# evalgraph storage (written by `npx evalgraph storage apply` from configs/storage.yaml; do not edit)';
const END = '# end evalgraph storage';

/** `.env.local` with evalgraph's block replaced by `vars` (the rest of the file kept as it was). */
export function withStorageBlock(text: string, vars: Record<string, string>): string {
  const lines = text.split('\n');
  const start = lines.indexOf(BEGIN);
  const end = start < 0 ? -1 : lines.indexOf(END, start);
  const kept = start < 0 || end < 0 ? lines : [...lines.slice(0, start), ...lines.slice(end + 1)];
  const body = kept.join('\n').replace(/\n+$/, '');
  const entries = Object.entries(vars);
  const block = entries.length ? [BEGIN, ...entries.map(([k, v]) => `${k}=${v}`), END].join('\n') : '';
  return [body, block].filter(Boolean).join('\n\n') + '\n';
}

function describe(layout: StorageLayout): string[] {
  const c = layout.config;
  const nx = layout.taskCacheDirectory ?? (layout.remoteCacheUrl ? `.nx/cache, shared through the remote cache ${layout.remoteCacheUrl}` : '.nx/cache');
  return [
    `storage: ${c.kind}${c.kind === 'path' ? ` ${c.path}` : ''}${c.kind === 'remote-cache' ? ` ${c.url}` : ''} (${STORAGE_CONFIG}${c.kind === 'workspace' ? ', absent or kind workspace' : ''})`,
    `  prepared data, adapters, results   Nx task cache: ${nx}${layout.taskCacheIndexDirectory ? ` (its index: ${layout.taskCacheIndexDirectory})` : ''}`,
    `  dataset downloads                  ${layout.downloads}`,
    `  request cache                      ${layout.requestCache}`,
    `  model weights (HF_HOME)            ${layout.hfHome ?? "the server environment's (unchanged)"}`,
    `  vLLM compile caches                ${layout.vllmCacheRoot('<model>', '<preset>') ?? "the server environment's VLLM_CACHE_ROOT (unchanged)"}`,
  ];
}

/** `evalgraph storage show|apply`. */
export function storage(root: string, sub: string | undefined): number {
  try {
    const layout = storageLayout(root);
    if (sub === 'show' || sub === undefined) {
      for (const l of describe(layout)) console.log(l);
      // Nx reads .env.local when it starts (a variable set in the shell wins); this CLI is not started by Nx.
      const file = join(root, ENV_FILE);
      const mismatch = storageMismatch(layout, { ...(existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {}), ...process.env });
      if (mismatch) console.log(`\nnot applied: ${mismatch}`);
      return 0;
    }
    if (sub === 'apply') {
      const file = join(root, ENV_FILE);
      const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
      const vars = nxStorageEnv(layout);
      const after = withStorageBlock(before, vars);
      if (after !== before && !(before === '' && !Object.keys(vars).length)) {
        writeFileSync(`${file}.tmp`, after);
        renameSync(`${file}.tmp`, file);
      }
      if (layout.config.kind === 'path') for (const dir of [layout.downloads, layout.taskCacheDirectory!, layout.taskCacheIndexDirectory!]) mkdirSync(dir, { recursive: true });
      const set = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
      console.log(set.length ? `${ENV_FILE}: ${set.join(' ')} (Nx reads it on every command; a variable set in the shell wins)` : `${ENV_FILE}: no storage variables (kind workspace)`);
      if (layout.config.kind === 'remote-cache') console.log('the access token stays in your environment: export NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN=... (never in a file evalgraph writes)');
      for (const l of describe(layout)) console.log(l);
      return 0;
    }
    console.error(`unknown storage command "${sub}"\n${STORAGE_USAGE}`);
    return 2;
  } catch (e) {
    if (!isUserFacingError(e)) throw e;
    reportError(e);
    return 1;
  }
}
