import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Scratch } from '../../test/helpers/scratch-workspace';
import { row, type Row } from '../lib/results';
import { clearRunState, executedCount, nxCommand, nxTimed, saltCells } from '../lib/workspace';
import type { ItemOutput } from './cached-rerun';

/** [start, end] ms of every cell's in-cell work (run.json started_at → finished_at) under results/<pipeline>. */
function cellIntervals(root: string, pipeline: string): [number, number][] {
  const out: [number, number][] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'run.json') {
        const r = JSON.parse(readFileSync(p, 'utf8')) as { started_at: string; finished_at: string };
        out.push([Date.parse(r.started_at), Date.parse(r.finished_at)]);
      }
    }
  };
  const dir = path.join(root, 'results', pipeline);
  if (existsSync(dir)) walk(dir);
  return out;
}

/** Length of the union of intervals: the time during which at least one cell was doing its own work. */
function unionMs(iv: [number, number][]): number {
  const s = [...iv].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | null = null;
  for (const [a, b] of s) {
    if (!cur || a > cur[1]) {
      if (cur) total += cur[1] - cur[0];
      cur = [a, b];
    } else cur[1] = Math.max(cur[1], b);
  }
  if (cur) total += cur[1] - cur[0];
  return total;
}

function jsonLines<T>(file: string): T[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T) : [];
}

/**
 * Item 3: per-cell orchestration overhead of dummy cells (wall time of `nx run-many` minus the union of the cells'
 * own work, per cell; and the marginal cost from two pipeline sizes), and the time from `nx run-many` to the first
 * request reaching the stand-in vLLM (its STANDIN_REQUEST_LOG) on a vllm-backend pipeline.
 */
export async function scheduling(ws: Scratch, o: { repeats: number; large: { pipeline: string; cells: number }; small: { pipeline: string; cells: number }; standin: { pipeline: string; vllm: string }; log: (s: string) => void }): Promise<ItemOutput> {
  const m: Record<string, number[]> = { showS: [], largeWall: [], largeWork: [], smallWall: [], smallWork: [], firstReq: [], firstAny: [], spawn: [], ready: [], stop: [], tail: [], standinWall: [] };
  const execCounts: number[] = [];
  const runPipeline = async (p: string, n: number, wallKey: string, workKey: string) => {
    const before = executedCount(ws);
    const r = await nxTimed(ws, ['run-many', '-t', 'evaluate', '-p', `pipeline-${p}`, '--outputStyle=static']);
    const ran = executedCount(ws) - before;
    execCounts.push(ran);
    if (ran !== n) throw new Error(`${p}: ${ran} of ${n} cells executed:\n${r.out.slice(-2000)}`);
    const iv = cellIntervals(ws.root, p);
    if (iv.length !== n) throw new Error(`${p}: ${iv.length} run.json files for ${n} cells`);
    m[wallKey].push(r.seconds * 1000);
    m[workKey].push(unionMs(iv));
  };
  const reqLog = path.join(ws.root, '.bench-standin-requests.jsonl');
  const evLog = path.join(ws.root, '.bench-standin-events.jsonl');
  for (let i = 0; i < o.repeats; i++) {
    const show = await nxTimed(ws, ['show', 'projects']);
    m.showS.push(show.seconds);
    saltCells(ws, `sched-${i}-${Date.now()}`);
    clearRunState(ws);
    await runPipeline(o.small.pipeline, o.small.cells, 'smallWall', 'smallWork');
    await runPipeline(o.large.pipeline, o.large.cells, 'largeWall', 'largeWork');
    // The stand-in vLLM (load delay 0): spawn, health/models probes, GPU lease, first generation request.
    rmSync(reqLog, { force: true });
    rmSync(evLog, { force: true });
    const r = await nxTimed(ws, ['run-many', '-t', 'evaluate', '-p', `pipeline-${o.standin.pipeline}`, '--outputStyle=static'], { EVALGRAPH_VLLM: o.standin.vllm, STANDIN_LOAD_DELAY_MS: '0', STANDIN_REQUEST_LOG: reqLog, STANDIN_EVENT_LOG: evLog });
    const reqs = jsonLines<{ time: number; probe: boolean }>(reqLog);
    const evs = jsonLines<{ event: string; time: number }>(evLog);
    const first = reqs.find((x) => !x.probe);
    if (!first) throw new Error(`no request reached the stand-in:\n${r.out.slice(-2000)}`);
    m.firstReq.push((first.time - r.startedAt) / 1000);
    m.firstAny.push((reqs[0].time - r.startedAt) / 1000);
    m.spawn.push(((evs.find((e) => e.event === 'start')?.time ?? NaN) - r.startedAt) / 1000);
    m.ready.push(((evs.find((e) => e.event === 'ready')?.time ?? NaN) - r.startedAt) / 1000);
    m.stop.push(((evs.find((e) => e.event === 'stop')?.time ?? NaN) - r.startedAt) / 1000);
    m.standinWall.push(r.seconds);
    m.tail.push(r.seconds - m.stop[i]);
    o.log(`  repeat ${i + 1}: ${o.small.cells} cells ${(m.smallWall[i] / 1000).toFixed(2)} s (work ${(m.smallWork[i] / 1000).toFixed(2)} s), ${o.large.cells} cells ${(m.largeWall[i] / 1000).toFixed(2)} s (work ${(m.largeWork[i] / 1000).toFixed(2)} s); stand-in first request after ${m.firstReq[i].toFixed(2)} s`);
  }
  const perCell = m.largeWall.map((w, i) => (w - m.largeWork[i]) / o.large.cells);
  const wallPerCell = m.largeWall.map((w) => w / o.large.cells);
  const marginal = m.largeWall.map((w, i) => (w - m.largeWork[i] - (m.smallWall[i] - m.smallWork[i])) / (o.large.cells - o.small.cells));
  const rows: Row[] = [
    row({ item: '3', name: `orchestration overhead per cell, ${o.large.cells} dummy cells (fixed nx cost included)`, unit: 'ms', values: perCell, baseline: { name: 'wall time per cell', values: wallPerCell }, target: { op: '<=', bound: 150, on: 'value', text: '≤ 150 ms a cell' }, note: '(wall − union of the cells’ own work) / cells; ratio = share of the wall time' }),
    row({ item: '3', name: `marginal orchestration cost per added cell (${o.small.cells} → ${o.large.cells} cells)`, unit: 'ms', values: marginal, target: { op: '<=', bound: 150, on: 'value', text: '≤ 150 ms a cell' }, note: 'difference of the two overheads / difference in cells: the fixed nx start-up cancels' }),
    row({ item: '3', name: '`nx run-many` start → first generation request at the stand-in vLLM', unit: 's', values: m.firstReq, baseline: { name: '`nx show projects` (same workspace)', values: m.showS }, note: `stand-in spawned after ${m.spawn.map((x) => x.toFixed(2)).join('/')} s, ready ${m.ready.map((x) => x.toFixed(2)).join('/')} s, first probe ${m.firstAny.map((x) => x.toFixed(2)).join('/')} s (load delay 0)` }),
    row({ item: '3', name: 'stand-in spawn → first generation request (server start, health and model probes, GPU lease; per model server)', unit: 's', values: m.firstReq.map((f, i) => f - m.spawn[i]) }),
    row({ item: '3', name: 'last cell done (server stopped) → `nx run-many` exits', unit: 's', values: m.tail, note: 'Nx SIGTERMs the finished batch worker; it exits at once since it releases its signal handlers when the batch ends (it used to wait 5 s for Nx’s SIGKILL)' }),
  ];
  return {
    rows,
    raw: { ms: m, perCell, marginal, executed: execCounts },
    commands: [
      { what: 'dummy cells (cold: cells salted, results and request cache removed)', command: `${nxCommand(['run-many', '-t', 'evaluate', '-p', `pipeline-${o.small.pipeline}`])} ; ${nxCommand(['run-many', '-t', 'evaluate', '-p', `pipeline-${o.large.pipeline}`])}` },
      { what: 'stand-in vLLM', command: `EVALGRAPH_VLLM=libs/inference/test/fixtures/standin-vllm/vllm STANDIN_LOAD_DELAY_MS=0 STANDIN_REQUEST_LOG=... ${nxCommand(['run-many', '-t', 'evaluate', '-p', `pipeline-${o.standin.pipeline}`])}` },
    ],
    notes: [
      `Item 3: in-cell work is each cell's run.json started_at → finished_at (building requests, inference, scoring); everything else in the wall time — nx start-up and project graph, hashing, cache checks and writes, loading configs and prepared data, server start and lease, writing results — counts as orchestration. Dummy cells use ${o.large.cells / 17} variants × 17 datasets at 5 samples (code datasets run the sandbox).`,
    ],
  };
}
