import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateWorkflow } from '@action-validator/core';
import { parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from '../../../libs/report/test/helpers';
import { baseSummaries } from '../src/ci/base-summaries';
import { CiError, githubShas } from '../src/ci/shas';
import { stepSummary } from '../src/ci/step-summary';
import { CI_USAGE } from '../src/cli/ci';

const REPO = resolve(__dirname, '../../..');
const WORKFLOW = join(REPO, '.github/workflows/evalgraph.yml');
const BIN = resolve(__dirname, '../bin/evalgraph.js');

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'evalgraph-ci-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A git repo with commits c1..c3 on main, origin/main at c1, and a branch commit c4 off c2. */
function repo() {
  const root = temp();
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
  git('init', '-q', '-b', 'main');
  const commit = (name: string) => {
    writeFileSync(join(root, 'f'), name);
    git('add', 'f');
    git('commit', '-qm', name);
    return git('rev-parse', 'HEAD');
  };
  const c1 = commit('c1');
  const c2 = commit('c2');
  const c3 = commit('c3');
  git('update-ref', 'refs/remotes/origin/main', c1);
  git('checkout', '-q', '-b', 'feature', c2);
  const c4 = commit('c4');
  git('checkout', '-q', 'main');
  return { root, git, c1, c2, c3, c4 };
}

const eventEnv = (root: string, name: string, payload: object, sha: string) => {
  const path = join(root, '..', `${name}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(path, JSON.stringify(payload));
  return { GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: path, GITHUB_SHA: sha };
};

describe('.github/workflows/evalgraph.yml', () => {
  const text = readFileSync(WORKFLOW, 'utf8');

  it("is valid against SchemaStore's GitHub workflow schema (and the check catches a broken file)", () => {
    expect(validateWorkflow(text).errors).toEqual([]);
    expect(validateWorkflow(text.replace('runs-on: ubuntu-24.04', 'runs_on: ubuntu-24.04')).errors.length).toBeGreaterThan(0);
    expect(validateWorkflow(text.replace('timeout-minutes: 45', 'timeout-minutes: soon')).errors.length).toBeGreaterThan(0);
  });

  it('runs nx affected on a GPU runner against the remote cache, posts the summary, and runs smoke + tests on CPU', () => {
    const wf = parse(text);
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    expect(wf.env.NX_SELF_HOSTED_REMOTE_CACHE_SERVER).toMatch(/vars\.EVALGRAPH_CACHE_URL/);
    // Only pushes write; a run without a token gets no server (a 401 would stop Nx).
    expect(wf.env.NX_SELF_HOSTED_REMOTE_CACHE_ACCESS_TOKEN).toMatch(/github\.event_name == 'push' && secrets\.EVALGRAPH_CACHE_WRITE_TOKEN \|\| secrets\.EVALGRAPH_CACHE_READ_TOKEN/);
    const gpu = wf.jobs.gpu;
    expect(gpu['runs-on']).toMatch(/"gpu"/);
    const runs: string[] = gpu.steps.map((s: { run?: string }) => s.run ?? '');
    const at = (re: RegExp) => runs.findIndex((r) => re.test(r));
    expect(gpu.steps.find((s: { uses?: string }) => s.uses?.startsWith('actions/checkout')).with['fetch-depth']).toBe(0);
    expect(at(/^npx evalgraph ci shas >> "\$GITHUB_OUTPUT"$/)).toBeGreaterThan(-1);
    const affected = at(/nx affected -t evaluate --base=\$\{\{ steps\.shas\.outputs\.base \}\} --head=\$\{\{ steps\.shas\.outputs\.head \}\}/);
    const reports = at(/nx affected -t report --base=\$\{\{ steps\.shas\.outputs\.base \}\}/);
    const summary = at(/npx evalgraph ci summary .*>> "\$GITHUB_STEP_SUMMARY"$/);
    expect(at(/^npx evalgraph ci shas/)).toBeLessThan(affected);
    expect(affected).toBeLessThan(reports);
    expect(reports).toBeLessThan(summary);
    const cpu: string[] = wf.jobs.cpu.steps.map((s: { run?: string }) => s.run ?? '');
    expect(cpu).toEqual(expect.arrayContaining(['npm run setup -- --tests', 'npx nx run pipeline-smoke:readiness --outputStyle=static', 'npm test']));
    // Every `evalgraph ci` step is a command the CLI has.
    for (const sub of [...text.matchAll(/npx evalgraph ci ([a-z-]+)/g)].map((m) => m[1])) expect(CI_USAGE).toContain(`evalgraph ci ${sub}`);
  });
});

describe('evalgraph ci shas', () => {
  it('pull request: the base branch head and the checked-out commit; the CLI prints them for $GITHUB_OUTPUT', () => {
    const r = repo();
    const env = eventEnv(r.root, 'pull_request', { pull_request: { base: { sha: r.c3 }, head: { sha: r.c4 } } }, r.c4);
    expect(githubShas(env, r.root)).toMatchObject({ base: r.c3, head: r.c4 });
    // Run in another repository, the fixture's commits are missing, which it reports with the fix.
    expect(() => githubShas(env, REPO)).toThrow(/head commit [0-9a-f]{40} is not in this clone — check out with full history: actions\/checkout with `fetch-depth: 0`/);
    // The step as the workflow runs it, in this repository (one CLI start: it costs seconds on a busy machine).
    const here = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim();
    const parent = execFileSync('git', ['rev-parse', 'HEAD~1'], { cwd: REPO, encoding: 'utf8' }).trim();
    const ok = spawnSync(process.execPath, [BIN, 'ci', 'shas'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...eventEnv(r.root, 'pull_request', { pull_request: { base: { sha: parent }, head: { sha: here } } }, here) } });
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toBe(`base=${parent}\nhead=${here}\n`);
  });

  it('push: the commit before; a new branch falls back to where it left origin/main, else the previous commit', () => {
    const r = repo();
    expect(githubShas(eventEnv(r.root, 'push', { before: r.c2 }, r.c3), r.root)).toMatchObject({ base: r.c2, head: r.c3 });
    const fresh = githubShas(eventEnv(r.root, 'push', { before: '0'.repeat(40), repository: { default_branch: 'main' } }, r.c4), r.root);
    expect(fresh).toMatchObject({ base: r.c1, head: r.c4 });
    expect(fresh.why).toMatch(/left origin\/main/);
    // A force push whose `before` is gone from the clone: the same fallback, never a missing commit.
    expect(githubShas(eventEnv(r.root, 'push', { before: 'f'.repeat(40) }, r.c4), r.root).base).toBe(r.c1);
    r.git('update-ref', '-d', 'refs/remotes/origin/main');
    expect(githubShas(eventEnv(r.root, 'workflow_dispatch', {}, r.c3), r.root)).toMatchObject({ base: r.c2, head: r.c3 });
  });

  it('a shallow clone or a missing event is an error that names the fix', () => {
    const r = repo();
    expect(() => githubShas(eventEnv(r.root, 'pull_request', { pull_request: { base: { sha: 'a'.repeat(40) }, head: { sha: r.c4 } } }, r.c4), r.root)).toThrow(/base commit a{40} is not in this clone — .*fetch-depth: 0/);
    expect(() => githubShas({}, r.root)).toThrow(CiError);
    const bad = join(r.root, '..', 'bad.json');
    writeFileSync(bad, '{"pull_request": 3}');
    expect(() => githubShas({ GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: bad, GITHUB_SHA: r.c4 }, r.root)).toThrow(/bad\.json: not a GitHub event payload/);
  });
});

describe('evalgraph ci summary and base-summaries', () => {
  /** A workspace whose `large-scale` report ran (candidate summary.json) and a base summary with other numbers. */
  function reported(headAccuracy: number, baseAccuracy: number) {
    const root = temp();
    const head = build(join(root, 'head-fixture'), { seed: 7, variants: [{ id: 'qwen3-8b', accuracy: headAccuracy, throughput: 2400, peakMemoryGiB: 38, tokens: 260 }], datasets: [{ name: 'gsm8k', tasks: 400 }], comparisons: [] });
    const base = build(join(root, 'base-fixture'), { seed: 7, variants: [{ id: 'qwen3-8b', accuracy: baseAccuracy, throughput: 2400, peakMemoryGiB: 38, tokens: 260 }], datasets: [{ name: 'gsm8k', tasks: 400 }], comparisons: [] });
    mkdirSync(join(root, 'results/large-scale/candidate'), { recursive: true });
    writeFileSync(join(root, 'results/large-scale/candidate/summary.json'), JSON.stringify(head.summary));
    mkdirSync(join(root, 'base/large-scale'), { recursive: true });
    writeFileSync(join(root, 'base/large-scale/summary.json'), JSON.stringify(base.summary));
    return root;
  }

  it('lists the changed metrics with their paired test, regressions first', () => {
    const root = reported(0.45, 0.75);
    const md = stepSummary({ root, baseDir: join(root, 'base'), base: 'a'.repeat(40), head: 'b'.repeat(40) });
    expect(md).toMatch(/^# evalgraph: affected pipelines \(`aaaaaaaaaaaa` → `bbbbbbbbbbbb`\)/);
    expect(md).toMatch(/## large-scale: (✅ ready|❌ not ready)/);
    expect(md).toMatch(/### Changed metrics: \d+ of \d+; [1-9]\d* regression\(s\)/);
    const row = md.split('\n').find((l) => l.startsWith('| qwen3-8b/gsm8k |'));
    expect(row).toMatch(/\| (mcnemar-exact|paired-bootstrap|paired-cluster-bootstrap) \| 🔻 \*\*regression\*\* \|$/);
    expect(md).not.toMatch(/no summary of the base commit/);
  });

  it('says so when the base has no summary, and stays under the size limit', () => {
    const root = reported(0.6, 0.6);
    const md = stepSummary({ root, baseDir: join(root, 'missing') });
    expect(md).toMatch(/no summary of the base commit for this pipeline/);
    expect(md).toMatch(/\| qwen3-8b\/gsm8k \| \S+ \| 0\.\d{3} \| \[/);
    const cut = stepSummary({ root, limit: 200 });
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(400);
    expect(cut).toMatch(/Cut to fit GitHub's job summary limit: 1 pipeline\(s\) not shown \(large-scale\)/);
    expect(stepSummary({ root: temp() })).toMatch(/No pipeline was affected/);
  });

  it('base-summaries checks the base out in a worktree, runs the reports there and collects them', () => {
    const r = repo();
    // The base commit has pipeline "old" only; the fake nx writes the summary a real report would.
    r.git('checkout', '-q', r.c2);
    mkdirSync(join(r.root, 'pipelines/old'), { recursive: true });
    writeFileSync(join(r.root, 'pipelines/old/pipeline.yaml'), 'x: 1\n');
    r.git('add', '-A');
    r.git('commit', '-qm', 'base with pipeline old');
    const base = r.git('rev-parse', 'HEAD');
    r.git('checkout', '-q', 'main');
    const fakeNx = join(r.root, '..', 'fake-nx.sh');
    writeFileSync(fakeNx, '#!/bin/sh\necho "$@" > nx-args\nmkdir -p results/old/candidate && git rev-parse HEAD > results/old/candidate/summary.json\n', { mode: 0o755 });
    const out = join(temp(), 'base-summaries');
    const log: string[] = [];
    const written = baseSummaries({ root: r.root, base, pipelines: ['old', 'new'], outDir: out, install: 'touch installed', nx: fakeNx, log: (l) => log.push(l) });
    expect(written).toEqual(['old']);
    expect(readFileSync(join(out, 'old/summary.json'), 'utf8').trim()).toBe(base);
    expect(log).toEqual(['new: not in the base commit (a new pipeline): nothing to compare']);
    expect(r.git('worktree', 'list')).not.toMatch(/evalgraph-base-/);
    expect(() => baseSummaries({ root: r.root, base, pipelines: ['old'], outDir: out, install: 'exit 3', nx: fakeNx })).toThrow(/installing dependencies failed in the base checkout \(`exit 3`, exit 3\)/);
  });
});
