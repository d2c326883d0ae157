import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

const GOOD = `backend: dummy
settings: { sample_limit: 3 }
models:
  - model: qwen3-8b
datasets: [gsm8k, arc-easy]
`;
const VLLM = `backend: vllm
settings: { sample_limit: 3 }
models:
  - model: qwen3-4b
  - model: qwen2.5-7b-instruct
datasets: [gsm8k]
`;

let ws: Scratch;
const run = (...args: string[]) => ws.nx(['run-many', '-t', 'evaluate', '--outputStyle=static', ...args], { PATH: '/usr/bin:/bin', EVALGRAPH_VLLM: '' });

describe('bad input fails before any cell runs, with one clear line', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { good: GOOD, vllm: VLLM } });
  });
  afterAll(() => ws?.dispose());

  it('a broken pipeline reference: file, field, did-you-mean; no cell executes; no stack trace', () => {
    ws.edit('pipelines/good/pipeline.yaml', (s) => s.replace('arc-easy', 'arc-esy'));
    const r = run('-p', 'pipeline-good');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/pipelines\/good\/pipeline\.yaml:\d+: datasets\.1: expected a dataset .*found "arc-esy" — did you mean "arc-easy"\?/);
    expect(r.out).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(ws.executed()).toEqual([]);
    ws.edit('pipelines/good/pipeline.yaml', (s) => s.replace('arc-esy', 'arc-easy'));
  });

  it('a broken model config names the model file and field; no cell executes', () => {
    ws.edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace('max_tokens: 8192', 'max_tokens: lots'));
    const r = run('-p', 'pipeline-good');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/configs\/models\/qwen3-8b\/model\.yaml:\d+: modes\.non-thinking\.max_tokens: expected number, found string "lots"/);
    expect(r.out).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(ws.executed()).toEqual([]);
    ws.edit('configs/models/qwen3-8b/model.yaml', (s) => s.replace('max_tokens: lots', 'max_tokens: 8192'));
  });

  it('without vLLM, vLLM cells fail fast with what is missing, and the dummy pipeline still completes', () => {
    const r = run();
    expect(r.status).not.toBe(0);
    const lines = r.out.split('\n').filter((l) => /vLLM is not installed/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(r.out).toMatch(/pip install vllm/);
    expect(r.out).not.toMatch(/\n\s+at .*\(.*:\d+:\d+\)/);
    expect(ws.executed()).toEqual(expect.arrayContaining(['good:qwen3-8b/arc-easy', 'good:qwen3-8b/gsm8k']));
    expect(ws.read('results/good/qwen3-8b/balanced/gsm8k/metrics.json')).toMatch(/"complete": true/);
  });
});
