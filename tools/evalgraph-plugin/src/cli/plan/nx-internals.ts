import type { NxJsonConfiguration, ProjectGraph, Task, TaskGraph, TaskHasher } from '@nx/devkit';

/**
 * The only module of evalgraph that reaches into Nx's internals (`nx/src/...`). Nx has no public API that answers
 * "which of these tasks would miss the cache": @nx/devkit exports the TaskHasher interface and the project graph, but
 * not a way to construct a hasher, the per-task environment a hash is taken against, or the cache lookup
 * (local database + remote cache) the task runner does. `evalgraph plan` needs exactly those, so it takes them
 * from Nx itself instead of hashing a second way. Everything is checked on load: when an Nx upgrade moves or
 * renames one, `NxInternalsChanged` says which, and tools/evalgraph-plugin/test/plan.test.ts fails.
 */

/** A cache entry as Nx's DbCache returns it. */
export interface NxCachedResult {
  code: number;
  outputsPath: string;
  remote: boolean;
}

/** The part of Nx's DbCache the plan uses. */
export interface NxCache {
  init(): Promise<void>;
  getBatch(tasks: Task[]): Promise<Map<string, NxCachedResult>>;
  copyFilesFromCache(hash: string, cached: NxCachedResult, outputs: string[]): Promise<unknown>;
}

export interface NxInternals {
  /** Nx's own task hasher for a project graph built in this process (createProjectGraphAsync). */
  createTaskHasher(projectGraph: ProjectGraph, nxJson: NxJsonConfiguration): TaskHasher;
  /** The environment a task is hashed against at run time (root and project .env files applied). */
  taskEnv(task: Task, projectGraph: ProjectGraph): NodeJS.ProcessEnv;
  /** Nx's cache: the local database and folder, and the remote cache Nx is configured with. */
  openCache(options: { skipRemoteCache: boolean; parallel: number }): NxCache;
  /** nx.json as Nx reads it (defaults and `extends` applied). */
  readNxJson(root: string): NxJsonConfiguration;
  /** Loads the workspace's root .env files into process.env, as the nx CLI does before every command. */
  loadRootEnvFiles(root: string): void;
}

/** An internal of Nx that evalgraph plan relies on is gone or has changed shape (an Nx upgrade). */
export class NxInternalsChanged extends Error {
  constructor(what: string) {
    super(`evalgraph plan: Nx ${nxVersion()} no longer has ${what}; tools/evalgraph-plugin/src/cli/plan/nx-internals.ts must follow it`);
    this.name = 'NxInternalsChanged';
  }
}

function nxVersion(): string {
  try {
    return (require('nx/package.json') as { version: string }).version;
  } catch {
    return '(unknown version)';
  }
}

function load<T>(module: string, name: string, check: (v: unknown) => boolean): T {
  let mod: Record<string, unknown>;
  try {
    mod = require(module) as Record<string, unknown>;
  } catch (e) {
    throw new NxInternalsChanged(`the module ${module} (${(e as Error).message.split('\n')[0]})`);
  }
  const v = mod[name];
  if (!check(v)) throw new NxInternalsChanged(`${name} in ${module}`);
  return v as T;
}

const isFunction = (v: unknown) => typeof v === 'function';
const isCacheClass = (v: unknown) => typeof v === 'function' && ['getBatch', 'init', 'copyFilesFromCache'].every((m) => typeof (v as { prototype: Record<string, unknown> }).prototype[m] === 'function');

/** Nx's internals, resolved and checked; call after chdir to the workspace (Nx reads its root from the cwd). */
export function nxInternals(): NxInternals {
  type CreateTaskHasher = (g: ProjectGraph, nxJson: NxJsonConfiguration, runnerOptions?: object) => TaskHasher;
  const createTaskHasher = load<CreateTaskHasher>('nx/src/hasher/create-task-hasher', 'createTaskHasher', isFunction);
  const getTaskSpecificEnv = load<(t: Task, g: ProjectGraph) => NodeJS.ProcessEnv>('nx/src/tasks-runner/task-env', 'getTaskSpecificEnv', isFunction);
  const DbCache = load<new (o: { nxCloudRemoteCache: null; skipRemoteCache: boolean; parallel: number }) => NxCache>('nx/src/tasks-runner/cache', 'DbCache', isCacheClass);
  const readNxJson = load<(root: string) => NxJsonConfiguration>('nx/src/config/nx-json', 'readNxJson', isFunction);
  const loadRootEnvFiles = load<(root: string) => void>('nx/src/utils/dotenv', 'loadRootEnvFiles', isFunction);
  return {
    createTaskHasher: (g, nxJson) => {
      const hasher = createTaskHasher(g, nxJson, {});
      if (typeof hasher?.hashTasksUpfront !== 'function' || typeof hasher.hashTasks !== 'function') throw new NxInternalsChanged('a task hasher with hashTasksUpfront and hashTasks');
      return hasher;
    },
    taskEnv: getTaskSpecificEnv,
    openCache: (o) => new DbCache({ nxCloudRemoteCache: null, ...o }),
    readNxJson,
    loadRootEnvFiles,
  };
}

/** Re-exported for modules that only need the types. */
export type { Task, TaskGraph };
