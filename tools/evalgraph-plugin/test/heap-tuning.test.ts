import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HEAP_GROWING_PERCENT, tuneHeapForEvaluation } from '../src/shared/heap-tuning';

describe('tuneHeapForEvaluation', () => {
  it("sets V8's heap growth unless the user chose one, by node flag or NODE_OPTIONS, with dashes or underscores", () => {
    expect(tuneHeapForEvaluation([], '')).toBe(HEAP_GROWING_PERCENT);
    expect(tuneHeapForEvaluation(['--max-old-space-size=4096'], '--enable-source-maps')).toBe(HEAP_GROWING_PERCENT);
    expect(tuneHeapForEvaluation(['--heap-growing-percent=20'], '')).toBeNull();
    expect(tuneHeapForEvaluation([], '--enable-source-maps --heap_growing_percent=300')).toBeNull();
  });

  it("names a flag this Node's V8 knows (an unknown one is ignored with an error on stderr)", () => {
    const module = join(__dirname, '..', 'src', 'shared', 'heap-tuning.ts');
    const r = spawnSync(process.execPath, ['-r', '@swc-node/register', '-e', `process.stdout.write(String(require(${JSON.stringify(module)}).tuneHeapForEvaluation()))`], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    expect(r.stderr).not.toMatch(/unrecognized flag/);
    expect(r.stdout).toBe(String(HEAP_GROWING_PERCENT));
    // The same call with a misspelt flag does print the error this test looks for.
    const bad = spawnSync(process.execPath, ['-e', "require('v8').setFlagsFromString('--heap-growing-pct=50')"], { encoding: 'utf8' });
    expect(bad.stderr).toMatch(/unrecognized flag/);
  });
});
