import { execFileSync } from 'node:child_process';
import { mkdirSync, statfsSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosWorkspace, listFiles } from './helpers/chaos-workspace';
import { expectClearFailure, expectSuccess } from './helpers/expect-run';
import { recordFigure } from './helpers/figures';

// Scenario 5: the disk fills while results are written. results/ is a small tmpfs; a filler file leaves a little
// room (none, or a few pages), then a run that must write new results (--sampleLimit=6) fails cleanly.
const canMount = process.getuid?.() === 0;

let cw: ChaosWorkspace;
let mounted = false;
let runs = 0;
let completed = 0;
let faults = 0;
let lost = 0;
let results: string;
let previous: Record<string, string>;

beforeAll(async () => {
  if (!canMount) return;
  cw = new ChaosWorkspace();
  results = join(cw.root, 'results');
  mkdirSync(results, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', results]);
  mounted = true;
  const r = await cw.evaluate();
  runs++;
  expectSuccess(r, 'first run');
  completed++;
  previous = cw.rawResults();
});
afterAll(async () => {
  if (!canMount) return;
  recordFigure({ scenario: '5 disk full while writing results', faults, runs, completed, resultsLost: lost, note: 'results/ on a 2 MiB tmpfs; previous results byte-identical after each failure' });
  if (mounted) execFileSync('umount', ['-l', results]);
  await cw?.dispose();
});

/** Fills the tmpfs so that `leaveBytes` stay free. */
function fill(leaveBytes: number): void {
  rmSync(join(results, '.filler'), { force: true });
  const free = statfsSync(results).bavail * statfsSync(results).bsize;
  writeFileSync(join(results, '.filler'), Buffer.alloc(Math.max(0, free - leaveBytes)));
}

describe.skipIf(!canMount)('scenario 5: disk full while writing results', () => {
  for (const [what, leave] of [['no space at all', 0], ['room for a few pages', 12 * 1024]] as const) {
    it(`${what}: one clear error, previous results untouched, nothing half-written left`, async () => {
      fill(leave);
      faults++;
      const r = await cw.evaluate({}, ['--sampleLimit=6']);
      runs++;
      // Each cell's folder is either its previous results, byte for byte, or a complete new set (a small cell may
      // still fit); never a mix, never partial.
      const now = cw.rawResults();
      let failedCells = 0;
      for (const cell of ['qwen3-4b/chaos/gsm8k', 'qwen3-4b/chaos/arc-easy']) {
        const files = Object.keys(previous).filter((f) => f.startsWith(`${cell}/`));
        const unchanged = files.every((f) => now[f] === previous[f]);
        if (unchanged) {
          failedCells++;
          continue;
        }
        const metrics = JSON.parse(now[`${cell}/metrics.json`]);
        const complete = metrics.complete === true && metrics.n === 6 && now[`${cell}/samples.jsonl`].trim().split('\n').length === 6;
        if (!complete) lost++;
        expect(complete, `${cell}: neither the previous results nor a complete new set`).toBe(true);
      }
      expect(failedCells).toBeGreaterThanOrEqual(1);
      expect(listFiles(results).filter((f) => !f.startsWith('c/logs/') && f !== '.filler'), 'half-written files or staging folders left').toEqual(Object.keys(previous).map((f) => `c/${f}`).sort());
      expect(await cw.waitClean()).toEqual([]);
      expectClearFailure(r, /no space left on device/i, what);
      expect(r.out).toMatch(/results\/c\/qwen3-4b\/chaos\/(gsm8k|arc-easy)/);
    });
  }

  it('with space again, the same run completes', async () => {
    rmSync(join(results, '.filler'), { force: true });
    const r = await cw.evaluate({}, ['--sampleLimit=6']);
    runs++;
    expectSuccess(r, 'after freeing space');
    completed++;
    expect(JSON.parse(cw.ws.read('results/c/qwen3-4b/chaos/gsm8k/metrics.json')).n).toBe(6);
    expect(await cw.waitClean()).toEqual([]);
  });
});
