import { relative } from 'node:path';
import { CACHE_NAMES, inventory, type CacheName, type CacheReport } from './cache-inventory';
import { pruneCaches, type PruneOptions } from './cache-prune';
import { formatBytes } from './disk-usage';

export const CACHE_USAGE = `usage: evalgraph cache stats [--json]
       evalgraph cache prune (--older-than-days N | --only NAME[,NAME] | --model NAME | --damaged | --all) [--dry-run]
  caches: ${CACHE_NAMES.join(', ')}`;

class UsageError extends Error {}

function parsePrune(rest: string[]): PruneOptions {
  const only = new Set<CacheName>();
  let days: number | undefined;
  let model: string | undefined;
  let dryRun = false;
  let all = false;
  let damaged = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${a}: expected a value`);
      return v;
    };
    if (a === '--dry-run') dryRun = true;
    else if (a === '--damaged') damaged = true;
    else if (a === '--all') all = true;
    else if (a === '--model') model = value();
    else if (a === '--older-than-days') {
      const v = value();
      if (!/^\d+(\.\d+)?$/.test(v)) throw new UsageError(`--older-than-days: expected a number of days, found "${v}"`);
      days = Number(v);
    } else if (a === '--only') {
      for (const n of value().split(',')) {
        if (!(CACHE_NAMES as readonly string[]).includes(n)) throw new UsageError(`--only: unknown cache "${n}"; caches: ${CACHE_NAMES.join(', ')}`);
        only.add(n as CacheName);
      }
    } else throw new UsageError(`unknown option "${a}"`);
  }
  if (!all && !damaged && days === undefined && model === undefined && only.size === 0) {
    throw new UsageError('cache prune removes nothing without a choice: give --older-than-days N, --only NAME, --model NAME, --damaged or --all (add --dry-run to see what would go)');
  }
  if (damaged) {
    if (all || days !== undefined || model !== undefined || (only.size && !(only.size === 1 && only.has('nx')))) throw new UsageError('--damaged applies to the Nx task cache alone: use it with --only nx or by itself');
    return { only: ['nx'], damaged: true, dryRun };
  }
  if (model !== undefined) {
    if (only.size && !(only.size === 1 && only.has('requests'))) throw new UsageError('--model applies to the request cache only: use it with --only requests or alone');
    only.add('requests');
  }
  if (only.has('nx') && days !== undefined) {
    throw new UsageError("--only nx with --older-than-days: Nx has no command to drop task results by age (it drops those unused for 7 days after each run, and keeps the cache under nx.json maxCacheSize); empty it with --only nx alone");
  }
  return { only: only.size ? CACHE_NAMES.filter((n) => only.has(n)) : CACHE_NAMES, olderThanDays: days, model, dryRun };
}

function printStats(root: string, reports: CacheReport[]): void {
  const rel = (p: string) => (p.startsWith(root + '/') ? relative(root, p) : p);
  console.log(`caches of ${root}`);
  for (const r of reports) {
    const when = r.oldest ? `  ${r.oldest.slice(0, 10)} … ${r.newest?.slice(0, 10)}` : '';
    console.log(`  ${r.title.padEnd(25)} ${formatBytes(r.bytes).padStart(9)}  ${`${r.entries} ${r.unit}`.padEnd(20)} ${rel(r.location)}${when}`);
    for (const n of r.notes) console.log(`      ${n}`);
  }
  console.log(`  ${'total'.padEnd(25)} ${formatBytes(reports.reduce((s, r) => s + r.bytes, 0)).padStart(9)}`);
}

/** `evalgraph cache stats | prune ...`: every cache evalgraph keeps, and removing from each by its own rule. */
export async function cache(root: string, sub: string | undefined, rest: string[]): Promise<number> {
  try {
    if (sub === 'stats') {
      const unknown = rest.filter((a) => a !== '--json');
      if (unknown.length) throw new UsageError(`unknown option "${unknown[0]}"`);
      const reports = await inventory(root);
      if (rest.includes('--json')) console.log(JSON.stringify(reports, null, 2));
      else printStats(root, reports);
      return 0;
    }
    if (sub === 'prune') {
      const opts = parsePrune(rest);
      const outcomes = await pruneCaches(root, opts);
      const verb = opts.dryRun ? 'would remove' : 'removed';
      for (const o of outcomes) {
        const what = o.kept ? `kept ${o.kept}` : `${verb} ${o.removed} ${o.unit}${o.bytes ? ` (${formatBytes(o.bytes)})` : ''}`;
        console.log(`${o.name.padEnd(10)} ${what}${o.note ? `; ${o.note}` : ''}`);
      }
      return outcomes.some((o) => o.kept) ? 1 : 0;
    }
    throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "${sub}"`);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`evalgraph cache: ${e.message}\n${CACHE_USAGE}`);
    return 2;
  }
}
