import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_MIRROR, scratchWorkspace, type Scratch } from '../helpers/scratch-workspace';

/** Each step runs nx in a scratch workspace; on a busy 2-core machine one can take minutes. */
const NX_TIMEOUT = 300_000;

const PIPELINE = `backend: dummy
settings:
  sample_limit: 3
models:
  - model: qwen3-8b
  - model: qwen2.5-7b-instruct
datasets:
  - gsm8k
  - arc-easy
`;

let ws: Scratch;
let mirror: string;
const run = () => ws.nx(['run-many', '-t', 'evaluate', '-p', 'pipeline-t', '--outputStyle=static'], { EVALGRAPH_DATA_MIRROR: mirror });

// A source this machine cannot reach (no network, not in the mirror) must not stop the pipeline's other datasets
// (issue 16 item 3): the prepare that only runs for the cells records the error and succeeds, its cells fail with
// that error, the others run and are cached; a prepare the user asks for by name still fails; and because the
// prepare's probe input differs on every run while a file is missing, that outcome is never restored from cache.
describe('a dataset that cannot be prepared', () => {
  beforeAll(() => {
    ws = scratchWorkspace({ pipelines: { t: PIPELINE } });
    // The shared mirror without arc/: what a machine with neither that mirror folder nor network sees.
    mirror = mkdtempSync(join(tmpdir(), 'evalgraph-mirror-'));
    for (const d of readdirSync(DATA_MIRROR)) if (d !== 'arc') symlinkSync(join(DATA_MIRROR, d), join(mirror, d));
  }, NX_TIMEOUT);
  afterAll(() => {
    ws?.dispose();
    if (mirror) rmSync(mirror, { recursive: true, force: true });
  }, NX_TIMEOUT);

  it("runs the other dataset's cells, fails the missing dataset's cells with its own error, exits 1", () => {
    const r = run();
    expect(r.status, r.out).toBe(1);
    // The arc-easy cells fail while reading their dataset, before they count as executed.
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/gsm8k', 't:qwen3-8b/gsm8k']);
    expect(r.out).toContain('dataset arc-easy: arc/ARC-Easy-Test.jsonl is not in the mirror');
    expect(r.out).toContain('(recorded by dataset-arc-easy:prepare in this run)');
    const failed = r.out.slice(r.out.lastIndexOf('Failed tasks:'));
    expect(failed).toMatch(/cell-t--qwen3-8b--arc-easy:evaluate/);
    expect(failed).not.toMatch(/gsm8k|dataset-arc-easy:prepare/);
    expect(ws.read('results/t/qwen3-8b/balanced/gsm8k/metrics.json')).toContain('"metrics"');
  }, NX_TIMEOUT);

  it('a prepare asked for by name fails, and is not restored from the earlier run', () => {
    const r = ws.nx(['run', 'dataset-arc-easy:prepare', '--outputStyle=static'], { EVALGRAPH_DATA_MIRROR: mirror });
    expect(r.status, r.out).toBe(1);
    expect(r.out).not.toContain('local cache');
    expect(r.out).toContain('arc/ARC-Easy-Test.jsonl is not in the mirror');
  }, NX_TIMEOUT);

  it("once the file is there, only the missing dataset's cells run and the pipeline passes", () => {
    symlinkSync(join(DATA_MIRROR, 'arc'), join(mirror, 'arc'));
    const r = run();
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/arc-easy', 't:qwen3-8b/arc-easy']);
  }, NX_TIMEOUT);
});
