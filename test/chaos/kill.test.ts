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
const ENV = { STANDIN_LATENCY_MS: '100' };
const EVALUATE = ['run-many', '-t', 'evaluate', '-p', 'pipeline-c', '--outputStyle=static'];
// gsm8k 5 chat requests + arc-easy 5 questions × 4 choices.
const TOTAL_REQUESTS = 25;

/**
 * When to strike, by what the run is doing rather than by the clock alone, so the faults land in every phase on
 * a fast machine and a loaded one alike: during nx's start-up (project graph), when a task process appears
 * (prepare, check, the evaluate batch), or after the k-th request of the run reached the server.
 */
type Plan = { kind: 'startup'; ms: number } | { kind: 'task'; ms: number } | { kind: 'requests'; n: number };

function plan(rng: () => number): Plan {
  const r = rng();
  if (r < 0.2) return { kind: 'startup', ms: 50 + Math.floor(rng() * 350) };
  if (r < 0.5) return { kind: 'task', ms: Math.floor(rng() * 250) };
  return { kind: 'requests', n: 1 + Math.floor(rng() * 3) };
}

const describePlan = (p: Plan) =>
  p.kind === 'startup' ? `${p.ms} ms into start-up` : p.kind === 'task' ? `${p.ms} ms after a task process appeared` : `after ${p.n} new request(s)`;

/** Waits for the plan's moment, then SIGKILLs nx or one of its task processes; returns what was killed, or null if the run ended first. */
async function strike(cw: ChaosWorkspace, run: Running, p: Plan, target: 'nx' | 'task', logStart: number): Promise<string | null> {
  let ended = false;
  void run.done.then(() => (ended = true));
  // With every request already answered, no request will come: strike when the batch starts instead.
  const q: Plan = p.kind === 'requests' && cw.requestCache().keys.size >= TOTAL_REQUESTS ? { kind: 'task', ms: 0 } : p;
  if (q.kind === 'startup') await waitUntil(() => ended || Date.now() - run.startedAt >= q.ms, 60_000, 10);
  else if (q.kind === 'task') {
    await waitUntil(() => ended || run.tasks().length > 0, 120_000, 10);
    await sleep(q.ms);
  } else await waitUntil(() => ended || cw.requests().length >= logStart + q.n, 120_000, 10);
  if (ended) return null;
  if (target === 'nx') {
    process.kill(run.pid, 'SIGKILL');
    return `nx (pid ${run.pid})`;
  }
  // A task process: the evaluate batch when it runs, else whichever task (prepare, check) is running now.
  let victim = run.tasks().find((t) => t.args.includes('run-batch')) ?? run.tasks()[0];
  if (!victim) {
    await waitUntil(() => ended || run.tasks().length > 0, 120_000, 10);
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

describe('scenario 1: SIGKILL of nx during a long cell', () => {
  it('the orphaned batch worker stops at once, with its server, instead of finishing cells nobody will receive', async () => {
    // 25 requests at 2 s each, two at a time: about 25 s of work left when nx dies after the second request.
    const long = new ChaosWorkspace();
    try {
      const run = long.start(EVALUATE, { STANDIN_LATENCY_MS: '2000' });
      expect(await waitUntil(() => long.requests().length >= 2, 120_000, 50)).toBe(true);
      process.kill(run.pid, 'SIGKILL');
      await run.done;
      const sentAtKill = long.requests().length;
      const left = await long.waitClean(8000);
      expect(left.map((p) => p.args.slice(0, 120)), 'still running 8 s after nx was killed').toEqual([]);
      // Requests already in flight may land; no new one may start once the worker knows nx is gone.
      expect(long.requests().length).toBeLessThanOrEqual(sentAtKill + 2);
      // The orphaned worker removed its staging folder before it exited (a later cache hit would never clean it).
      expect(long.stagingLeft()).toEqual([]);
      recordFigure({ scenario: '1 SIGKILL nx during a long cell', faults: 1, runs: 1, completed: 0, resultsLost: 0, note: `worker and server gone within 8 s; ${long.requests().length - sentAtKill} request(s) after the kill` });
    } finally {
      await long.dispose();
    }
  });
});

describe('scenario 1: SIGKILL at random moments, 10 in a row, then a clean re-run', () => {
  for (const target of ['nx', 'task'] as const) {
    it(`kills of ${target === 'nx' ? 'nx itself' : 'a task process'} lose nothing and resend no finished request`, async () => {
      const reference = await referenceResults(BASE_PIPELINE);
      await cw?.dispose(); // a failed first series must not leak its workspace
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
      let orphanWorkers = 0;
      const kills: string[] = [];
      while (faults < KILLS && runs < KILLS + 6) {
        const p = plan(rng);
        finishedBefore.push(cw.requestCache().keys);
        logFrom.push(cw.requests().length);
        // nx kills alternate between plugins in isolated workers (Nx's default) and in-process.
        const run = cw.start(EVALUATE, target === 'nx' && runs % 2 === 0 ? { NX_ISOLATE_PLUGINS: 'true' } : {});
        const killed = await strike(cw, run, p, target, logFrom[runs]);
        const r = await run.done;
        runs++;
        if (killed) {
          faults++;
          kills.push(`${killed.replace(/ \(?pid \d+\)?| process \d+/, '')} ${describePlan(p)}`);
        }
        else if (r.status === 0) completed++;
        log.push(`run ${runs}: ${killed ? `killed ${killed} ${describePlan(p)}` : `not killed (${describePlan(p)} came after the end), exit ${r.status}`}`);
        if (!killed) expect(r.status, r.out).toBe(0);
        const left = await cw.waitClean();
        expect(left, `${log.join('\n')}\nleft behind:\n${left.map((l) => `${l.pid} ${l.args.slice(0, 160)}`).join('\n')}`).toEqual([]);
        expect(cw.requestCache().integrity, log.join('\n')).toMatch(/^(ok|absent)$/);
        // A worker orphaned by a kill of nx cleans up before it exits; a killed task process cannot, and its cell's next run does.
        if (target === 'nx') expect(cw.stagingLeft(), log.join('\n')).toEqual([]);
        // Nx's plugin workers orphaned by a kill during graph construction exit on their own within 60 s; counted, then ended.
        orphanWorkers += cw.orphanPluginWorkers().length;
        await cw.killLeftovers();
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
        note: `${requests.length} requests sent in all, ${resent} finished ones resent, ${orphanWorkers} orphaned Nx plugin workers (Nx's, they exit within 60 s); kills: ${kills.join('; ')}`,
      });
      await cw.dispose();
      cw = undefined;
    });
  }
});
