import { existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_PIPELINE, ChaosWorkspace } from './helpers/chaos-workspace';
import { expectClearFailure, expectSuccess } from './helpers/expect-run';
import { recordFigure } from './helpers/figures';
import { referenceResults } from './helpers/reference';

// Scenario 4: a corrupted or truncated request-cache database, a truncated results file, and a damaged Nx cache
// entry: detected, reported, and recovered by recomputing only what was damaged.
const GSM8K_CELL = 'cell-c--qwen3-4b--gsm8k';
const SAMPLES = 'results/c/qwen3-4b/chaos/gsm8k/samples.jsonl';

let cw: ChaosWorkspace;
let reference: Record<string, unknown>;
let faults = 0;
let runs = 0;
let completed = 0;
let lost = 0;

beforeAll(async () => {
  reference = await referenceResults(BASE_PIPELINE);
  cw = new ChaosWorkspace();
  const r = await cw.evaluate();
  runs++;
  expectSuccess(r, 'first run');
  completed++;
});
afterAll(async () => {
  recordFigure({ scenario: '4 corrupted cache / truncated results', faults, runs, completed, resultsLost: lost, note: 'each damage detected and reported; only the damaged part recomputed' });
  await cw?.dispose();
});

function checkResults(): void {
  const results = cw.results();
  if (JSON.stringify(results) !== JSON.stringify(reference)) lost++;
  expect(results).toEqual(reference);
}

const DAMAGE: Record<string, (file: string) => void> = {
  'truncated to half its size': (f) => truncateSync(f, Math.floor(statSync(f).size / 2)),
  'a page in the middle overwritten with garbage': (f) => {
    const fd = openSync(f, 'r+');
    const pageSize = 4096;
    const pages = Math.floor(statSync(f).size / pageSize);
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, Math.max(1, Math.floor(pages / 2)) * pageSize);
    closeSync(fd);
  },
  'its header overwritten': (f) => {
    const fd = openSync(f, 'r+');
    writeSync(fd, Buffer.from('this is not an SQLite database, it was overwritten by the chaos suite'), 0, 64, 0);
    closeSync(fd);
  },
};

describe('scenario 4: damaged caches and results are detected, reported and repaired', () => {
  for (const [what, damage] of Object.entries(DAMAGE)) {
    it(`request cache ${what}: moved aside with a warning, and only the cell that runs resends its requests`, async () => {
      // A fully written cache: run the gsm8k cell once without the Nx cache so its rows are there.
      expect(cw.requestCache().integrity).toBe('ok');
      damage(cw.requestCacheFile);
      faults++;
      const sentBefore = cw.requests().length;
      const r = await cw.run(['run', `${GSM8K_CELL}:evaluate`, '--skip-nx-cache', '--outputStyle=static']);
      runs++;
      expectSuccess(r, what);
      completed++;
      expect(r.out).toMatch(/warning: request cache .*request-cache\.sqlite is corrupted \(.*\); moved it to .*\.corrupt-\S+ and started an empty cache/);
      const aside = readdirSync(dirname(cw.requestCacheFile)).filter((f) => f.startsWith('request-cache.sqlite.corrupt-') && !/-(wal|shm)$/.test(f));
      expect(aside.length).toBeGreaterThanOrEqual(1);
      expect(cw.requestCache().integrity).toBe('ok');
      // Only gsm8k's 5 requests were sent again; arc-easy stayed restored from the Nx cache and sent nothing.
      expect(cw.requests().slice(sentBefore).filter((q) => q.path === '/v1/chat/completions')).toHaveLength(5);
      expect(cw.requests().slice(sentBefore).filter((q) => q.path === '/v1/completions')).toHaveLength(0);
      checkResults();
      expect(await cw.waitClean()).toEqual([]);
      for (const f of aside) rmSync(join(dirname(cw.requestCacheFile), f), { force: true });
    });
  }

  it('a truncated samples.jsonl: Nx sees the output differs from its cache and restores exactly that file', async () => {
    const good = readFileSync(join(cw.root, SAMPLES), 'utf8');
    truncateSync(join(cw.root, SAMPLES), Math.floor(good.length / 2));
    faults++;
    cw.ws.executed();
    const sentBefore = cw.requests().length;
    const r = await cw.evaluate();
    runs++;
    expectSuccess(r, 'truncated samples');
    completed++;
    // Reported: the damaged cell's line says it was restored from the cache; nothing executes, nothing is sent.
    expect(r.out).toMatch(new RegExp(`nx run ${GSM8K_CELL}:evaluate\\s+\\[local cache\\]`));
    expect(cw.ws.executed()).toEqual([]);
    expect(cw.requests().length).toBe(sentBefore);
    // Restored whole: the cached bytes of that cell's last cached run, equal (but for latencies) to the reference.
    expect(readFileSync(join(cw.root, SAMPLES), 'utf8').endsWith('\n')).toBe(true);
    checkResults();
  });

  it('a truncated samples.jsonl whose Nx cache entry is gone too: only that cell re-runs, from the request cache', async () => {
    const good = readFileSync(join(cw.root, SAMPLES), 'utf8');
    truncateSync(join(cw.root, SAMPLES), Math.floor(good.length / 3));
    // Every cache entry holding this cell's outputs (earlier scenarios may have cached it under more than one hash).
    const cacheDir = join(cw.root, '.nx/cache');
    const entries = readdirSync(cacheDir).filter((e) => existsSync(join(cacheDir, e, SAMPLES)));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) rmSync(join(cacheDir, e), { recursive: true, force: true });
    faults++;
    cw.ws.executed();
    const sentBefore = cw.requests().length;
    const r = await cw.evaluate();
    runs++;
    expectSuccess(r, 'truncated samples, cache entry gone');
    completed++;
    expect(cw.ws.executed()).toEqual(['c:qwen3-4b/gsm8k']);
    expect(cw.requests().length).toBe(sentBefore);
    checkResults();
    expect(await cw.waitClean()).toEqual([]);
  });

  it('a damaged Nx cache entry (samples.jsonl cut at a line boundary): restored without a word by Nx, caught by compare by name with the fix', async () => {
    // Every cache entry holding this cell's samples is cut to its first two lines: each line still parses.
    const cacheDir = join(cw.root, '.nx/cache');
    const entries = readdirSync(cacheDir).filter((e) => existsSync(join(cacheDir, e, SAMPLES)));
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      const f = join(cacheDir, e, SAMPLES);
      writeFileSync(f, readFileSync(f, 'utf8').split('\n').slice(0, 2).join('\n') + '\n');
    }
    rmSync(join(cw.root, dirname(SAMPLES)), { recursive: true, force: true });
    faults++;
    cw.ws.executed();
    const sentBefore = cw.requests().length;
    const evaluated = await cw.evaluate();
    runs++;
    // Nx restores the damaged entry as a cache hit and reports success: the damage is invisible here.
    expectSuccess(evaluated, 'damaged cache entry, evaluate');
    completed++;
    expect(evaluated.out).toMatch(new RegExp(`nx run ${GSM8K_CELL}:evaluate\\s+\\[local cache\\]`));
    expect(readFileSync(join(cw.root, SAMPLES), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    // compare (and so report and readiness, which depend on it) refuses the cell, names it and gives the fix.
    const compared = await cw.run(['run', 'pipeline-c:compare', '--outputStyle=static']);
    runs++;
    expectClearFailure(compared, /pipeline c: qwen3-4b\/gsm8k: damaged result files in results\/c\/qwen3-4b\/chaos\/gsm8k, so nothing was compared or reported: samples\.jsonl is not the file written with the cell \(cut short: \d+ of \d+ bytes/, 'compare');
    expect(compared.out).toContain(`fix: re-run it: npx evalgraph cache prune --damaged && npx nx run ${GSM8K_CELL}:evaluate`);
    // --skip-nx-cache alone is no fix: nx stores nothing from such a run, so the damaged entry stays and comes back.
    expectSuccess(await cw.run(['run', `${GSM8K_CELL}:evaluate`, '--skip-nx-cache', '--outputStyle=static']), 'skip-nx-cache');
    runs++;
    completed++;
    cw.ws.executed();
    expect(readFileSync(join(cacheDir, entries[0], SAMPLES), 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
    // The fix as printed: the damaged entries go, the cell re-runs from the request cache (nothing sent) and is
    // stored whole, and compare passes.
    const pruned = spawnSync(process.execPath, [join(cw.root, 'tools/evalgraph-plugin/bin/evalgraph.js'), 'cache', 'prune', '--damaged'], { cwd: cw.root, encoding: 'utf8' });
    expect(pruned.status, `${pruned.stdout}${pruned.stderr}`).toBe(0);
    expect(pruned.stdout).toMatch(new RegExp(`^nx\\s+removed ${entries.length} damaged task results .*samples\\.jsonl is not the file written with the cell`, 'm'));
    const fixed = await cw.run(['run', `${GSM8K_CELL}:evaluate`, '--outputStyle=static']);
    runs++;
    expectSuccess(fixed, 'the printed fix');
    completed++;
    expect(cw.ws.executed()).toEqual(['c:qwen3-4b/gsm8k']);
    expect(cw.requests().length).toBe(sentBefore);
    const again = await cw.run(['run', 'pipeline-c:compare', '--outputStyle=static']);
    runs++;
    expectSuccess(again, 'compare after the fix');
    completed++;
    // The reference holds cell results only: compare's summary is no part of it.
    rmSync(join(cw.root, 'results/c/compare'), { recursive: true, force: true });
    checkResults();
    // The rewritten cache entry is whole: deleting the results and restoring them gives the full cell back.
    rmSync(join(cw.root, dirname(SAMPLES)), { recursive: true, force: true });
    expectSuccess(await cw.evaluate(), 'restore after the fix');
    runs++;
    completed++;
    expect(cw.ws.executed()).toEqual([]);
    checkResults();
    expect(await cw.waitClean()).toEqual([]);
  });
});
