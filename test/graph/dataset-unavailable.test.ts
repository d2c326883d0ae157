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

describe('one dataset that cannot be prepared does not stop the others', () => {
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

  it("runs the other dataset's cells, fails with the missing dataset's error", () => {
    const r = run();
    // Not 0; the exact status (1, not 130) is issue 16 item 2's.
    expect(r.status, r.out).not.toBe(0);
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/gsm8k', 't:qwen3-8b/gsm8k']);
    expect(r.out).toContain('dataset arc-easy: arc/ARC-Easy-Test.jsonl is not in the mirror');
    expect(r.out).toMatch(/Failed tasks:[\s\S]*dataset-arc-easy:prepare/);
  }, NX_TIMEOUT);

  it('a second run restores those cells from cache and fails the same way', () => {
    const r = run();
    expect(r.status, r.out).not.toBe(0);
    expect(ws.executed()).toEqual([]);
    expect(r.out).toContain('dataset arc-easy: arc/ARC-Easy-Test.jsonl is not in the mirror');
  }, NX_TIMEOUT);

  it('once the file is there, only the missing cells run and the pipeline passes', () => {
    symlinkSync(join(DATA_MIRROR, 'arc'), join(mirror, 'arc'));
    const r = run();
    expect(r.status, r.out).toBe(0);
    expect(ws.executed()).toEqual(['t:qwen2.5-7b-instruct/arc-easy', 't:qwen3-8b/arc-easy']);
  }, NX_TIMEOUT);
});
