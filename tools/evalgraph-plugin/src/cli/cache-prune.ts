import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { resultFileProblems } from '@evalgraph/analysis';
import type { ResultFileDigest } from '@evalgraph/core';
import { downloadsDir } from '@evalgraph/datasets';
import { GpuLeaseManager, RequestCache, artifactsDir, leaseDbFile, requestCacheFile } from '@evalgraph/inference';
import { corruptRequestCaches, fileEntries, leaseRows, nxEntries, nxLocations, preparedEntries, type CacheItem, type CacheName } from './cache-inventory';
import { diskUsage, formatBytes, listDir } from './disk-usage';
import { runningNx, type NxProcess } from './running-nx';

/** What to prune. */
export interface PruneOptions {
  only: readonly CacheName[];
  /** Only what is older than this many days (undefined: everything the other filters select). */
  olderThanDays?: number;
  /** Request cache: only this model's responses. */
  model?: string;
  /** Nx cache: only entries whose cell files do not match the digests in their own run.json. */
  damaged?: boolean;
  dryRun: boolean;
}

/** What prune did (or would do) to one cache. */
export interface PruneOutcome {
  name: CacheName;
  removed: number;
  bytes: number;
  unit: string;
  /** How, or why nothing was done. */
  note?: string;
  /** Set when something was left alone because it is in use: prune exits 1. */
  kept?: string;
}

/** The Nx commands that empty the task cache: both parts together (see pruneNx). */
export const NX_RESET_ARGS = ['reset', '--only-cache', '--only-workspace-data'];

const DAY_MS = 86_400_000;

function selectByAge(items: CacheItem[], days: number | undefined): CacheItem[] {
  if (days === undefined) return items;
  const cutoff = Date.now() - days * DAY_MS;
  return items.filter((i) => i.mtimeMs < cutoff);
}

const describeNx = (procs: NxProcess[]) => `nx is running in this workspace (${procs.map((p) => `pid ${p.pid}: ${p.command}`).join('; ')}); prune again once it has finished`;

/** Why files that a running nx may read must stay, or null when nothing stops removing them. */
function nxInUse(root: string): string | null {
  const procs = runningNx(root);
  if (procs === null) {
    console.warn('warning: cannot tell whether nx is running here (no /proc); make sure no nx command of this workspace is running');
    return null;
  }
  return procs.length ? describeNx(procs) : null;
}

function removeItems(name: CacheName, unit: string, items: CacheItem[], opts: PruneOptions, inUse: string | null): PruneOutcome {
  const bytes = items.reduce((s, i) => s + i.bytes, 0);
  if (!items.length) return { name, removed: 0, bytes: 0, unit };
  if (inUse && !opts.dryRun) return { name, removed: 0, bytes: 0, unit, kept: `${items.length} ${unit} (${formatBytes(bytes)}): ${inUse}` };
  if (!opts.dryRun) for (const i of items) rmSync(i.path, { recursive: true, force: true });
  return { name, removed: items.length, bytes, unit };
}

function nxBin(root: string): string {
  const pkg = require.resolve('nx/package.json', { paths: [root, __dirname] });
  const bin = (JSON.parse(readFileSync(pkg, 'utf8')) as { bin: { nx: string } }).bin.nx;
  return join(dirname(pkg), bin);
}

/**
 * Nx's task cache is emptied by Nx itself: `nx reset --only-cache --only-workspace-data`. Not --only-cache alone:
 * in nx 23 that leaves the database rows that index the cache folder (nrwl/nx#36898), and every task then
 * reports a cache hit that restores nothing. Nx has no command to drop entries by age; it drops entries unused
 * for 7 days after every run and keeps the cache under nx.json maxCacheSize, so an age is not applied here.
 */
async function pruneNx(root: string, opts: PruneOptions): Promise<PruneOutcome> {
  const unit = 'task results';
  if (opts.olderThanDays !== undefined) {
    return { name: 'nx', removed: 0, bytes: 0, unit, note: 'not by age: Nx drops entries unused for 7 days after each run and keeps the cache under maxCacheSize (nx.json); empty it with: npx evalgraph cache prune --only nx' };
  }
  const loc = await nxLocations(root);
  const entries = nxEntries(loc.cacheDir).length;
  const bytes = diskUsage(loc.cacheDir).bytes + diskUsage(loc.workspaceDataDir).bytes;
  const how = `npx nx ${NX_RESET_ARGS.join(' ')}`;
  if (!existsSync(loc.cacheDir) && !existsSync(loc.workspaceDataDir)) return { name: 'nx', removed: 0, bytes: 0, unit };
  const inUse = nxInUse(root);
  if (inUse && !opts.dryRun) return { name: 'nx', removed: 0, bytes: 0, unit, kept: `${entries} ${unit} (${formatBytes(bytes)}): ${inUse}` };
  if (opts.dryRun) return { name: 'nx', removed: entries, bytes, unit, note: `with: ${how}` };
  const r = spawnSync(process.execPath, [nxBin(root), ...NX_RESET_ARGS], { cwd: root, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' } });
  if (r.status !== 0) throw new Error(`${how} failed (exit ${r.status ?? r.signal}):\n${r.stdout}${r.stderr}`);
  return { name: 'nx', removed: entries, bytes, unit, note: `with: ${how}` };
}

function pruneRequests(root: string, opts: PruneOptions): PruneOutcome {
  const file = requestCacheFile(root);
  const corrupt = selectByAge(corruptRequestCaches(root), opts.olderThanDays);
  let removed = 0;
  let bytes = 0;
  if (existsSync(file)) {
    // SQLite in WAL mode: cells running now keep reading and writing; a response deleted under one is sent again.
    const c = RequestCache.open(file);
    try {
      const filter = { olderThanDays: opts.olderThanDays, model: opts.model };
      const m = c.countMatching(filter);
      bytes += m.bytes;
      removed = opts.dryRun ? m.entries : c.prune({ ...filter, vacuum: true });
    } finally {
      c.close();
    }
  }
  if (opts.model === undefined) {
    bytes += corrupt.reduce((s, i) => s + i.bytes, 0);
    if (!opts.dryRun) for (const i of corrupt) rmSync(i.path, { force: true });
  }
  const extra = opts.model === undefined && corrupt.length ? `and ${corrupt.length} corrupted copies moved aside earlier` : undefined;
  return { name: 'requests', removed, bytes, unit: 'responses', ...(extra && { note: extra }) };
}

/** A folder's run.json files, at any depth (a cache entry holds its outputs under their workspace paths). */
function runFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of listDir(dir)) {
    const p = join(dir, name);
    if (name === 'run.json') out.push(p);
    else if (lstatSync(p).isDirectory()) out.push(...runFilesUnder(p));
  }
  return out;
}

/** Why a cache entry's cell is damaged (its files against its own run.json's digests), or null when whole. */
function entryDamage(entry: string): string | null {
  for (const runFile of runFilesUnder(join(entry, 'results'))) {
    let files: Record<string, ResultFileDigest> | undefined;
    try {
      files = (JSON.parse(readFileSync(runFile, 'utf8')) as { files?: Record<string, ResultFileDigest> }).files;
    } catch {
      return `${relative(entry, runFile)} is not valid JSON`;
    }
    const problems = files ? resultFileProblems(dirname(runFile), files) : [];
    if (problems.length) return `${relative(entry, dirname(runFile))}: ${problems.join('; ')}`;
  }
  return null;
}

/**
 * Nx entries holding a damaged cell are removed one by one: Nx has no command for one entry, re-running with
 * --skip-nx-cache does not rewrite it (nx 23 stores nothing from such a run), and Nx takes a missing entry
 * folder as a miss, so the next run recomputes the cell and stores it whole.
 */
async function pruneDamagedNx(root: string, opts: PruneOptions): Promise<PruneOutcome> {
  const unit = 'damaged task results';
  const loc = await nxLocations(root);
  const damaged = nxEntries(loc.cacheDir)
    .map((e) => ({ ...e, why: entryDamage(e.path) }))
    .filter((e) => e.why !== null);
  const bytes = damaged.reduce((s, e) => s + e.bytes, 0);
  const list = damaged.map((e) => `${basename(e.path)} (${e.why})`).join('; ');
  if (!damaged.length) return { name: 'nx', removed: 0, bytes: 0, unit };
  const inUse = nxInUse(root);
  if (inUse && !opts.dryRun) return { name: 'nx', removed: 0, bytes: 0, unit, kept: `${damaged.length} ${unit} (${formatBytes(bytes)}): ${inUse}` };
  if (!opts.dryRun) {
    for (const e of damaged) {
      rmSync(e.path, { recursive: true, force: true });
      rmSync(join(loc.cacheDir, 'terminalOutputs', basename(e.path)), { force: true });
    }
  }
  return { name: 'nx', removed: damaged.length, bytes, unit, note: list };
}

/** Stale lease rows (holder and server gone) go; a live lease is never touched, whatever its age. */
function pruneLeases(root: string, opts: PruneOptions): PruneOutcome {
  const rows = leaseRows(root);
  if (!rows) return { name: 'leases', removed: 0, bytes: 0, unit: 'stale leases' };
  let stale = rows.stale.length;
  if (!opts.dryRun && stale) {
    const before = rows.live.length + rows.stale.length;
    const m = new GpuLeaseManager(leaseDbFile(root));
    try {
      stale = before - m.holders().length; // holders() reaps dead holders' rows, as every acquisition does
    } finally {
      m.close();
    }
  }
  const live = rows.live.length;
  return { name: 'leases', removed: stale, bytes: 0, unit: 'stale leases', ...(live && { note: `${live} live lease${live === 1 ? '' : 's'} kept` }) };
}

/** Prunes the chosen caches, each by its own rule; nothing in use is removed. */
export async function pruneCaches(root: string, opts: PruneOptions): Promise<PruneOutcome[]> {
  const out: PruneOutcome[] = [];
  for (const name of opts.only) {
    switch (name) {
      case 'nx':
        out.push(opts.damaged ? await pruneDamagedNx(root, opts) : await pruneNx(root, opts));
        break;
      case 'datasets':
        // A dataset removed here is restored by Nx from its task cache, or prepared again, on the next run.
        out.push(removeItems(name, 'prepared datasets', selectByAge(preparedEntries(root), opts.olderThanDays), opts, nxInUse(root)));
        break;
      case 'downloads':
        out.push(removeItems(name, 'source files', selectByAge(fileEntries(downloadsDir(root)), opts.olderThanDays), opts, nxInUse(root)));
        break;
      case 'requests':
        out.push(pruneRequests(root, opts));
        break;
      case 'leases':
        out.push(pruneLeases(root, opts));
        break;
      case 'artifacts': {
        // A live vLLM server may have the filter's Python module and id list loaded from here.
        const live = leaseRows(root)?.live.length ?? 0;
        const inUse = nxInUse(root) ?? (live ? `${live} GPU lease${live === 1 ? ' is' : 's are'} live (a vLLM server may be reading them)` : null);
        out.push(removeItems(name, 'files', selectByAge(fileEntries(artifactsDir(root)), opts.olderThanDays), opts, inUse));
        break;
      }
    }
  }
  return out;
}
