import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelConfig, serverMemoryGiB } from '@evalgraph/core';
import { GpuLeaseImpossibleError } from '../src/errors';
import { GpuLeaseManager } from '../src/gpu-lease';
import type { ModelServer } from '../src/model-server';
import type { ManagedServer, StopReport } from '../src/server';
import { ServerPool } from '../src/server-pool';
import type { ServerSpec } from '../src/types';
import { buildVllmServeArgs } from '../src/vllm-args';
import { gpu, preset, qwen3Model, spec, tempRoot } from './helpers';

let root: string;
let cleanup: () => void;
beforeAll(() => ({ root, cleanup } = tempRoot('evalgraph-mgpu-')));
afterAll(() => cleanup());

const H100 = 79.6;
const req = (key: string, over = {}) => ({ key, gib: 0.85 * H100, deviceMemoryGiB: H100, deviceCount: 8, ...over });
const SIX = ['qwen3-8b', 'qwen3-14b', 'qwen2.5-7b-instruct', 'qwen2.5-14b-instruct', 'qwen-7b-chat', 'qwen-14b-chat'];
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

/** What a pretend server start saw: which spec, on which GPUs, when, and how much it claimed per GPU. */
interface Started { key: string; devices: number[]; gib: number; start: number; stop: number }

/** A pool whose servers are plain objects (no processes); records every start and checks GPU memory at each one. */
function fakePool(dbName: string, opts: { cellsPerServer?: number; log?: (line: string) => void; startMs?: number; failStart?: (key: string) => boolean } = {}) {
  const started: Started[] = [];
  const overcommits: string[] = [];
  const live: Started[] = [];
  const leases = new GpuLeaseManager(join(root, dbName, 'leases.sqlite'));
  const pool = new ServerPool({
    workspaceRoot: root,
    leases,
    cellsPerServer: opts.cellsPerServer,
    log: opts.log,
    start: async (s: ServerSpec, devices: number[]) => {
      await tick(opts.startMs ?? 5);
      if (opts.failStart?.(s.key)) throw new Error(`${s.key}: the server did not become ready (pretend)`);
      const rec: Started = { key: s.key, devices, gib: serverMemoryGiB(s.preset, s.gpu), start: performance.now(), stop: Infinity };
      started.push(rec);
      live.push(rec);
      // No GPU is ever promised more memory than it has: the servers alive now, summed per GPU.
      for (let d = 0; d < s.gpu.count; d++) {
        const sum = live.filter((x) => x.devices.includes(d)).reduce((a, x) => a + x.gib, 0);
        if (sum > s.gpu.memory_gib + 1e-6) overcommits.push(`GPU ${d}: ${sum.toFixed(1)} GiB`);
      }
      const report: StopReport = { graceful: true, killed: false, portClosed: true, gpu: { released: null, stillHolding: [], detail: '' }, stopMs: 0 };
      return {
        pgid: process.pid,
        command: ['fake'],
        hasExited: false,
        exit: null,
        logTail: () => [],
        stop: async () => {
          rec.stop = performance.now();
          live.splice(live.indexOf(rec), 1);
          return report;
        },
      } as unknown as ManagedServer;
    },
  });
  return { pool, started, overcommits, leases };
}

const modelSpec = (name: string, over: { tp?: number; util?: number; count?: number } = {}): ServerSpec => ({
  ...spec(root, name),
  key: name,
  model: qwen3Model(over.tp ? { vllm_args: { tensor_parallel_size: over.tp } } : {}),
  preset: preset({ gpu_memory_utilization: over.util ?? 0.85 }),
  gpu: gpu({ memory_gib: H100, count: over.count ?? 8 }),
});

/** Runs `cells` cells of a spec, each holding its server for `ms`; returns once all released it. */
async function runCells(pool: ServerPool, s: ServerSpec, cells: number, ms: number, during: (active: number) => void = () => undefined): Promise<void> {
  pool.register(s, cells);
  await Promise.all(
    Array.from({ length: cells }, async () => {
      const server = await pool.acquire(s);
      during(pool.running().length);
      await tick(ms);
      await pool.release(s, server);
    }),
  );
}

describe('GPU lease on a host with 8 GPUs', () => {
  it('places six one-GPU servers on six distinct GPUs and a tensor-parallel-2 server on the two left', () => {
    const m = new GpuLeaseManager(join(root, 'l1', 'leases.sqlite'));
    const six = SIX.map((k) => m.tryAcquire(req(k))!);
    expect(six.map((l) => l.devices)).toEqual([[0], [1], [2], [3], [4], [5]]);
    const tp2 = m.tryAcquire(req('tp2', { devicesNeeded: 2 }));
    expect(tp2?.devices).toEqual([6, 7]);
    expect(m.tryAcquire(req('ninth'))).toBeNull(); // every GPU holds 67.7 of 79.6 GiB: no room for another
    six[2].release();
    expect(m.tryAcquire(req('ninth'))?.devices).toEqual([2]);
    m.close();
  });

  it('takes only the GPUs it may (CUDA_VISIBLE_DEVICES), counting what holders with other visible GPUs put on them', () => {
    const m = new GpuLeaseManager(join(root, 'l3', 'leases.sqlite'));
    const other = m.tryAcquire(req('other-user', { devices: [5] }))!;
    expect(other.devices).toEqual([5]);
    const mine = [m.tryAcquire(req('a', { devices: [5, 6] })), m.tryAcquire(req('b', { devices: [5, 6] }))];
    expect(mine[0]?.devices).toEqual([6]);
    expect(mine[1]).toBeNull(); // GPU 5 holds the other user's server, GPU 6 ours: GPU 0 is free but not ours to take
    other.release();
    expect(m.tryAcquire(req('b', { devices: [5, 6] }))?.devices).toEqual([5]);
    expect(m.tryAcquire(req('tp2', { devicesNeeded: 2, devices: [2, 7] }))?.devices).toEqual([2, 7]);
    m.close();
  });

  it('what models of other runs wait for is seen by every process (rows of dead processes are dropped)', () => {
    const file = join(root, 'w1', 'leases.sqlite');
    const m = new GpuLeaseManager(file);
    m.setDemand('mine', { first: true, load: 5 });
    expect(m.othersDemand()).toEqual({ first: 0, maxLoad: 0 }); // this process's own demand is handled inside its pool
    const db = new Database(file);
    const row = db.prepare('INSERT INTO demand (key, pid, pid_start, host, first, load) VALUES (?, ?, NULL, ?, ?, ?)');
    row.run('other-first', 1, hostname(), 1, 0); // pid 1 lives
    row.run('other-more', 1, hostname(), 0, 42);
    row.run('dead', 2 ** 22 + 7, hostname(), 1, 99); // no such pid
    expect(m.othersDemand()).toEqual({ first: 1, maxLoad: 42 });
    expect((db.prepare('SELECT key FROM demand').all() as { key: string }[]).map((r) => r.key).sort()).toEqual(['mine', 'other-first', 'other-more']);
    m.setDemand('mine', null);
    db.close();
    m.close();
  });

  it('a request that can never fit is an error naming the fix, not an endless wait', () => {
    const m = new GpuLeaseManager(join(root, 'l2', 'leases.sqlite'));
    expect(() => m.tryAcquire(req('tp16', { devicesNeeded: 16 }))).toThrow(GpuLeaseImpossibleError);
    expect(() => m.tryAcquire(req('tp16', { devicesNeeded: 16 }))).toThrow(/needs 16 GPUs .* count 8 — fix: a machine or profile with >= 16 GPUs/);
    expect(() => m.tryAcquire(req('tp2', { devicesNeeded: 2, devices: [3] }))).toThrow(/needs 2 GPUs .* only GPU 3 can be leased here/);
    expect(() => m.tryAcquire(req('huge', { gib: 100 }))).toThrow(/claims 100\.0 GiB on each GPU but one GPU of the profile has 79\.6 GiB/);
    m.close();
  });

  it('a model larger than one GPU gets --tensor-parallel-size from the memory fit; a configured one is passed as it is', () => {
    const base = qwen3Model();
    const big = ModelConfig.parse({ ...base, architecture: { ...base.architecture, params_b: 32.8, layers: 64, attention_heads: 64 } });
    const args = (model: ModelConfig) => buildVllmServeArgs({ modelName: 'm', model, preset: preset({ gpu_memory_utilization: 0.85, max_model_len: 40960 }), gpu: gpu({ memory_gib: H100, count: 8 }), workspaceRoot: root, port: 8000 }).join(' ');
    expect(args(big)).toMatch(/--tensor-parallel-size 2\b/);
    expect(args(base)).not.toMatch(/tensor-parallel-size/);
    expect(args(qwen3Model({ vllm_args: { tensor_parallel_size: 4 } }))).toMatch(/--tensor-parallel-size 4\b/);
  });
});

describe('ServerPool on 8 GPUs (pretend servers)', () => {
  it('runs the six models at once on distinct GPUs, a TP-2 model on two, and never overcommits a GPU', async () => {
    const { pool, started, overcommits } = fakePool('p1');
    try {
      await Promise.all([...SIX.map((k) => runCells(pool, modelSpec(k), 2, 150)), runCells(pool, modelSpec('tp2', { tp: 2 }), 1, 150)]);
    } finally {
      await pool.closeAll();
    }
    expect(started.map((s) => s.key).sort()).toEqual([...SIX, 'tp2'].sort());
    // All seven alive at one moment: the last start came before the first stop.
    expect(Math.max(...started.map((s) => s.start))).toBeLessThan(Math.min(...started.map((s) => s.stop)));
    expect(started.find((s) => s.key === 'tp2')!.devices).toHaveLength(2);
    expect(new Set(started.flatMap((s) => s.devices)).size).toBe(8); // 6 + 2 distinct GPUs
    expect(overcommits).toEqual([]);
  });

  it('more servers than GPUs: the rest wait for a free GPU, then run; all leases end released', async () => {
    const { pool, started, overcommits, leases } = fakePool('p2');
    const specs = SIX.map((k) => modelSpec(k, { count: 2 }));
    let most = 0;
    try {
      await Promise.all(specs.map((s) => runCells(pool, s, 1, 60, (n) => (most = Math.max(most, n)))));
    } finally {
      await pool.closeAll();
    }
    expect(started).toHaveLength(6);
    expect(most).toBe(2);
    expect(overcommits).toEqual([]);
    expect(leases.holders()).toEqual([]);
    leases.close();
  });

  it('a model whose cells wait gets another server on a free GPU; each takes at most cellsPerServer cells', async () => {
    const { pool, started, overcommits } = fakePool('p3', { cellsPerServer: 2 });
    const s = modelSpec('qwen3-8b', { count: 4 });
    let held = 0;
    let mostHeld = 0;
    pool.register(s, 12);
    try {
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          const server = await pool.acquire(s);
          mostHeld = Math.max(mostHeld, ++held);
          await tick(60);
          held--;
          await pool.release(s, server);
        }),
      );
    } finally {
      await pool.closeAll();
    }
    expect(started.length).toBeGreaterThanOrEqual(4); // replicas on all four GPUs
    const overlapping = started.filter((a) => started.filter((b) => b.start < a.stop && a.start < b.stop).length === 4);
    expect(overlapping.length).toBeGreaterThan(0);
    expect(new Set(overlapping.flatMap((x) => x.devices)).size).toBe(4);
    expect(mostHeld).toBe(8); // 4 servers × 2 cells
    expect(overcommits).toEqual([]);
  });

  it('extra servers never take the GPU of a registered model whose cells are still loading', async () => {
    const { pool, started } = fakePool('p5', { cellsPerServer: 1 });
    const a = modelSpec('a', { count: 3 });
    const b = modelSpec('b', { count: 3 });
    pool.register(b, 1);
    let bAsked = Infinity;
    try {
      await Promise.all([
        runCells(pool, a, 6, 120),
        (async () => {
          await tick(60); // b's cell is still building its requests while a's six cells wait
          bAsked = performance.now();
          const server = await pool.acquire(b);
          await tick(20);
          await pool.release(b, server);
        })(),
      ]);
    } finally {
      await pool.closeAll();
    }
    const firstStop = Math.min(...started.filter((x) => x.key === 'a').map((x) => x.stop));
    expect(started.find((x) => x.key === 'b')!.start).toBeLessThan(firstStop); // b did not wait for a's cells
    expect(started.filter((x) => x.key === 'a' && x.start < bAsked)).toHaveLength(1); // no extra server for a meanwhile
    expect(started.filter((x) => x.key === 'a').length).toBeGreaterThan(1); // but one once b had its GPU
  });

  it('a model that holds every GPU hands one over, after its cell, to a model that waits with more work', async () => {
    const lines: string[] = [];
    const { pool, started } = fakePool('p6', { cellsPerServer: 1, log: (l) => lines.push(l) });
    const a = modelSpec('a', { count: 3 });
    const b = modelSpec('b', { count: 3 });
    let aDone = 0;
    try {
      await Promise.all([
        (async () => {
          pool.register(a, 9);
          await Promise.all(
            Array.from({ length: 9 }, async () => {
              const server = await pool.acquire(a, { work: 1 });
              await tick(100);
              await pool.release(a, server);
              aDone = performance.now();
            }),
          );
        })(),
        (async () => {
          await tick(40); // a has taken all three GPUs by now
          pool.register(b, 1);
          const server = await pool.acquire(b, { work: 10_000 });
          await tick(20);
          await pool.release(b, server);
        })(),
      ]);
    } finally {
      await pool.closeAll();
    }
    expect(started.filter((x) => x.key === 'a' && x.start < started.find((y) => y.key === 'b')!.start)).toHaveLength(3);
    expect(lines.some((l) => /^a: one of its 3 servers goes to b/.test(l)), lines.join('\n')).toBe(true);
    expect(started.find((x) => x.key === 'b')!.start).toBeLessThan(aDone); // b did not wait for all of a's cells
  });

  it('one GPU (count 1): one server per model takes all its cells at once, as before', async () => {
    const { pool, started } = fakePool('p4');
    const s = modelSpec('qwen3-8b', { count: 1 });
    let held = 0;
    let mostHeld = 0;
    pool.register(s, 6);
    try {
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          const server = await pool.acquire(s);
          mostHeld = Math.max(mostHeld, ++held);
          await tick(30);
          held--;
          await pool.release(s, server);
        }),
      );
    } finally {
      await pool.closeAll();
    }
    expect(started).toHaveLength(1);
    expect(mostHeld).toBe(6);
  });

  /** Runs a model's cells one after another per server slot, each `ms` long; returns which server took each, and when. */
  async function timedCells(pool: ServerPool, s: ServerSpec, cells: number, ms: number) {
    const took: { server: ModelServer; at: number }[] = [];
    await Promise.all(
      Array.from({ length: cells }, async () => {
        const server = await pool.acquire(s, { work: 100 });
        took.push({ server, at: performance.now() });
        await tick(ms);
        await pool.release(s, server);
      }),
    );
    return took;
  }

  it('another server starts only when the work left outlasts a server start; a server still starting holds no cell', async () => {
    // Two GPUs, starts of 300 ms. Model b holds the second GPU for 300 ms of work, then frees it; model a, one cell
    // per server, has 20 ms cells. With 20 of them a has ~100 ms left when the GPU frees: no second server. With
    // 100 it has ~1.7 s left: a second server starts, and takes cells only once ready.
    for (const [cells, extra] of [
      [20, false],
      [100, true],
    ] as const) {
      const { pool, started } = fakePool(`pay-${cells}`, { cellsPerServer: 1, startMs: 300 });
      const a = modelSpec('a', { count: 2 });
      const b = modelSpec('b', { count: 2 });
      let took: { server: ModelServer; at: number }[] = [];
      // Both registered first, as the evaluate batch does: b's first server comes before a's second.
      pool.register(a, cells);
      pool.register(b, 1);
      try {
        [took] = await Promise.all([timedCells(pool, a, cells, 20), timedCells(pool, b, 1, 300)]);
      } finally {
        await pool.closeAll();
      }
      const ofA = started.filter((x) => x.key === 'a');
      expect(ofA, JSON.stringify(started)).toHaveLength(extra ? 2 : 1);
      if (extra) {
        const servers = [...new Set(took.map((t) => t.server))];
        expect(servers).toHaveLength(2);
        // No cell waited on the second server while it started: its first cell came once it was ready.
        const second = took.filter((t) => t.server === servers[1]);
        expect(second.length).toBeGreaterThan(10);
        expect(Math.min(...second.map((t) => t.at))).toBeGreaterThanOrEqual(ofA[1].start - 1);
      }
    }
  });

  it('a server that cannot start fails the cells waiting for it, and its GPU lease is freed', async () => {
    const { pool, leases } = fakePool('fail', { cellsPerServer: 1, failStart: (k) => k === 'broken' });
    const broken = modelSpec('broken', { count: 2 });
    const fine = modelSpec('fine', { count: 2 });
    try {
      const [bad, good] = await Promise.allSettled([runCells(pool, broken, 3, 10), runCells(pool, fine, 3, 10)]);
      expect(bad.status).toBe('rejected');
      expect(String((bad as PromiseRejectedResult).reason)).toMatch(/broken: the server did not become ready/);
      expect(good.status).toBe('fulfilled');
    } finally {
      await pool.closeAll();
    }
    expect(leases.holders()).toEqual([]);
  });
});
