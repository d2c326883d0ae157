import { existsSync, readFileSync, realpathSync, statfsSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { downloadsDir, preparedDir } from '@evalgraph/datasets';
import { RequestCache, artifactsDir, leaseDbFile, readLeases, requestCacheFile, type RequestCacheStats } from '@evalgraph/inference';
import { storageLayout } from '@evalgraph/core';
import { diskUsage, formatBytes, listDir } from './disk-usage';

/** The caches evalgraph keeps, by the name `--only` takes. */
export const CACHE_NAMES = ['nx', 'datasets', 'downloads', 'requests', 'leases', 'artifacts'] as const;
export type CacheName = (typeof CACHE_NAMES)[number];

/** One thing a cache holds that prune can remove on its own (a task result, a prepared dataset, a file). */
export interface CacheItem {
  path: string;
  bytes: number;
  /** Last modification, ms since the epoch: what `--older-than-days` compares. */
  mtimeMs: number;
}

/** What `cache stats` reports of one cache. */
export interface CacheReport {
  name: CacheName;
  title: string;
  /** Where it lives (absolute). */
  location: string;
  bytes: number;
  entries: number;
  /** What an entry is ("task results", "responses", ...). */
  unit: string;
  oldest: string | null;
  newest: string | null;
  /** Further facts, one line each. */
  notes: string[];
}

/** Where Nx keeps its task cache and its workspace data for this workspace, as Nx itself resolves them. */
export interface NxLocations {
  cacheDir: string;
  workspaceDataDir: string;
  /** nx.json `maxCacheSize` / NX_MAX_CACHE_SIZE as written, or null for Nx's default (10% of the disk). */
  maxCacheSize: string | null;
}

function readNxJson(root: string): { cacheDirectory?: string; maxCacheSize?: string | number } {
  try {
    return JSON.parse(readFileSync(join(root, 'nx.json'), 'utf8')) as { cacheDirectory?: string; maxCacheSize?: string | number };
  } catch {
    return {};
  }
}

const same = (a: string, b: string) => {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
};

/**
 * Nx's cache folder from Nx itself (`cacheDir` of @nx/devkit, which honours NX_CACHE_DIRECTORY, nx.json
 * cacheDirectory and Nx's shared per-user default) when Nx resolved this workspace; else the same rules read here.
 */
export async function nxLocations(root: string): Promise<NxLocations> {
  const nxJson = readNxJson(root);
  const abs = (p: string) => (isAbsolute(p) ? p : join(root, p));
  let cacheDir = abs(process.env.NX_CACHE_DIRECTORY ?? nxJson.cacheDirectory ?? '.nx/cache');
  try {
    const devkit = await import('@nx/devkit');
    if (same(devkit.workspaceRoot, root)) cacheDir = devkit.cacheDir;
  } catch {
    // Nx is not installed beside this workspace: the rules above are Nx's for a configured cacheDirectory
  }
  // This CLI is not started by Nx, so .env.local (where `evalgraph storage apply` puts NX_CACHE_DIRECTORY) is unread.
  if (!process.env.NX_CACHE_DIRECTORY) {
    const fromStorage = storageNxCache(root);
    if (fromStorage) cacheDir = fromStorage;
  }
  const workspaceDataDir = abs(process.env.NX_WORKSPACE_DATA_DIRECTORY ?? process.env.NX_PROJECT_GRAPH_CACHE_DIRECTORY ?? storageNxData(root) ?? '.nx/workspace-data');
  const max = process.env.NX_MAX_CACHE_SIZE ?? nxJson.maxCacheSize;
  return { cacheDir, workspaceDataDir, maxCacheSize: max === undefined ? null : String(max) };
}

function storageNxCache(root: string): string | null {
  try {
    return storageLayout(root).taskCacheDirectory;
  } catch {
    return null; // a broken configs/storage.yaml is reported by check and `evalgraph storage show`
  }
}

function storageNxData(root: string): string | undefined {
  try {
    return storageLayout(root).taskCacheIndexDirectory ?? undefined;
  } catch {
    return undefined;
  }
}

/** Nx names a cache entry by its task hash, a string of digits (its terminal outputs live in terminalOutputs/). */
const NX_ENTRY = /^\d+$/;

/** Task results in Nx's cache folder, one item per task hash. */
export function nxEntries(cacheDir: string): CacheItem[] {
  return listDir(cacheDir)
    .filter((n) => NX_ENTRY.test(n))
    .map((n) => {
      const u = diskUsage(join(cacheDir, n));
      return { path: join(cacheDir, n), bytes: u.bytes, mtimeMs: u.newestMs };
    });
}

/** Prepared datasets, one item per dataset folder. */
export function preparedEntries(root: string): CacheItem[] {
  const dir = dirname(preparedDir(root, 'x'));
  return listDir(dir).map((n) => {
    const u = diskUsage(join(dir, n));
    return { path: join(dir, n), bytes: u.bytes, mtimeMs: u.newestMs };
  });
}

/** Files directly in a folder, one item each. */
export function fileEntries(dir: string): CacheItem[] {
  return listDir(dir).map((n) => {
    const u = diskUsage(join(dir, n));
    return { path: join(dir, n), bytes: u.bytes, mtimeMs: u.newestMs };
  });
}

/** Copies of a corrupted request cache that RequestCache.open moved aside: never read again. */
export function corruptRequestCaches(root: string): CacheItem[] {
  const file = requestCacheFile(root);
  return fileEntries(dirname(file)).filter((i) => i.path.startsWith(`${file}.corrupt-`));
}

/** Request-cache statistics without creating a cache where there is none. */
export function requestCacheStats(root: string): RequestCacheStats | null {
  const file = requestCacheFile(root);
  if (!existsSync(file)) return null;
  const c = RequestCache.open(file);
  try {
    return c.stats();
  } finally {
    c.close();
  }
}

/** Live and stale GPU lease holders, read without reaping (see readLeases). */
export const leaseRows = (root: string) => readLeases(leaseDbFile(root));

const iso = (ms: number) => new Date(ms).toISOString();

function span(items: CacheItem[]): { oldest: string | null; newest: string | null } {
  if (!items.length) return { oldest: null, newest: null };
  const times = items.map((i) => i.mtimeMs);
  return { oldest: iso(Math.min(...times)), newest: iso(Math.max(...times)) };
}

const sum = (items: CacheItem[]) => items.reduce((s, i) => s + i.bytes, 0);

/** Nx's default cap: 10% of the disk that holds the cache (Nx's `getDefaultMaxCacheSize`). */
function defaultMaxCacheBytes(cacheDir: string): number | null {
  for (let d = cacheDir; ; d = dirname(d)) {
    if (existsSync(d)) {
      const s = statfsSync(d);
      return Math.floor(s.blocks * s.bsize * 0.1);
    }
    if (dirname(d) === d) return null;
  }
}

/** Every cache of the workspace with size, entries and location; creates no cache that is not there and removes nothing. */
export async function inventory(root: string): Promise<CacheReport[]> {
  const rel = (p: string) => (p.startsWith(root + '/') ? relative(root, p) : p);
  const nx = await nxLocations(root);
  const nxItems = nxEntries(nx.cacheDir);
  const nxAll = diskUsage(nx.cacheDir).bytes;
  const maxBytes = nx.maxCacheSize === null ? defaultMaxCacheBytes(nx.cacheDir) : null;
  const reports: CacheReport[] = [
    {
      name: 'nx',
      title: 'Nx task cache',
      location: nx.cacheDir,
      bytes: nxAll,
      entries: nxItems.length,
      unit: 'task results',
      ...span(nxItems),
      notes: [
        `Nx drops entries unused for 7 days after each run and keeps the cache under maxCacheSize (${nx.maxCacheSize ?? `Nx's default, 10% of the disk${maxBytes === null ? '' : `: ${formatBytes(maxBytes)}`}`})`,
        `its index and project graph: ${rel(nx.workspaceDataDir)} (${formatBytes(diskUsage(nx.workspaceDataDir).bytes)})`,
      ],
    },
  ];
  const prepared = preparedEntries(root);
  reports.push({ name: 'datasets', title: 'prepared datasets', location: dirname(preparedDir(root, 'x')), bytes: sum(prepared), entries: prepared.length, unit: 'datasets', ...span(prepared), notes: [] });
  const downloads = fileEntries(downloadsDir(root));
  reports.push({ name: 'downloads', title: 'dataset downloads', location: downloadsDir(root), bytes: sum(downloads), entries: downloads.length, unit: 'source files', ...span(downloads), notes: [] });

  const rc = requestCacheStats(root);
  const corrupt = corruptRequestCaches(root);
  reports.push({
    name: 'requests',
    title: 'request cache',
    location: requestCacheFile(root),
    bytes: (rc?.fileBytes ?? 0) + sum(corrupt),
    entries: rc?.entries ?? 0,
    unit: 'responses',
    oldest: rc?.models.map((m) => m.oldest).sort()[0] ?? null,
    newest: rc?.models.map((m) => m.newest).sort().at(-1) ?? null,
    notes: [
      ...(rc ? rc.models.map((m) => `${m.model}: ${m.entries} responses, ${formatBytes(m.bytes)}, ${m.oldest.slice(0, 10)} … ${m.newest.slice(0, 10)}`) : ['none yet']),
      ...(corrupt.length ? [`${corrupt.length} corrupted copies moved aside (${formatBytes(sum(corrupt))}), never read again`] : []),
    ],
  });

  const leases = leaseRows(root);
  const leaseFile = leaseDbFile(root);
  reports.push({
    name: 'leases',
    title: 'GPU leases',
    location: leaseFile,
    bytes: diskUsage(dirname(leaseFile)).bytes,
    entries: leases?.live.length ?? 0,
    unit: 'live leases',
    oldest: leases?.live.map((h) => h.started).sort()[0] ?? null,
    newest: leases?.live.map((h) => h.started).sort().at(-1) ?? null,
    notes: [
      ...(leases?.live ?? []).map((h) => `${h.key}: ${h.gib} GiB on GPU ${h.devices.join(',')}, pid ${h.pid} on ${h.host}, since ${h.started}`),
      ...(leases?.stale.length ? [`${leases.stale.length} stale (holder gone): removed by the next lease taken, or by cache prune`] : []),
    ],
  });

  const artifacts = fileEntries(artifactsDir(root));
  reports.push({ name: 'artifacts', title: 'English-filter artifacts', location: artifactsDir(root), bytes: sum(artifacts), entries: artifacts.length, unit: 'files', ...span(artifacts), notes: [] });
  return reports;
}
