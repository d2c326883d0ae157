import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

const PIPELINE = `backend: dummy
settings: { sample_limit: 4 }
models:
  - model: qwen3-8b
  - model: qwen2.5-7b-instruct
datasets: [gsm8k, arc-easy]
gates:
  max_gpu_memory_fraction: null
  min_throughput_tok_s: null
tracker: docs/tracker.md
`;

let ws: Scratch;
const nx = (...args: string[]) => ws.nx([...args, '--outputStyle=static']);
const published = () => Object.fromEntries(['report.md', 'report.html', 'summary.json'].map((f) => [f, readFileSync(join(ws.root, 'results/t', f))]));
/** Whether Nx executed a target in this output (a cache hit is marked "[local cache]" or "existing outputs match"). */
const ran = (out: string, target: string) => new RegExp(`> nx run pipeline-t:${target}(?![^\\n]*(cache|existing outputs))`).test(out);

describe('compare, report, readiness and rollback as Nx targets', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { t: PIPELINE } });
    require('node:fs').mkdirSync(join(ws.root, 'docs'), { recursive: true });
    require('node:fs').writeFileSync(join(ws.root, 'docs/tracker.md'), '# Tracker\n\nHand-written notes stay.\n');
  });
  afterAll(() => ws?.dispose());

  it('readiness publishes report.md, report.html and summary.json, and rewrites only the tracker section', () => {
    const r = nx('run', 'pipeline-t:readiness');
    expect(r.status, r.out).toBe(0);
    const md = ws.read('results/t/report.md');
    expect(md).toMatch(/DUMMY BACKEND/);
    const metrics = JSON.parse(ws.read('results/t/qwen3-8b/balanced/gsm8k/metrics.json'));
    const primary = metrics.metrics[0];
    expect(md).toContain(primary.value.toFixed(3).replace(/0+$/, '').slice(0, 4));
    const tracker = ws.read('docs/tracker.md');
    expect(tracker.startsWith('# Tracker\n\nHand-written notes stay.\n')).toBe(true);
    expect(tracker).toMatch(/<!-- evalgraph:results:start -->[\s\S]*qwen3-8b[\s\S]*<!-- evalgraph:results:end -->/);
    expect(readdirSync(join(ws.root, 'results/t'))).toEqual(expect.arrayContaining(['report.html', 'summary.json']));
  });

  it("changing one cell's result re-runs compare and report but no other cell", () => {
    ws.executed();
    ws.edit('pipelines/t/pipeline.yaml', (s) => s + 'cells:\n  qwen3-8b/arc-easy: { sample_limit: 3 }\n');
    const r = nx('run', 'pipeline-t:report');
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual(['t:qwen3-8b/arc-easy']);
    expect(ran(r.out, 'compare')).toBe(true);
    expect(ran(r.out, 'report')).toBe(true);
    const again = nx('run', 'pipeline-t:report');
    expect(ran(again.out, 'compare')).toBe(false);
    expect(ran(again.out, 'report')).toBe(false);
  });

  it('a readiness failure leaves the published report byte for byte; rollback restores the previous one', () => {
    const before = published();
    ws.edit('pipelines/t/pipeline.yaml', (s) => s.replace('  min_throughput_tok_s: null', '  min_throughput_tok_s: null\n  forbid_dummy: true'));
    const r = nx('run', 'pipeline-t:readiness');
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(/not ready — readiness failed: no_dummy/);
    expect(published()).toEqual(before);
    ws.edit('pipelines/t/pipeline.yaml', (s) => s.replace('\n  forbid_dummy: true', '').replace('qwen3-8b/arc-easy: { sample_limit: 3 }', 'qwen3-8b/arc-easy: { sample_limit: 2 }'));
    expect(nx('run', 'pipeline-t:readiness').status).toBe(0);
    const second = published();
    expect(second['summary.json'].equals(before['summary.json'])).toBe(false);
    // The published report lists both published runs and what changed since the first.
    const history = JSON.parse(ws.read('results/t/history.json'));
    expect(history.runs).toHaveLength(2);
    expect(history.changes.comparison.rows.some((r: { key: string; primary: boolean }) => r.key === 'qwen3-8b/arc-easy' && r.primary)).toBe(true);
    expect(ws.read('results/t/report.md')).toMatch(/## History[\s\S]*\(this report\)[\s\S]*### Since the run published/);
    expect(ws.read('results/t/report.html')).not.toContain('id="evalgraph-history">null<');
    const rb = nx('run', 'pipeline-t:report-rollback');
    expect(rb.status, rb.out).toBe(0);
    expect(published()).toEqual(before);
  });
});
