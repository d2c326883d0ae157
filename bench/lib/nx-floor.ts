import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runTimed } from './proc';

/** A bare Nx workspace whose cached run restores the same files as a grid's: Nx's own cost, with no evalgraph in it. */
export interface NxFloor {
  root: string;
  tasks: number;
  files: number;
  bytes: number;
  /** `nx show projects` there (seconds). */
  show(): Promise<number>;
  /** `nx run-many -t t` there (seconds); throws unless every task came from the cache once `cold` is false. */
  run(cold?: boolean): Promise<number>;
}

/**
 * Builds the floor next to `ws`: one project per output folder of `ws` (`outputDirs`, relative), whose cacheable
 * target copies that folder's files into its own outputs, plus `bare` projects with no outputs (a grid's check and
 * pipeline targets), no dependencies between them. Same Nx, same environment, same root `.env`; only Nx's default
 * plugins build its graph.
 */
export function nxFloor(ws: string, outputDirs: string[], bare: number, dir: string, env: () => NodeJS.ProcessEnv): NxFloor {
  mkdirSync(dir, { recursive: true });
  symlinkSync(path.join(ws, 'node_modules'), path.join(dir, 'node_modules'));
  copyFileSync(path.join(ws, '.env'), path.join(dir, '.env'));
  // Outputs and Nx's cache are ignored, as results/ and .nx/ are in the bench workspace: Nx does not hash them.
  writeFileSync(path.join(dir, '.gitignore'), '/out\n/.nx\n/node_modules\n');
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'nx-floor', private: true }));
  writeFileSync(path.join(dir, 'nx.json'), JSON.stringify({ targetDefaults: { t: { cache: true, inputs: ['{projectRoot}/project.json'] } } }));
  let files = 0;
  let bytes = 0;
  const project = (name: string, target: Record<string, unknown>) => {
    mkdirSync(path.join(dir, 'p', name), { recursive: true });
    writeFileSync(path.join(dir, 'p', name, 'project.json'), JSON.stringify({ name, targets: { t: { executor: 'nx:run-commands', ...target } } }));
  };
  outputDirs.forEach((rel, i) => {
    const src = path.join(ws, rel);
    for (const e of readdirSync(src, { recursive: true, withFileTypes: true })) {
      if (!e.isFile()) continue;
      files++;
      bytes += statSync(path.join(e.parentPath, e.name)).size;
    }
    project(`o${i}`, { options: { command: `mkdir -p out/o${i} && cp -r '${src}/.' out/o${i}/` }, outputs: [`{workspaceRoot}/out/o${i}`] });
  });
  for (let i = 0; i < bare; i++) project(`b${i}`, { options: { command: `echo b${i}` } });
  // A git repository with everything committed, like the bench workspace: Nx reads the workspace's files through git.
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, stdio: 'ignore', env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@localhost', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@localhost' } });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'nx floor');
  const nx = async (args: string[]) => {
    const r = await runTimed(process.execPath, [path.join(dir, 'node_modules/nx/dist/bin/nx.js'), ...args], { cwd: dir, env: env(), timeoutMs: 600_000 });
    if (r.status !== 0) throw new Error(`nx floor: nx ${args.join(' ')} failed (${r.status}):\n${r.out.slice(-2000)}`);
    return r;
  };
  const tasks = outputDirs.length + bare;
  return {
    root: dir,
    tasks,
    files,
    bytes,
    show: async () => (await nx(['show', 'projects'])).seconds,
    run: async (cold = false) => {
      const r = await nx(['run-many', '-t', 't', '--outputStyle=static']);
      if (!cold && !r.out.includes(`${tasks}/${tasks} hit`)) throw new Error(`nx floor: a cached run missed the cache:\n${r.out.slice(-1500)}`);
      return r.seconds;
    },
  };
}
