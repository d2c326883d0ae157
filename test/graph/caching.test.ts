import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parityBaseline, resultDigests } from '../helpers/parity';
import { scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

/** Each step runs nx in a scratch workspace; on a busy 2-core machine one can take minutes. */
const NX_TIMEOUT = 300_000;

const PIPELINE = `# yaml-language-server: $schema=../../configs/schema/pipeline.schema.json
backend: dummy
settings:
  sample_limit: 5
models:
  - model: qwen3-8b
  - model: qwen2.5-7b-instruct
datasets:
  - gsm8k
  - arc-easy
  - math500
cells:
  qwen2.5-7b-instruct/math500:
    sample_limit: 3
`;

const ALL = ['qwen3-8b', 'qwen2.5-7b-instruct'].flatMap((m) => ['gsm8k', 'arc-easy', 'math500'].map((d) => `t:${m}/${d}`)).sort();

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

let ws: Scratch;
const evaluate = (...extra: string[]) => {
  const r = ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-t', '--outputStyle=static', ...extra]);
  expect(r.status, r.out).toBe(0);
  return r;
};

describe('the evaluation graph caches honestly', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { t: PIPELINE } });
  }, NX_TIMEOUT);
  afterAll(() => ws?.dispose());

  it('runs every cell once, writing schema-valid results', () => {
    evaluate();
    expect(ws.executed()).toEqual(ALL);
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const schema = (n: string) => JSON.parse(ws.read(`configs/schema/${n}.schema.json`));
    const vMetrics = ajv.compile(schema('metrics'));
    const vRun = ajv.compile(schema('run'));
    const vSample = ajv.compile(schema('sample'));
    const dir = join(ws.root, 'results/t/qwen3-8b/balanced/gsm8k');
    const metrics = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    expect(vMetrics(metrics), JSON.stringify(vMetrics.errors)).toBe(true);
    expect(metrics.n).toBe(5);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(vRun(run), JSON.stringify(vRun.errors)).toBe(true);
    expect(run.backend).toBe('dummy');
    const samples = readFileSync(join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples).toHaveLength(5);
    for (const s of samples) expect(vSample(s), JSON.stringify(vSample.errors)).toBe(true);
    // The per-cell override applies to that cell only.
    expect(JSON.parse(ws.read('results/t/qwen2.5-7b-instruct/balanced/math500/metrics.json')).n).toBe(3);
    // Parity (issue 19): every result equals, timing fields aside, what the commit before training and adapters produced.
    expect(resultDigests(join(ws.root, 'results/t'))).toEqual(parityBaseline('caching-pipeline-t'));
    expect(JSON.parse(ws.read('results/t/qwen3-8b/balanced/math500/metrics.json')).n).toBe(5);
  }, NX_TIMEOUT);

  it('a second run restores every cell from cache and executes nothing', () => {
    const r = evaluate();
    expect(ws.executed()).toEqual([]);
    expect(r.out).toMatch(/Nx read the output from the cache instead of running the command for \d+ out of \d+ tasks/);
  }, NX_TIMEOUT);

  it('after deleting results/, a third run restores identical files from cache', () => {
    const before = snapshot(join(ws.root, 'results/t'));
    expect(Object.keys(before).length).toBe(18);
    rmSync(join(ws.root, 'results'), { recursive: true, force: true });
    evaluate();
    expect(ws.executed()).toEqual([]);
    expect(snapshot(join(ws.root, 'results/t'))).toEqual(before);
  }, NX_TIMEOUT);

  it("editing one dataset's config executes exactly that dataset's cells", () => {
    ws.edit('configs/datasets/arc-easy/dataset.yaml', (s) => s + '# edited\n');
    evaluate();
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/arc-easy', 't:qwen3-8b/arc-easy']);
  }, NX_TIMEOUT);

  it("editing one model's config executes exactly that model's cells", () => {
    ws.edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace('min_p: 0 }\n    max_tokens: 8192', 'min_p: 0 }\n    max_tokens: 4096'));
    evaluate();
    expect(ws.executed()).toEqual(['t:qwen3-8b/arc-easy', 't:qwen3-8b/gsm8k', 't:qwen3-8b/math500']);
  }, NX_TIMEOUT);

  it("editing one cell's settings in the pipeline executes exactly that cell", () => {
    ws.edit('pipelines/t/pipeline.yaml', (s) => s.replace('    sample_limit: 3', '    sample_limit: 4'));
    evaluate();
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/math500']);
  }, NX_TIMEOUT);

  it("editing a scorer's code executes exactly the cells that use it; editing core executes all", () => {
    ws.edit('libs/scoring/src/gsm8k/index.ts', (s) => s + '\n// touched\n');
    evaluate();
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/gsm8k', 't:qwen3-8b/gsm8k']);
    ws.edit('libs/core/src/hash.ts', (s) => s + '\n// touched\n');
    evaluate();
    expect(ws.executed()).toEqual(ALL);
  }, NX_TIMEOUT);

  it('editing exact-match executes every cell: the runner and every scorer run it (GSM8K filters, strip_thinking)', () => {
    ws.edit('libs/scoring/src/exact-match/python-regex.ts', (s) => s + '\n// touched\n');
    evaluate();
    expect(ws.executed()).toEqual(ALL);
  });

  it('editing the README executes nothing', () => {
    writeFileSync(join(ws.root, 'README.md'), '# changed\n');
    evaluate();
    expect(ws.executed()).toEqual([]);
  }, NX_TIMEOUT);

  it('--sampleLimit overrides for one run, is part of the hash, and is cached too', () => {
    evaluate('--sampleLimit=2');
    expect(ws.executed()).toEqual(ALL);
    expect(JSON.parse(ws.read('results/t/qwen3-8b/balanced/gsm8k/metrics.json')).n).toBe(2);
    evaluate('--sampleLimit=2');
    expect(ws.executed()).toEqual([]);
  }, NX_TIMEOUT);

  /** Commits `edit`, runs `nx affected -t evaluate` from the previous commit to it, and returns the cells executed. */
  const affectedBy = (message: string, edit: () => void) => {
    const base = ws.commit(`before: ${message}`);
    edit();
    const head = ws.commit(message);
    const r = ws.nx(['affected', '-t', 'evaluate', `--base=${base}`, `--head=${head}`, '--outputStyle=static']);
    expect(r.status, r.out).toBe(0);
    return ws.executed();
  };

  it('nx affected agrees: a committed dataset edit affects exactly its cells', () => {
    evaluate();
    ws.executed();
    expect(affectedBy('edit gsm8k', () => ws.edit('configs/datasets/gsm8k/dataset.yaml', (s) => s + '# edited again\n'))).toEqual(['t:qwen2.5-7b-instruct/gsm8k', 't:qwen3-8b/gsm8k']);
    expect(affectedBy('nothing new', () => writeFileSync(join(ws.root, 'NOTES.md'), 'not an input\n'))).toEqual([]);
  }, NX_TIMEOUT);

  it("nx affected agrees: a committed scorer edit affects exactly that scorer's cells, a preset edit every cell using the preset", () => {
    expect(affectedBy('edit the math scorer', () => ws.edit('libs/scoring/src/math/index.ts', (s) => s + '\n// touched for affected\n'))).toEqual(['t:qwen2.5-7b-instruct/math500', 't:qwen3-8b/math500']);
    // Config files are includeIgnored filesets (see cellConfigInputs); nx affected must still follow them.
    expect(affectedBy('edit the preset', () => ws.edit('configs/presets/balanced.yaml', (s) => s + '# edited\n'))).toEqual(ALL);
  }, NX_TIMEOUT);

  it('nx graph shows model → pipeline ← dataset edges', () => {
    const r = ws.nx(['graph', '--file=graph.json']);
    expect(r.status, r.out).toBe(0);
    const graph = JSON.parse(ws.read('graph.json')).graph;
    const deps: { source: string; target: string }[] = graph.dependencies['pipeline-t'];
    const targets = deps.map((d) => d.target).sort();
    expect(targets).toEqual(expect.arrayContaining(['model-qwen3-8b', 'model-qwen2.5-7b-instruct', 'dataset-gsm8k', 'dataset-arc-easy', 'dataset-math500']));
    expect(targets).not.toContain('model-qwen3-14b');
  }, NX_TIMEOUT);
});
