import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_PIPELINE, ChaosWorkspace, type Running } from './helpers/chaos-workspace';
import { recordFigure } from './helpers/figures';
import { seeded, sleep, waitUntil } from './helpers/processes';
import { referenceResults } from './helpers/reference';
import { requestKeyOf } from './helpers/request-keys';

// Scenario 1: SIGKILL of `nx`, and separately of a task process Nx forked, at seeded random moments, ten times
// in a row, then a clean re-run. EVALGRAPH_CHAOS_SEED replays a failure.
const SEED = Number(process.env.EVALGRAPH_CHAOS_SEED ?? 8_2024);
const KILLS = 10;
// Slow enough that request-count kills land while requests are in flight, fast enough to keep the suite short.
const ENV = { STANDIN_LATENCY_MS: '60' };
const EVALUATE = ['run-many', '-t', 'evaluate', '-p', 'pipeline-c', '--outputStyle=static'];

type Plan = { kind: 'time'; ms: number } | { kind: 'requests'; n: number };

function plan(rng: () => number): Plan {
  return rng() < 0.5 ? { kind: 'time', ms: 300 + Math.floor(rng() * 4500) } : { kind: 'requests', n: 1 + Math.floor(rng() * 6) };
}

const describePlan = (p: Plan) => (p.kind === 'time' ? `${p.ms} ms after start` : `after ${p.n} new request(s)`);

/** Waits for the plan's moment, then SIGKILLs nx or one of its task processes; returns what was killed, or null if the run ended first. */
async function strike(cw: ChaosWorkspace, run: Running, p: Plan, target: 'nx' | 'task', logStart: number): Promise<string | null> {
  let ended = false;
  void run.done.then(() => (ended = true));
  if (p.kind === 'time') await waitUntil(() => ended || Date.now() - run.startedAt >= p.ms, 60_000, 20);
  else await waitUntil(() => ended || cw.requests().length >= logStart + p.n, 60_000, 20);
  if (ended) return null;
  if (target === 'nx') {
    process.kill(run.pid, 'SIGKILL');
    return `nx (pid ${run.pid})`;
  }
  // A task process: the evaluate batch when it runs, else whichever task (prepare, check) is running now.
  let victim = run.tasks().find((t) => t.args.includes('run-batch')) ?? run.tasks()[0];
  if (!victim) {
    await waitUntil(() => ended || run.tasks().length > 0, 30_000, 20);
    victim = run.tasks()[0];
  }
  if (!victim || ended) return null;
  try {
    process.kill(victim.pid, 'SIGKILL');
  } catch {
    return null;
  }
  return `task process ${victim.pid} (${victim.args.replace(/.*\/(run-batch|run-executor|fork)\.js.*/, '$1')})`;
}

let cw: ChaosWorkspace | undefined;
afterAll(async () => cw?.dispose());

describe('scenario 1: SIGKILL at random moments, 10 in a row, then a clean re-run', () => {
  for (const target of ['nx', 'task'] as const) {
    it(`kills of ${target === 'nx' ? 'nx itself' : 'a task process'} lose nothing and resend no finished request`, async () => {
      const reference = await referenceResults(BASE_PIPELINE, ENV);
      cw = new ChaosWorkspace({ c: BASE_PIPELINE }, ENV);
      const rng = seeded(SEED + (target === 'nx' ? 0 : 1));
      const keyOf = requestKeyOf(cw.root, 'qwen3-4b', 'chaos', 'h100-80gb');
      const log: string[] = [];
      // finishedBefore[i]: request-cache keys when run i started; logFrom[i]: where run i's requests begin in the log.
      const finishedBefore: Set<string>[] = [];
      const logFrom: number[] = [];
      let faults = 0;
      let runs = 0;
      let completed = 0;
      while (faults < KILLS && runs < KILLS + 6) {
        const p = plan(rng);
        finishedBefore.push(cw.requestCache().keys);
        logFrom.push(cw.requests().length);
        const run = cw.start(EVALUATE);
        const killed = await strike(cw, run, p, target, logFrom[runs]);
        const r = await run.done;
        runs++;
        if (killed) faults++;
        else if (r.status === 0) completed++;
        log.push(`run ${runs}: ${killed ? `killed ${killed} ${describePlan(p)}` : `not killed (${describePlan(p)} came after the end), exit ${r.status}`}`);
        if (!killed) expect(r.status, r.out).toBe(0);
        const left = await cw.waitClean();
        expect(left, `${log.join('\n')}\nleft behind:\n${left.map((l) => `${l.pid} ${l.args.slice(0, 160)}`).join('\n')}`).toEqual([]);
        expect(cw.requestCache().integrity, log.join('\n')).toMatch(/^(ok|absent)$/);
      }
      expect(faults, log.join('\n')).toBe(KILLS);

      finishedBefore.push(cw.requestCache().keys);
      logFrom.push(cw.requests().length);
      const clean = await cw.evaluate();
      runs++;
      expect(clean.status, `${log.join('\n')}\n${clean.out}`).toBe(0);
      completed++;
      expect(await cw.waitClean()).toEqual([]);

      // No request whose answer was already in the request cache when a run started was sent by that run.
      const requests = cw.requests();
      const finalKeys = cw.requestCache().keys;
      let resent = 0;
      for (let i = 0; i < logFrom.length; i++) {
        const end = logFrom[i + 1] ?? requests.length;
        for (const req of requests.slice(logFrom[i], end)) {
          const key = keyOf(req.body);
          // The key function is checked too: every body sent is in the final cache under the key it maps to.
          expect(finalKeys.has(key), `key mapping of ${JSON.stringify(req.body).slice(0, 200)}`).toBe(true);
          if (finishedBefore[i].has(key)) resent++;
        }
      }
      expect(resent, log.join('\n')).toBe(0);

      // Final results equal an uninterrupted run in another workspace.
      const results = cw.results();
      const lost = Object.keys(reference).filter((f) => JSON.stringify(results[f]) !== JSON.stringify(reference[f])).length;
      expect(results).toEqual(reference);

      // The Nx cache is intact: with results/ deleted, a run restores the same bytes and executes nothing.
      const before = cw.rawResults();
      rmSync(join(cw.root, 'results'), { recursive: true, force: true });
      cw.ws.executed();
      const restore = await cw.evaluate();
      runs++;
      expect(restore.status, restore.out).toBe(0);
      completed++;
      expect(cw.ws.executed()).toEqual([]);
      expect(cw.rawResults()).toEqual(before);
      expect(cw.requestCache().integrity).toBe('ok');
      expect(await cw.waitClean()).toEqual([]);

      recordFigure({
        scenario: `1 SIGKILL ${target === 'nx' ? 'nx' : 'task process'} (seed ${SEED + (target === 'nx' ? 0 : 1)})`,
        faults,
        runs,
        completed,
        resultsLost: lost,
        note: `${requests.length} requests sent in all, ${resent} finished ones resent; kills: ${log.filter((l) => l.includes('killed')).map((l) => l.replace(/^run \d+: killed /, '').replace(/ \(pid \d+\)| process \d+/, '')).join('; ')}`,
      });
      await cw.dispose();
      cw = undefined;
      await sleep(0);
    });
  }
});
