import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createProjectGraphAsync, type ProjectGraph, type Task, type TaskGraph } from '@nx/devkit';
import { nxInternals, type NxCache, type NxCachedResult } from './nx-internals';

/** What a run would do with one task. */
export type TaskFate =
  | { task: string; fate: 'cached'; hash: string; remote: boolean }
  | { task: string; fate: 'runs'; hash: string | null; why: string };

/** How the nx command would use its cache, from its own flags and environment variables. */
export interface CacheFlags {
  skipNxCache: boolean;
  skipRemoteCache: boolean;
  parallel: number;
}

const flag = (args: string[], names: string[]) => args.some((a) => names.some((n) => a === `--${n}` || a === `--${n}=true`));

/** Reads the cache options Nx itself reads (its flags, NX_SKIP_NX_CACHE and the like). */
export function cacheFlags(args: string[], env: NodeJS.ProcessEnv = process.env): CacheFlags {
  const parallelArg = args.map((a) => /^--parallel=(\d+)$/.exec(a)?.[1]).find(Boolean);
  return {
    skipNxCache: flag(args, ['skip-nx-cache', 'skipNxCache']) || env.NX_SKIP_NX_CACHE === 'true' || env.NX_DISABLE_NX_CACHE === 'true',
    skipRemoteCache: flag(args, ['skip-remote-cache', 'skipRemoteCache']) || env.NX_SKIP_REMOTE_CACHE === 'true' || env.NX_DISABLE_REMOTE_CACHE === 'true',
    parallel: parallelArg ? Number(parallelArg) : 3,
  };
}

/** The ids of the tasks `id` depends on. */
export const depsOf = (graph: TaskGraph, id: string): string[] => (graph.dependencies[id] ?? []).map((e) => e.id);

/** Tasks in dependency order, in waves: every task of a wave depends only on tasks of earlier waves. */
export function waves(graph: TaskGraph): string[][] {
  const done = new Set<string>();
  const left = new Set(Object.keys(graph.tasks));
  const out: string[][] = [];
  while (left.size) {
    const wave = [...left].filter((id) => depsOf(graph, id).every((d) => done.has(d) || !left.has(d)));
    if (!wave.length) throw new Error(`the task graph has a cycle among: ${[...left].join(', ')}`);
    for (const id of wave) left.delete(id);
    for (const id of wave) done.add(id);
    out.push(wave.sort());
  }
  return out;
}

/**
 * Decides, with Nx's own hasher and cache, which tasks of `graph` a run would execute. Tasks whose hash reads the
 * outputs of the tasks they depend on (a cell reads its dataset's prepared manifest) are hashed after those, as Nx
 * does: when a dependency is a cache hit whose outputs are not on disk, they are restored first, exactly as the
 * run would restore them; when a dependency with outputs would itself run, the task's hash cannot be known before
 * it has, and the task is counted as running.
 */
export async function taskFates(root: string, graph: TaskGraph, projectGraph: ProjectGraph, flags: CacheFlags): Promise<Map<string, TaskFate>> {
  const nx = nxInternals();
  const hasher = nx.createTaskHasher(projectGraph, nx.readNxJson(root));
  const tasks = graph.tasks;
  const envs: Record<string, NodeJS.ProcessEnv> = {};
  for (const t of Object.values(tasks)) envs[t.id] = nx.taskEnv(t, projectGraph);
  const upfront = await hasher.hashTasksUpfront(Object.values(tasks), graph, envs);
  const hashes = new Map<string, string>(Object.entries(upfront).map(([id, h]) => [id, h.value]));
  const cache = flags.skipNxCache ? null : nx.openCache({ skipRemoteCache: flags.skipRemoteCache, parallel: flags.parallel });
  await cache?.init();
  const fates = new Map<string, TaskFate>();
  const hits = new Map<string, NxCachedResult>();

  for (const wave of waves(graph)) {
    const blocked = new Map<string, string>();
    const toHash: Task[] = [];
    for (const id of wave) {
      if (hashes.has(id)) continue;
      const runningDep = depsOf(graph, id).find((d) => fates.get(d)?.fate === 'runs' && tasks[d].outputs.length > 0);
      if (runningDep) blocked.set(id, `runs after ${runningDep}, whose new output is part of its hash`);
      else toHash.push(tasks[id]);
    }
    if (toHash.length) {
      if (cache) await restoreMissingOutputs(root, cache, toHash, graph, hits, hashes);
      const hs = await hasher.hashTasks(toHash, graph, envs);
      toHash.forEach((t, i) => hashes.set(t.id, hs[i].value));
    }
    const lookups = wave.filter((id) => hashes.has(id) && tasks[id].cache);
    const found = cache ? await cache.getBatch(lookups.map((id) => ({ ...tasks[id], hash: hashes.get(id) }))) : new Map<string, NxCachedResult>();
    for (const id of wave) {
      const hash = hashes.get(id) ?? null;
      const hit = hash ? found.get(hash) : undefined;
      if (blocked.has(id)) fates.set(id, { task: id, fate: 'runs', hash: null, why: blocked.get(id)! });
      else if (!tasks[id].cache) fates.set(id, { task: id, fate: 'runs', hash, why: 'not cacheable' });
      else if (flags.skipNxCache) fates.set(id, { task: id, fate: 'runs', hash, why: '--skip-nx-cache' });
      else if (hit && (hit.code === 0 || process.env.NX_CACHE_FAILURES === 'true')) {
        hits.set(id, hit);
        fates.set(id, { task: id, fate: 'cached', hash: hash!, remote: hit.remote });
      } else fates.set(id, { task: id, fate: 'runs', hash, why: 'cache miss' });
    }
  }
  return fates;
}

/**
 * The project graph, built in this process as every nx command builds it (Nx's hasher reads the file map that
 * building it leaves behind), after loading the workspace's root .env files as the nx CLI does.
 */
export async function workspaceProjectGraph(root: string): Promise<ProjectGraph> {
  nxInternals().loadRootEnvFiles(root);
  return createProjectGraphAsync({ exitOnError: false });
}

/** Restores the outputs of cache-hit dependencies that are not on disk, as the run would before hashing `dependents`. */
async function restoreMissingOutputs(root: string, cache: NxCache, dependents: Task[], graph: TaskGraph, hits: Map<string, NxCachedResult>, hashes: Map<string, string>): Promise<void> {
  const deps = new Set(dependents.flatMap((t) => depsOf(graph, t.id)));
  for (const d of deps) {
    const hit = hits.get(d);
    const task = graph.tasks[d];
    if (!hit || !task.outputs.some((o) => !existsSync(join(root, o)))) continue;
    await cache.copyFilesFromCache(hashes.get(d) ?? '', hit, task.outputs);
  }
}
