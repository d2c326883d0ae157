// configs/storage.yaml with a path: a second clone (another machine or a later session mounting the same volume)
// reuses what the first computed, and a run that would write elsewhere than the setting says does not start.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';
import { completeJsonLines } from '../helpers/json-lines';

const STANDIN_DIR = join(REPO_ROOT, 'libs/inference/test/fixtures/standin-vllm');
const PIPELINE = `backend: vllm
settings: { sample_limit: 3 }
models:
  - model: qwen3-4b
datasets: [gsm8k, arc-easy]
`;

let store: string;
let a: Scratch;
let b: Scratch;
const lines = completeJsonLines;
const standin = (ws: Scratch) => ({ PATH: `${STANDIN_DIR}:${process.env.PATH}`, STANDIN_EVENT_LOG: join(ws.root, 'standin-events.jsonl'), STANDIN_LOAD_DELAY_MS: '50' });
const evaluate = (ws: Scratch) => ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-st', '--outputStyle=static'], standin(ws));
const cli = (ws: Scratch, ...args: string[]) => spawnSync(process.execPath, [join(ws.root, 'tools/evalgraph-plugin/bin/evalgraph.js'), ...args], { cwd: ws.root, encoding: 'utf8', env: withoutNxStorageEnv() });

function withoutNxStorageEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NX_CACHE_DIRECTORY;
  delete env.NX_WORKSPACE_DATA_DIRECTORY;
  return env;
}

function withStorage(): Scratch {
  const ws = scratchWorkspace({ pipelines: { st: PIPELINE } });
  writeFileSync(join(ws.root, 'configs/storage.yaml'), `kind: path\npath: ${store}\n`);
  ws.commit('storage on the shared volume');
  return ws;
}

beforeAll(() => {
  store = mkdtempSync(join(tmpdir(), 'evalgraph-storage-'));
  a = withStorage();
  b = withStorage();
});
afterAll(() => {
  a?.dispose();
  b?.dispose();
  rmSync(store, { recursive: true, force: true });
});

describe('storage: kind path', () => {
  it('before `evalgraph storage apply`, check stops the run with one line naming the setting and the fix; no cell runs', () => {
    const r = evaluate(a);
    expect(r.status).toBe(1);
    expect(r.out).toContain(`configs/storage.yaml: kind path needs NX_CACHE_DIRECTORY=${join(store, 'nx-cache')} in Nx's environment`);
    expect(r.out).toContain('run `npx evalgraph storage apply`');
    expect(a.executed()).toEqual([]);
  });

  it('after apply, results go to the volume: request cache, Nx cache, and the servers get HF_HOME and VLLM_CACHE_ROOT there', () => {
    const applied = cli(a, 'storage', 'apply');
    expect(applied.status, applied.stderr).toBe(0);
    expect(a.read('.env.local')).toContain(`NX_CACHE_DIRECTORY=${join(store, 'nx-cache')}`);
    const r = evaluate(a);
    expect(r.status, r.out).toBe(0);
    expect(a.executed()).toEqual(['st:qwen3-4b/arc-easy', 'st:qwen3-4b/gsm8k']);
    expect(existsSync(join(store, 'request-cache.sqlite'))).toBe(true);
    expect(existsSync(join(a.root, '.evalgraph/request-cache.sqlite'))).toBe(false);
    expect(readdirSync(join(store, 'nx-cache')).filter((e) => /^\d+$/.test(e)).length).toBeGreaterThanOrEqual(4);
    const starts = lines<{ event: string; hf_home: string | null; vllm_cache_root: string | null }>(join(a.root, 'standin-events.jsonl')).filter((e) => e.event === 'start');
    expect(starts.map((s) => [s.hf_home, s.vllm_cache_root])).toEqual([[join(store, 'hf-home'), join(store, 'vllm-cache', 'qwen3-4b--balanced')]]);
    const shown = cli(a, 'storage', 'show');
    expect(shown.stdout).toContain(`request cache                      ${join(store, 'request-cache.sqlite')}`);
    expect(shown.stdout).not.toContain('not applied');
  });

  it('a second clone on the same volume restores every cell and starts no server', () => {
    expect(cli(b, 'storage', 'apply').status).toBe(0);
    const r = evaluate(b);
    expect(r.status, r.out).toBe(0);
    expect(b.executed()).toEqual([]);
    expect(existsSync(join(b.root, 'standin-events.jsonl'))).toBe(false);
    for (const d of ['gsm8k', 'arc-easy']) {
      const rel = `results/st/qwen3-4b/balanced/${d}/samples.jsonl`;
      expect(b.read(rel)).toBe(a.read(rel));
    }
  });

  it('a bad storage.yaml fails check with the file, the field and what it expects', () => {
    b.edit('configs/storage.yaml', () => 'kind: path\npath: relative/dir\n');
    const r = evaluate(b);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/configs\/storage\.yaml.*path/);
    expect(r.out).toContain('an absolute path');
  });
});
