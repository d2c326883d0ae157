import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CiError } from './shas';

export interface BaseSummariesOptions {
  /** The workspace (head) checkout; the base is checked out beside it in a temp git worktree. */
  root: string;
  base: string;
  pipelines: string[];
  outDir: string;
  /** Shell command that installs dependencies in the base checkout. */
  install: string;
  /** Shell command prefix that runs nx in the base checkout. */
  nx: string;
  log?: (line: string) => void;
}

/**
 * Writes `<outDir>/<pipeline>/summary.json` for each pipeline as the base commit has it: checks the base out in a
 * git worktree, installs, runs `nx run-many -t report` there (with this job's env, so the remote cache restores
 * what main's CI already evaluated) and copies the candidate summaries. Pipelines the base lacks are skipped.
 * Returns the pipelines written.
 */
export function baseSummaries(o: BaseSummariesOptions): string[] {
  const log = o.log ?? (() => undefined);
  const git = (args: string[], cwd = o.root) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const sh = (cmd: string, cwd: string, what: string) => {
    const r = spawnSync('bash', ['-c', cmd], { cwd, stdio: 'inherit', env: process.env });
    if (r.status !== 0) throw new CiError(`${what} failed in the base checkout (\`${cmd}\`, exit ${r.status ?? r.signal})`);
  };
  const parent = mkdtempSync(join(tmpdir(), 'evalgraph-base-'));
  const dir = join(parent, 'base');
  try {
    git(['worktree', 'add', '--detach', dir, o.base]);
    const present = o.pipelines.filter((p) => existsSync(join(dir, 'pipelines', p, 'pipeline.yaml')));
    for (const p of o.pipelines.filter((x) => !present.includes(x))) log(`${p}: not in the base commit (a new pipeline): nothing to compare`);
    if (!present.length) return [];
    sh(o.install, dir, 'installing dependencies');
    sh(`${o.nx} run-many -t report -p ${present.map((p) => `pipeline-${p}`).join(',')} --outputStyle=static`, dir, 'the base reports');
    const written: string[] = [];
    for (const p of present) {
      const from = join(dir, 'results', p, 'candidate', 'summary.json');
      if (!existsSync(from)) {
        log(`${p}: the base run wrote no summary.json`);
        continue;
      }
      mkdirSync(join(o.outDir, p), { recursive: true });
      copyFileSync(from, join(o.outDir, p, 'summary.json'));
      written.push(p);
    }
    return written;
  } finally {
    try {
      git(['worktree', 'remove', '--force', dir]);
    } catch {
      // never added (a bad base): nothing registered to remove
    }
    rmSync(parent, { recursive: true, force: true });
  }
}
