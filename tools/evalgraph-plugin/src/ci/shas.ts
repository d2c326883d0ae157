import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserFacingError } from '@evalgraph/core';

/** A CI setting or checkout that cannot give `nx affected` its two commits. */
export class CiError extends UserFacingError {
  constructor(message: string) {
    super(message);
    this.name = 'CiError';
  }
}

/** The parts of a GitHub Actions event payload that name commits. */
const GithubEvent = z.object({
  before: z.string().optional(),
  repository: z.object({ default_branch: z.string() }).partial().optional(),
  pull_request: z.object({ base: z.object({ sha: z.string() }), head: z.object({ sha: z.string() }) }).optional(),
});

const ZERO = /^0+$/;

export interface Shas {
  base: string;
  head: string;
  /** Why this base, for the log. */
  why: string;
}

/**
 * The base and head commits `nx affected` compares on GitHub Actions. A pull request: its target branch's head
 * and the commit checked out (the merge commit GitHub builds). A push: the commit before the push and the
 * pushed one; a new branch or a force push (no usable `before`) falls back to where it left the default branch.
 * Both commits must be in the clone: a shallow checkout is an error that says so, not an empty selection.
 */
export function githubShas(env: NodeJS.ProcessEnv, cwd: string): Shas {
  const git = (args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  const has = (sha: string) => {
    try {
      git(['cat-file', '-e', `${sha}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  };
  const name = env.GITHUB_EVENT_NAME;
  const path = env.GITHUB_EVENT_PATH;
  if (!name || !path) throw new CiError('GITHUB_EVENT_NAME and GITHUB_EVENT_PATH are not set: `evalgraph ci shas` runs inside a GitHub Actions job (elsewhere, pass --base/--head to nx affected yourself)');
  let event: z.infer<typeof GithubEvent>;
  try {
    event = GithubEvent.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (e) {
    throw new CiError(`${path}: not a GitHub event payload (${(e as Error).message.split('\n')[0]})`);
  }
  const head = env.GITHUB_SHA || git(['rev-parse', 'HEAD']);
  const shallow = 'check out with full history: actions/checkout with `fetch-depth: 0`';
  if (!has(head)) throw new CiError(`head commit ${head} is not in this clone — ${shallow}`);
  let base: string;
  let why: string;
  if (event.pull_request) {
    base = event.pull_request.base.sha;
    why = `pull request: its base branch's head ${base.slice(0, 12)}`;
  } else if (name === 'push' && event.before && !ZERO.test(event.before) && has(event.before)) {
    base = event.before;
    why = `push: the commit before it, ${base.slice(0, 12)}`;
  } else {
    const branch = event.repository?.default_branch ?? 'main';
    let found = '';
    try {
      found = git(['merge-base', `origin/${branch}`, head]);
    } catch {
      // no remote-tracking default branch in this clone
    }
    if (found && found !== head) {
      base = found;
      why = `${name}: where this commit left origin/${branch}, ${base.slice(0, 12)}`;
    } else {
      try {
        base = git(['rev-parse', `${head}~1`]);
      } catch {
        throw new CiError(`${name}: no earlier commit to compare ${head.slice(0, 12)} with — ${shallow}`);
      }
      why = `${name}: the previous commit, ${base.slice(0, 12)}`;
    }
  }
  if (!has(base)) throw new CiError(`base commit ${base} is not in this clone — ${shallow}`);
  return { base, head, why };
}
