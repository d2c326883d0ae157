import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_PIPELINE, ChaosWorkspace, type StandinEvent } from './helpers/chaos-workspace';
import { expectSuccess } from './helpers/expect-run';
import { recordFigure } from './helpers/figures';
import { seeded, sleep } from './helpers/processes';
import { referenceResults } from './helpers/reference';

// Scenario 3: two `nx run-many -t evaluate` on one workspace at once, the second started at several offsets.
// The chaos preset takes 0.6 × 79.6 GiB per server, so two servers of it never fit the h100-80gb profile together.
const SEED = Number(process.env.EVALGRAPH_CHAOS_SEED ?? 8_2024) + 3;

/** [start, end] of every stand-in server, by pid, from the event log. */
function serverIntervals(events: StandinEvent[]): { pid: number; model: string; start: number; end: number }[] {
  const byPid = new Map<number, { pid: number; model: string; start: number; end: number }>();
  for (const e of events) {
    if (e.event === 'start') byPid.set(e.pid, { pid: e.pid, model: e.model, start: e.time, end: Infinity });
    else if (e.event === 'stop' || e.event === 'crash' || e.event === 'oom') {
      const i = byPid.get(e.pid);
      if (i) i.end = Math.min(i.end, e.time);
    }
  }
  return [...byPid.values()].sort((a, b) => a.start - b.start);
}

/** Results with the preset's file hash left out (each round edits a comment in it to get fresh Nx hashes). */
function withoutPresetHash(results: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(results).map(([f, v]) => {
      if (!f.endsWith('run.json')) return [f, v];
      const r = v as { config_hashes: Record<string, string> };
      const { preset: _p, ...hashes } = r.config_hashes;
      return [f, { ...r, config_hashes: hashes }];
    }),
  );
}

let cw: ChaosWorkspace | undefined;
afterAll(async () => cw?.dispose());

describe('scenario 3: two nx run-many -t evaluate at once on one workspace', () => {
  it('both finish, results are correct, caches intact, never two servers of one model on the GPU at once', async () => {
    const reference = withoutPresetHash(await referenceResults(BASE_PIPELINE));
    cw = new ChaosWorkspace();
    const rng = seeded(SEED);
    const offsets = [0, 300 + Math.floor(rng() * 2000), 2500 + Math.floor(rng() * 2500)];
    let runs = 0;
    let completed = 0;
    let lost = 0;
    const notes: string[] = [];
    for (const [round, offset] of offsets.entries()) {
      // Fresh Nx hashes (a comment in the preset) and an empty request cache, so both runs need a server.
      cw.ws.edit('configs/presets/chaos.yaml', (s) => `${s.replace(/^# round.*\n/m, '')}# round ${round}\n`);
      for (const suffix of ['', '-wal', '-shm']) rmSync(cw.requestCacheFile + suffix, { force: true });
      rmSync(join(cw.root, 'results'), { recursive: true, force: true });
      const eventsBefore = cw.events().length;
      const a = cw.start(['run-many', '-t', 'evaluate', '-p', 'pipeline-c', '--outputStyle=static']);
      await sleep(offset);
      const b = cw.start(['run-many', '-t', 'evaluate', '-p', 'pipeline-c', '--outputStyle=static']);
      const [ra, rb] = await Promise.all([a.done, b.done]);
      runs += 2;
      expectSuccess(ra, `round ${round} first run`);
      expectSuccess(rb, `round ${round} second run (started ${offset} ms later)`);
      completed += 2;
      expect(await cw.waitClean()).toEqual([]);

      const results = withoutPresetHash(cw.results());
      if (JSON.stringify(results) !== JSON.stringify(reference)) lost++;
      expect(results).toEqual(reference);
      expect(cw.requestCache().integrity).toBe('ok');
      for (const f of Object.keys(cw.rawResults())) if (f.endsWith('.json')) JSON.parse(readFileSync(join(cw.root, 'results/c', f), 'utf8'));

      const servers = serverIntervals(cw.events().slice(eventsBefore));
      expect(servers.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < servers.length; i++) {
        const prev = servers.filter((s, j) => j < i && s.model === servers[i].model);
        for (const p of prev) expect(servers[i].start, `server ${servers[i].pid} started while ${p.pid} of the same model was up`).toBeGreaterThanOrEqual(p.end);
      }
      notes.push(`offset ${offset} ms: ${servers.length} server(s), one at a time`);
    }

    // The Nx cache both runs wrote is intact: with results/ deleted, everything is restored and nothing runs.
    const before = cw.rawResults();
    rmSync(join(cw.root, 'results'), { recursive: true, force: true });
    cw.ws.executed();
    const restore = await cw.evaluate();
    runs++;
    expectSuccess(restore, 'restore');
    completed++;
    expect(cw.ws.executed()).toEqual([]);
    expect(cw.rawResults()).toEqual(before);
    recordFigure({ scenario: '3 two concurrent run-many', faults: offsets.length, runs, completed, resultsLost: lost, note: notes.join('; ') });
  });
});
