import { cpSync, mkdtempSync, mkdirSync, readdirSync, rmSync, symlinkSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';

/** The repository root (this file is test/helpers/scratch-workspace.ts). */
export const REPO_ROOT = resolve(__dirname, '../..');
/** The read-only dataset mirror beside the repository. */
export const DATA_MIRROR = process.env.EVALGRAPH_DATA_MIRROR ?? resolve(REPO_ROOT, '../shared/datasets');

const COPY = ['.env', 'nx.json', 'package.json', 'package-lock.json', 'tsconfig.settings.json', 'tsconfig.typecheck.json', 'configs', 'libs', 'tools', 'pipelines'];

export interface Scratch {
  root: string;
  /** Runs nx with the given args (under `wrap`, a command prefix, when given); returns status and output (never throws). */
  nx(args: string[], env?: Record<string, string>, wrap?: string[]): { status: number; out: string };
  /** Cells that executed (not restored from cache) since the last call. */
  executed(): string[];
  edit(rel: string, fn: (text: string) => string): void;
  read(rel: string): string;
  /** Commits everything (an empty commit when nothing changed); returns the new HEAD. */
  commit(message: string): string;
  dispose(): void;
}

/**
 * Copies the workspace (not node_modules, caches or results) into a temp folder with its own git history and a
 * node_modules whose @evalgraph/* links point at the copy, so edits there are what Nx hashes and runs.
 */
export function scratchWorkspace(opts: { pipelines?: Record<string, string> } = {}): Scratch {
  const root = mkdtempSync(join(tmpdir(), 'evalgraph-ws-'));
  for (const p of COPY) cpSync(join(REPO_ROOT, p), join(root, p), { recursive: true, filter: (src) => !/\/(node_modules|\.evalgraph)(\/|$)/.test(src.slice(REPO_ROOT.length)) });
  if (opts.pipelines) {
    rmSync(join(root, 'pipelines'), { recursive: true, force: true });
    for (const [name, yaml] of Object.entries(opts.pipelines)) {
      mkdirSync(join(root, 'pipelines', name), { recursive: true });
      writeFileSync(join(root, 'pipelines', name, 'pipeline.yaml'), yaml);
    }
  }
  const nm = join(root, 'node_modules');
  mkdirSync(nm);
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry === '@evalgraph' || entry === '.cache') continue;
    symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(nm, entry));
  }
  mkdirSync(join(nm, '@evalgraph'));
  for (const lib of readdirSync(join(root, 'libs'))) symlinkSync(join(root, 'libs', lib), join(nm, '@evalgraph', lib));
  symlinkSync(join(root, 'tools', 'evalgraph-plugin'), join(nm, '@evalgraph', 'plugin'));
  writeFileSync(join(root, '.gitignore'), 'node_modules\n.nx\n.evalgraph\nresults\ndist\n');
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-qm', 'initial');
  const execLog = join(root, '.evalgraph', 'executed.log');
  let seen = 0;
  return {
    root,
    nx(args, env = {}, wrap = []) {
      const cmd = [...wrap, process.execPath, join(root, 'node_modules/nx/dist/bin/nx.js'), ...args];
      const r = spawnSync(cmd[0], cmd.slice(1), {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', CI: 'true', EVALGRAPH_DATA_MIRROR: DATA_MIRROR, EVALGRAPH_EXEC_LOG: execLog, ...env },
        timeout: 300_000,
      });
      return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
    },
    executed() {
      if (!existsSync(execLog)) return [];
      const lines = readFileSync(execLog, 'utf8').split('\n').filter(Boolean);
      const fresh = lines.slice(seen);
      seen = lines.length;
      return fresh.sort();
    },
    edit(rel, fn) {
      const p = join(root, rel);
      writeFileSync(p, fn(readFileSync(p, 'utf8')));
    },
    read: (rel) => readFileSync(join(root, rel), 'utf8'),
    commit(message) {
      git('add', '-A');
      git('commit', '--allow-empty', '-qm', message);
      return git('rev-parse', 'HEAD');
    },
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
