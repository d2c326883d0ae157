import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

/** Each step runs nx in a scratch workspace; on a busy 2-core machine one can take minutes. */
const NX_TIMEOUT = 300_000;

// The example plugin's own pipeline as shipped, plus one built-in cell that no plugin edit may re-run.
const PIPELINES = {
  'regex-answer': readFileSync(join(REPO_ROOT, 'pipelines/regex-answer/pipeline.yaml'), 'utf8'),
  t: 'backend: dummy\nsettings:\n  sample_limit: 3\nmodels:\n  - model: qwen3-8b\ndatasets:\n  - gsm8k\n',
  b: 'backend: ./tools/plugins/echo-backend\nsettings:\n  sample_limit: 2\nmodels:\n  - model: qwen3-8b\ndatasets:\n  - gsm8k\n',
};

/** A backend plugin (plain JS) that answers every request with its oracle: every answer is right. */
const ECHO_BACKEND = `const stats = (n) => ({ total: n, sent: n, fromCache: 0, failed: 0, retried: 0, promptTokens: n, completionTokens: n, wallMs: 1, peakGpuMemoryGiB: null, kvCacheUsageMax: null });
module.exports = { default: { apiVersion: 1, backend: (spec) => ({
  describe: () => ({ kind: 'echo-backend (test plugin)', version: '0.0.1', command: null }),
  run: async (requests) => {
    const responses = [];
    for (let i = 0; i < requests.length; i++) {
      const r = Array.isArray(requests) ? requests[i] : requests.at(i);
      responses.push({ kind: 'generate', text: r.oracle.answer, finish_reason: 'stop', prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });
    }
    return { responses, stats: stats(requests.length) };
  },
  close: async () => {},
}) } };
`;
const PLUGIN_CELLS = ['regex-answer:qwen2.5-7b-instruct/gsm8k-regex', 'regex-answer:qwen3-8b/gsm8k-regex'];

let ws: Scratch;
const evaluate = () => ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-regex-answer', 'pipeline-t', 'pipeline-b', '--outputStyle=static']);
const json = (rel: string) => JSON.parse(ws.read(rel));

describe('plugins in a real nx run', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: PIPELINES });
    mkdirSync(join(ws.root, 'tools/plugins/echo-backend'));
    writeFileSync(join(ws.root, 'tools/plugins/echo-backend/package.json'), JSON.stringify({ name: 'echo-backend', version: '0.0.1', main: 'index.js' }));
    writeFileSync(join(ws.root, 'tools/plugins/echo-backend/index.js'), ECHO_BACKEND);
  }, NX_TIMEOUT);
  afterAll(() => ws?.dispose());

  it('runs the example plugin pipeline end to end and records the plugin version', () => {
    const r = evaluate();
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual([...PLUGIN_CELLS, 'b:qwen3-8b/gsm8k', 't:qwen3-8b/gsm8k'].sort());
    const metrics = json('results/regex-answer/qwen3-8b/balanced/gsm8k-regex/metrics.json');
    expect(metrics).toMatchObject({ primary: 'regex_match', n: 10 });
    // The dummy answers in the plugin's oracle form, so extraction works and the score is the dummy's accuracy.
    const samples = ws.read('results/regex-answer/qwen3-8b/balanced/gsm8k-regex/samples.jsonl').trim().split('\n').map((l) => JSON.parse(l));
    expect(samples.every((s) => s.extracted !== null)).toBe(true);
    expect(samples.filter((s) => s.outcome === 'correct').length).toBe(Math.round(metrics.metrics[0].value * 10));
    expect(json('results/regex-answer/qwen3-8b/balanced/gsm8k-regex/run.json').versions['plugin:@evalgraph-plugins/regex-answer']).toBe('0.1.0');
    expect(json('results/t/qwen3-8b/balanced/gsm8k/run.json').versions).not.toHaveProperty(['plugin:@evalgraph-plugins/regex-answer']);
    // The backend plugin served its cell: labelled as a plugin, every oracle answer right.
    const run = json('results/b/qwen3-8b/balanced/gsm8k/run.json');
    expect(run).toMatchObject({ backend: 'plugin', server: { kind: 'echo-backend (test plugin)' } });
    expect(run.versions['plugin:echo-backend']).toBe('0.0.1');
    expect(json('results/b/qwen3-8b/balanced/gsm8k/metrics.json')).toMatchObject({ n: 2, outcomes: { correct: 2 } });
  }, NX_TIMEOUT);

  // A version bump is an edit of the folder's package.json, hashed the same way; an installed package is hashed by its
  // lockfile version (tools/evalgraph-plugin/test/plugin-inputs.test.ts).
  it('editing the plugin re-runs exactly its cells', () => {
    ws.edit('tools/plugins/regex-answer/src/scorer.ts', (t) => `${t}\n// an edit\n`);
    const r = evaluate();
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual(PLUGIN_CELLS);
  }, NX_TIMEOUT);

  it('a plugin that breaks the API fails check with one error naming it and what is missing; no cell runs', () => {
    ws.edit('tools/plugins/regex-answer/src/index.ts', (t) => t.replace('definePlugin({ scorer: regexAnswerScorer })', 'definePlugin({ scorer: { ...regexAnswerScorer, aggregate: undefined } } as never)'));
    const r = evaluate();
    expect(r.status).not.toBe(0);
    expect(r.out).toContain('dataset gsm8k-regex: plugin ./tools/plugins/regex-answer (@evalgraph-plugins/regex-answer@0.1.0): does not implement the evalgraph plugin API: scorer.aggregate: expected a function');
    expect(ws.executed()).toEqual([]);
  }, NX_TIMEOUT);
});
