import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GpuLeaseManager, leaseDbFile, type LeaseHolder } from '../src/gpu-lease';
import { ServerPool } from '../src/server-pool';
import { preset, processesMatching, readJsonLines, spec, tempRoot, useStandin, waitFor, type StandinEvent } from './helpers';

let root: string;
let cleanup: () => void;
beforeAll(() => {
  useStandin();
  ({ root, cleanup } = tempRoot());
});
afterAll(() => cleanup());

const req = (gib: number, over = {}) => ({ key: `k${gib}`, gib, deviceMemoryGiB: 80, deviceCount: 1, ...over });

describe('GpuLeaseManager', () => {
  it('admits servers only while their memory fits each GPU, across GPUs of the profile', () => {
    const m = new GpuLeaseManager(join(root, 'l1', 'leases.sqlite'));
    const a = m.tryAcquire(req(48));
    expect(a?.devices).toEqual([0]);
    expect(m.tryAcquire(req(48))).toBeNull(); // 96 > 80
    const b = m.tryAcquire(req(32)); // 80 ≤ 80
    expect(b?.devices).toEqual([0]);
    a!.release();
    b!.release();
    const two = [m.tryAcquire(req(48, { deviceCount: 2 })), m.tryAcquire(req(48, { deviceCount: 2 }))];
    expect(two.map((l) => l?.devices)).toEqual([[0], [1]]);
    expect(m.tryAcquire(req(48, { deviceCount: 2 }))).toBeNull();
    two.forEach((l) => l!.release());
    expect(m.tryAcquire(req(40, { deviceCount: 2, devicesNeeded: 2 }))?.devices).toEqual([0, 1]);
    m.close();
  });

  it('a waiting acquire gets the lease once the holder releases it, and says who it waited for', async () => {
    const m = new GpuLeaseManager(join(root, 'l2', 'leases.sqlite'));
    const a = m.tryAcquire({ ...req(48), key: 'qwen3-14b' })!;
    const waitedFor: LeaseHolder[][] = [];
    let got = false;
    const pending = m.acquire(req(48), { onWait: (h) => waitedFor.push(h), maxDelayMs: 50 }).then((l) => {
      got = true;
      return l;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(got).toBe(false);
    a.release();
    const b = await pending;
    expect(b.devices).toEqual([0]);
    expect(waitedFor).toHaveLength(1);
    expect(waitedFor[0].map((h) => h.key)).toEqual(['qwen3-14b']);
    b.release();
    m.close();
  });

  it('is shared across processes, and a SIGKILLed holder is reaped', async () => {
    const db = join(root, 'l3', 'leases.sqlite');
    const m = new GpuLeaseManager(db);
    const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'fixtures', 'lease-holder.ts'), db, '48'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      expect(await waitFor(() => out.includes('held'), 15_000)).toBe(true);
      expect(m.tryAcquire(req(48))).toBeNull();
      expect(m.holders().map((h) => h.pid)).toEqual([child.pid]);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const lease = m.tryAcquire(req(48));
    expect(lease).not.toBeNull();
    lease!.release();
    m.close();
  });
});

describe('ServerPool (stand-in vLLM)', () => {
  // `together`: each cell waits, holding its server, until all four cells have theirs (only possible if they fit)
  async function runTwoModels(util: number, eventLog: string, tag: string, together = false) {
    const p = preset({ gpu_memory_utilization: util });
    const specs = ['a', 'b'].map((m) => ({ ...spec(root, `${tag}-${m}`), preset: p }));
    const pool = new ServerPool({ workspaceRoot: root, startOptions: { pollIntervalMs: 50, graceMs: 2000, gpuReleaseTimeoutMs: 500, env: { STANDIN_EVENT_LOG: eventLog } } });
    const seenTogether: number[] = [];
    let arrived = 0;
    let openBarrier: () => void = () => undefined;
    const barrier = new Promise<void>((r) => (openBarrier = r));
    try {
      for (const s of specs) pool.register(s, 2);
      // two cells per model, all four started at once (like a batch executor under --parallel)
      await Promise.all(
        specs.flatMap((s) =>
          [0, 1].map(async () => {
            const server = await pool.acquire(s);
            seenTogether.push(pool.running().length);
            const r = await fetch(`${server.baseUrl}/v1/models`);
            expect(r.ok).toBe(true);
            if (together) {
              if (++arrived === 4) openBarrier();
              await barrier;
              seenTogether.push(pool.running().length);
            } else {
              await new Promise((res) => setTimeout(res, 150));
            }
            await pool.release(s);
          }),
        ),
      );
    } finally {
      await pool.closeAll();
    }
    const events = readJsonLines<StandinEvent>(eventLog);
    const span = (model: string) => {
      const starts = events.filter((e) => e.model === model && e.event === 'start');
      const stops = events.filter((e) => e.model === model && e.event === 'stop');
      expect(starts, `one server for ${model}, shared by its two cells`).toHaveLength(1);
      expect(stops).toHaveLength(1);
      return [starts[0].time, stops[0].time] as const;
    };
    return { a: span(specs[0].modelName), b: span(specs[1].modelName), seenTogether, pool, specs };
  }

  it('two servers that do not fit together never run at the same time', async () => {
    const { a, b, seenTogether } = await runTwoModels(0.6, join(root, 'events-nofit.jsonl'), 'nofit'); // 48 + 48 GiB > 80
    const [first, second] = a[0] < b[0] ? [a, b] : [b, a];
    expect(second[0]).toBeGreaterThanOrEqual(first[1]); // the second started after the first stopped
    expect(Math.max(...seenTogether)).toBe(1);
    expect(processesMatching('nofit-')).toEqual([]);
  });

  it('servers that fit together may overlap', async () => {
    const { a, b, seenTogether } = await runTwoModels(0.4, join(root, 'events-fit.jsonl'), 'fit', true); // 32 + 32 GiB ≤ 80
    expect(a[0] < b[1] && b[0] < a[1]).toBe(true);
    expect(Math.max(...seenTogether)).toBe(2);
    expect(processesMatching('fit-')).toEqual([]);
    const m = new GpuLeaseManager(leaseDbFile(root));
    expect(m.holders()).toEqual([]); // every lease released after stop
    m.close();
  });

  it('a cell that needs no server (all requests cached) still counts, and the server stops after the last cell', async () => {
    const s = spec(root, 'skip-test');
    const pool = new ServerPool({ workspaceRoot: root, startOptions: { pollIntervalMs: 50, graceMs: 2000 } });
    pool.register(s, 2);
    await pool.acquire(s);
    await pool.skip(s); // the other cell was fully cached
    expect(pool.running()).toEqual([s.key]);
    await pool.release(s);
    expect(pool.running()).toEqual([]);
    expect(pool.stops).toHaveLength(1);
    expect(processesMatching('skip-test')).toEqual([]);
    // cells of one model share one request limiter (preset.concurrency in flight per server, not per cell)
    expect(pool.limiter(s)).toBe(pool.limiter({ ...s }));
    expect(pool.limiter(s)).not.toBe(pool.limiter({ ...s, key: 'other' }));
    await pool.closeAll();
  });
});
