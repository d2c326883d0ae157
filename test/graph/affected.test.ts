import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

/** Each step runs nx in a scratch workspace; on a busy 2-core machine one can take minutes. */
const NX_TIMEOUT = 300_000;

// The commands docs/affected.md gives users, run as written against a scratch git workspace.
const PIPELINE = `backend: dummy
settings:
  sample_limit: 3
models:
  - model: qwen3-8b
datasets:
  - gsm8k
  - ifeval
  - arc-easy
`;

const cells = (...datasets: string[]) => datasets.map((d) => `t:qwen3-8b/${d}`).sort();
const ALL = cells('gsm8k', 'ifeval', 'arc-easy');

let ws: Scratch;
const GIT_ID = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' };
const git = (...args: string[]) => execFileSync('git', args, { cwd: ws.root, encoding: 'utf8', env: { ...process.env, ...GIT_ID } }).trim();
/** Runs `nx affected -t evaluate` with the given base/head flags; returns the cells that executed. */
const affected = (...flags: string[]) => {
  const r = ws.nx(['affected', '-t', 'evaluate', ...flags, '--outputStyle=static']);
  expect(r.status, r.out).toBe(0);
  return ws.executed();
};

beforeAll(() => {
  ws = scratchWorkspace({ pipelines: { t: PIPELINE } });
});
afterAll(() => ws?.dispose());

describe('nx affected as users run it', () => {
  beforeAll(() => {
    const r = ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-t', '--outputStyle=static']);
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual(ALL);
  }, NX_TIMEOUT);

  it('without a base, after a commit on main, nothing is affected (defaultBase main is the commit itself)', () => {
    ws.edit('libs/scoring/src/gsm8k/index.ts', (s) => s + '\n// committed on main\n');
    ws.commit('edit the gsm8k scorer on main');
    expect(affected()).toEqual([]);
  }, NX_TIMEOUT);

  it('locally, --base=HEAD~1 selects the cells the last commit touched', () => {
    // The previous test's commit is HEAD now; HEAD~1 is the commit before it.
    expect(affected('--base=HEAD~1')).toEqual(cells('gsm8k'));
  }, NX_TIMEOUT);

  it("locally on a branch, --base=$(git merge-base HEAD origin/main) selects everything the branch changed", () => {
    // What a clone has after `git fetch`: the remote's main as a remote-tracking ref.
    git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    git('checkout', '-q', '-b', 'feature');
    ws.edit('configs/datasets/arc-easy/dataset.yaml', (s) => s + '# edited on the branch\n');
    ws.commit('edit arc-easy');
    ws.edit('libs/scoring/src/ifeval/index.ts', (s) => s + '\n// edited on the branch\n');
    ws.commit('edit the ifeval scorer');
    // main moves on after the branch point; the merge-base keeps main's new commits out of the branch's selection.
    git('update-ref', 'refs/remotes/origin/main', git('commit-tree', '-p', 'refs/remotes/origin/main', '-m', 'main moved', 'refs/remotes/origin/main^{tree}'));
    const base = git('merge-base', 'HEAD', 'origin/main');
    expect(affected(`--base=${base}`)).toEqual(cells('arc-easy', 'ifeval'));
  }, NX_TIMEOUT);

  it('in CI, --base=$BASE_SHA --head=$HEAD_SHA selects the cells between the two commits, whatever is checked out', () => {
    const baseSha = git('rev-parse', 'HEAD');
    ws.edit('configs/datasets/gsm8k/dataset.yaml', (s) => s + '# edited for CI\n');
    const headSha = ws.commit('edit gsm8k');
    expect(affected(`--base=${baseSha}`, `--head=${headSha}`)).toEqual(cells('gsm8k'));
    // Against the branch point the same form sees the whole branch; those cells are cached now, so none executes.
    const r = ws.nx(['show', 'projects', '--affected', `--base=${git('merge-base', 'HEAD', 'origin/main')}`, `--head=${headSha}`, '-p', 'tag:kind:cell']);
    expect(r.status, r.out).toBe(0);
    expect(r.out.trim().split('\n').sort()).toEqual(['cell-t--qwen3-8b--arc-easy', 'cell-t--qwen3-8b--gsm8k', 'cell-t--qwen3-8b--ifeval']);
  }, NX_TIMEOUT);

  it("a scorer's README is not an input: editing it affects and re-runs nothing; editing the scorer's code re-runs its cells", () => {
    ws.edit('libs/scoring/src/ifeval/README.md', (s) => s + '\nA note for readers.\n');
    ws.commit('document the ifeval scorer');
    expect(affected('--base=HEAD~1')).toEqual([]);
    const r = ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-t', '--outputStyle=static']);
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual([]);
    ws.edit('libs/scoring/src/ifeval/evaluate.ts', (s) => s + '\n// touched\n');
    ws.commit('touch the ifeval scorer');
    expect(affected('--base=HEAD~1')).toEqual(cells('ifeval'));
  }, NX_TIMEOUT);
});

describe('projects are tagged so one pipeline can be shown and selected', () => {
  it("the documented graph command shows models → pipeline ← datasets, no cells, and each project's tags", () => {
    const r = ws.nx(['graph', '--focus=pipeline-t', '--exclude=tag:kind:cell', '--file=graph.json']);
    expect(r.status, r.out).toBe(0);
    type Node = { data: { tags: string[] } };
    const graph = JSON.parse(ws.read('graph.json')).graph as { nodes: Record<string, Node>; dependencies: Record<string, { target: string }[]> };
    expect(Object.keys(graph.nodes).sort()).toEqual(['dataset-arc-easy', 'dataset-gsm8k', 'dataset-ifeval', 'model-qwen3-8b', 'pipeline-t']);
    expect(graph.dependencies['pipeline-t'].map((d) => d.target).sort()).toEqual(['dataset-arc-easy', 'dataset-gsm8k', 'dataset-ifeval', 'model-qwen3-8b']);
    expect(graph.nodes['model-qwen3-8b'].data.tags).toEqual(['kind:model', 'model:qwen3-8b']);
    expect(graph.nodes['dataset-gsm8k'].data.tags).toEqual(['kind:dataset', 'dataset:gsm8k']);
    expect(graph.nodes['pipeline-t'].data.tags).toEqual(['kind:pipeline', 'pipeline:t']);
  }, NX_TIMEOUT);

  it('a cell is tagged with its pipeline, model and dataset (nx show project --json)', () => {
    const r = ws.nx(['show', 'project', 'cell-t--qwen3-8b--gsm8k', '--json']);
    expect(r.status, r.out).toBe(0);
    expect((JSON.parse(r.out.slice(r.out.indexOf('{'))) as { tags: string[] }).tags).toEqual(['kind:cell', 'pipeline:t', 'model:qwen3-8b', 'dataset:gsm8k']);
  }, NX_TIMEOUT);
});
