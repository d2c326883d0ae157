import pLimit from 'p-limit';
import { planTensorParallel, serverMemoryGiB } from '@evalgraph/core';
import { ServerCrashedError } from './errors';
import { GpuLeaseManager, leaseDbFile, type Lease, type LeaseHolder } from './gpu-lease';
import type { ModelServer } from './model-server';
import type { StopReport } from './server';
import type { ServerSpec } from './types';
import { startVllmServer, type VllmStartOptions } from './vllm-launch';

/** Starts one server for a spec on the given GPUs (injectable for tests). */
export type StartServer = (spec: ServerSpec, devices: number[]) => Promise<ModelServer>;

export interface ServerPoolOptions {
  workspaceRoot: string;
  /** Lease database (default <root>/.evalgraph/gpu-leases/leases.sqlite); null disables GPU leasing. */
  leases?: GpuLeaseManager | null;
  /** Default: startVllmServer with `startOptions`. */
  start?: StartServer;
  startOptions?: VllmStartOptions;
  /** Restarts allowed per server after a crash (default 1). */
  restartLimit?: number;
  /** Progress lines ("waiting for GPU memory held by ..."). */
  log?: (line: string) => void;
  /** On a profile with several GPUs: cells one server takes at once before another server of the model may start (default 2). */
  cellsPerServer?: number;
}

const DEFAULT_CELLS_PER_SERVER = 2;
const REBALANCE_GAIN = 1.25;
const POLL_MIN_MS = 100;
const POLL_MAX_MS = 2000;

/** One running (or starting) server of a model: several exist only on a host with GPUs to spare. */
interface Replica {
  lease: Lease | null;
  server: ModelServer | null;
  starting: Promise<ModelServer> | null;
  /** Cells holding this server now. */
  active: number;
  restarts: number;
  /** The server this replica replaced after a crash (so every cell that saw it fail joins one restart). */
  crashed: ModelServer | null;
  stopping: boolean;
  /** Handed to another model: takes no new cell, stops when its cells are done. */
  draining: boolean;
  limiter: ReturnType<typeof pLimit>;
  /** Estimated work of the units it holds now. */
  units: number[];
  /** When it was placed (lease taken) and when it answered ready (epoch ms). */
  placedAt: number;
  readyAt: number | null;
}

interface Entry {
  spec: ServerSpec;
  registered: number;
  active: number;
  done: number;
  /** Cells waiting for a server slot, first come first served. */
  waiters: { work: number; resolve: (r: Replica) => void; reject: (e: unknown) => void }[];
  replicas: Replica[];
  /** GPUs one server spans (tensor parallel). */
  tp: number;
  toldWaiting: boolean;
  /** Whether this model's demand is published in the lease database. */
  published: boolean;
  /** Work of the units finished on this model's servers, and the ready time of its servers that ended (ms). */
  finishedWork: number;
  endedServerMs: number;
}

/**
 * One server per model key within one process (the batch executor): cells of a model share it, it starts on
 * the first acquire (after taking the GPU lease) and stops when the last registered cell releases it.
 * On a profile with several GPUs a server takes at most `cellsPerServer` cells at once; while cells of a model
 * wait and a GPU lease is free, the model gets another server there (data parallel across GPUs), which stops
 * as soon as it has no cell left, handing its GPUs to whoever waits.
 */
export class ServerPool {
  private readonly entries = new Map<string, Entry>();
  private readonly leases: GpuLeaseManager | null;
  private readonly ownsLeases: boolean;
  private readonly startFn: StartServer;
  private readonly log: (line: string) => void;
  /** Every stop of every server, in order (for run.json and tests). */
  readonly stops: { key: string; report: StopReport }[] = [];
  private readonly limiters = new Map<string, ReturnType<typeof pLimit>>();
  private pollTimer: NodeJS.Timeout | null = null;
  private pollDelay = POLL_MIN_MS;
  private closed = false;
  /** Measured server starts (placement → ready, ms), for judging whether another server pays off. */
  private readonly startMs: number[] = [];

  constructor(private readonly opts: ServerPoolOptions) {
    this.ownsLeases = opts.leases === undefined;
    this.leases = opts.leases === undefined ? new GpuLeaseManager(leaseDbFile(opts.workspaceRoot)) : opts.leases;
    this.startFn = opts.start ?? ((spec, devices) => startVllmServer(spec, { ...opts.startOptions, devices }));
    this.log = opts.log ?? (() => undefined);
  }

  private entry(spec: ServerSpec): Entry {
    let e = this.entries.get(spec.key);
    if (!e) {
      const plan = planTensorParallel(spec.model, spec.preset, spec.gpu);
      e = { spec, registered: 0, active: 0, done: 0, waiters: [], replicas: [], tp: plan.size, toldWaiting: false, published: false, finishedWork: 0, endedServerMs: 0 };
      this.entries.set(spec.key, e);
    }
    return e;
  }

  /** Cells one server takes at once: all of them on one GPU; a few where other GPUs could take the rest. */
  private cap(e: Entry): number {
    if (e.spec.gpu.count < 2 * e.tp) return Infinity;
    return Math.max(1, this.opts.cellsPerServer ?? DEFAULT_CELLS_PER_SERVER);
  }

  /**
   * Requests of one cell that go to a server together. On a profile with GPUs to spare, enough to keep a server's
   * concurrency full with `cellsPerServer` parts at once; the rest of the cell waits for any of the model's servers.
   * On one GPU, every cell is whole (Infinity).
   */
  chunkSize(spec: ServerSpec): number {
    const cap = this.cap(this.entry(spec));
    return cap === Infinity ? Infinity : Math.max(1, Math.ceil(spec.preset.concurrency / cap));
  }

  /** Declares that `cells` more cells will use this spec's server, so it is kept until all of them released it. */
  register(spec: ServerSpec, cells = 1): void {
    this.entry(spec).registered += cells;
  }

  /**
   * A running server for a spec, starting one (GPU lease first) if needed; the cell holds it until release().
   * `work` (estimated tokens of the cell's requests): waiting cells get a free server slot largest first.
   */
  async acquire(spec: ServerSpec, opts: { work?: number } = {}): Promise<ModelServer> {
    const e = this.entry(spec);
    e.active++;
    if (e.registered < e.active + e.done) e.registered = e.active + e.done;
    let replica: Replica | null = null;
    try {
      replica = await new Promise<Replica>((resolve, reject) => {
        const w = { work: opts.work ?? 0, resolve, reject };
        // Largest first (longest processing time first keeps the last GPU from finishing long after the others).
        const at = e.waiters.findIndex((x) => x.work < w.work);
        e.waiters.splice(at < 0 ? e.waiters.length : at, 0, w);
        this.pump();
      });
      return await this.ensureStarted(e, replica);
    } catch (err) {
      if (replica) {
        replica.active--;
        replica.units.shift();
      }
      e.active--;
      e.done++;
      await this.maybeStop(e, replica);
      throw err;
    }
  }

  /** Hands free server slots to waiting cells and free GPU leases to models whose cells wait. */
  private pump(): void {
    if (this.closed) return;
    for (const e of this.entries.values()) this.fill(e);
    const waiting = [...this.entries.values()].filter((e) => e.waiters.length > 0);
    // A model with no server yet goes first; extra servers only while no such model waits for GPUs, nor will
    // soon: a registered model whose cells are still building their requests needs a GPU too.
    const first = waiting.filter((e) => e.replicas.length === 0);
    const waitingWork = (e: Entry) => queuedWork(e) / (e.replicas.length + 1);
    const extra = waiting.filter((e) => e.replicas.length > 0 && this.unplaced(e) > 0).sort((a, b) => waitingWork(b) - waitingWork(a));
    let leaseRefused = false;
    // Other processes' models count too (Nx may split one run into several batches): a first server there comes
    // before an extra one here, and an extra one goes to the process whose model waits with the most work.
    for (const e of this.entries.values()) this.publish(e);
    const others = this.leases?.othersDemand() ?? { first: 0, maxLoad: 0 };
    let firstBlocked = others.first > 0 || [...this.entries.values()].some((e) => e.replicas.length === 0 && e.waiters.length === 0 && e.done + e.active < e.registered);
    for (const e of [...first, ...extra]) {
      if (e.replicas.length > 0 && firstBlocked) break;
      if (e.replicas.length > 0 && waitingWork(e) < others.maxLoad) break;
      if (e.replicas.length >= Math.max(1, Math.floor(e.spec.gpu.count / e.tp))) continue;
      if (e.replicas.length > 0 && !this.anotherPaysOff(e)) continue;
      let lease: Lease | null | undefined;
      try {
        lease = this.leases ? this.leases.tryAcquire(this.leaseRequest(e)) : undefined;
      } catch (err) {
        this.dropWant(e);
        for (const w of e.waiters.splice(0)) w.reject(err);
        continue;
      }
      if (lease === null) {
        leaseRefused = true;
        if (e.replicas.length === 0) {
          firstBlocked = true;
          if (!e.toldWaiting && this.leases) {
            e.toldWaiting = true;
            const req = this.leaseRequest(e);
            this.log(`${e.spec.key}: waiting for ${req.gib.toFixed(1)} GiB of GPU memory${e.tp > 1 ? ` on ${e.tp} GPUs` : ''} held by ${describeHolders(this.leases.holders())}`);
          }
        }
        continue;
      }
      const r: Replica = { lease: lease ?? null, server: null, starting: null, active: 0, restarts: 0, crashed: null, stopping: false, draining: false, limiter: pLimit(Math.max(1, e.spec.preset.concurrency)), units: [], placedAt: Date.now(), readyAt: null };
      e.replicas.push(r);
      if (e.replicas.length > 1) this.log(`${e.spec.key}: ${e.waiters.length} cell(s) waiting; another server on GPU ${r.lease?.devices.join(',') ?? '?'}`);
      this.launch(e, r);
    }
    if (leaseRefused) this.rebalance();
    if (others.first > 0 || others.maxLoad > 0) this.yieldSpare(others);
    for (const e of this.entries.values()) this.publish(e);
    this.schedulePoll();
  }

  /**
   * Starts a placed server; cells wait for it in the queue and take it once it is ready, so a server still starting
   * holds no work that a running one could do. A start that fails fails the model's waiting cells when it has no
   * other server.
   */
  private launch(e: Entry, r: Replica): void {
    this.ensureStarted(e, r).then(
      () => {
        r.readyAt = Date.now();
        this.startMs.push(r.readyAt - r.placedAt);
        this.fill(e);
        // Its work was taken by the model's other servers while it started: free the GPU now, not at the model's end.
        if (r.active === 0 && e.waiters.length === 0 && !r.stopping && e.replicas.filter((x) => !x.stopping).length > 1) void this.stopReplica(e, r);
        this.pump();
      },
      (err: unknown) => {
        if (!e.replicas.some((x) => !x.stopping)) for (const w of e.waiters.splice(0)) w.reject(err);
        this.pump();
      },
    );
  }

  /** Waiting cells of a model beyond what its servers still starting will take once ready. */
  private unplaced(e: Entry): number {
    const cap = this.cap(e);
    const starting = liveReplicas(e).filter((r) => !r.server).reduce((n, r) => n + Math.max(0, cap - r.active), 0);
    return Math.max(0, e.waiters.length - starting);
  }

  /**
   * Whether one more server of a model would finish its work sooner: the model's remaining work (waiting and in
   * flight) per server now must outlast a server start, at the model's measured rate. Until both are measured, yes.
   * With the work divided in small parts, in-flight work is small and this is about the waiting work alone.
   */
  private anotherPaysOff(e: Entry): boolean {
    if (!this.startMs.length) return true;
    const now = Date.now();
    const serverMs = e.endedServerMs + e.replicas.reduce((n, r) => n + (r.readyAt ? now - r.readyAt : 0), 0);
    if (e.finishedWork <= 0 || serverMs <= 0) return true;
    const rate = e.finishedWork / serverMs;
    const remaining = waitingTokens(e) + e.replicas.reduce((n, r) => n + r.units.reduce((a, b) => a + b, 0), 0);
    const live = liveReplicas(e).length;
    const start = this.startMs.reduce((a, b) => a + b, 0) / this.startMs.length;
    return remaining / rate / Math.max(1, live) > start;
  }

  /**
   * When a model with waiting cells cannot get a GPU (no server yet, or too few), a model with several servers and
   * less waiting work per server hands one over: that server takes no new cell and stops once its cells are done (never mid-cell).
   * Only a move that lowers the larger of the two per-server loads is made, so servers do not flap.
   */
  private rebalance(): void {
    const load = (e: Entry, servers: number) => queuedWork(e) / Math.max(1, servers);
    const needy = [...this.entries.values()].filter((e) => this.unplaced(e) > 0 && liveReplicas(e).length < Math.floor(e.spec.gpu.count / e.tp));
    const draining = [...this.entries.values()].some((e) => e.replicas.some((r) => r.draining && !r.stopping));
    if (!needy.length || draining) return;
    const f = needy.sort((a, b) => load(b, liveReplicas(b).length + 1) - load(a, liveReplicas(a).length + 1))[0];
    const donors = [...this.entries.values()].filter((e) => e !== f && e.tp === f.tp && liveReplicas(e).length > 1).sort((a, b) => load(a, liveReplicas(a).length - 1) - load(b, liveReplicas(b).length - 1));
    const e = donors[0];
    // A move costs a server start: make it only for a clear gain.
    if (!e || load(f, liveReplicas(f).length + 1) <= REBALANCE_GAIN * load(e, liveReplicas(e).length - 1)) return;
    const r = liveReplicas(e).sort((a, b) => a.active - b.active)[0];
    r.draining = true;
    this.log(`${e.spec.key}: one of its ${liveReplicas(e).length + 1} servers goes to ${f.spec.key} once its cells are done`);
    if (r.active === 0) void this.stopReplica(e, r);
  }

  /**
   * Another process waits for a first server, or for more servers with clearly more work per server than one of
   * ours would have without one: hand over one spare server (of a model holding several), after its cells.
   */
  private yieldSpare(others: { first: number; maxLoad: number }): void {
    const all = [...this.entries.values()];
    if (all.some((e) => e.replicas.some((r) => r.draining && !r.stopping))) return;
    const e = all.filter((x) => liveReplicas(x).length > 1).sort((a, b) => queuedWork(a) / liveReplicas(a).length - queuedWork(b) / liveReplicas(b).length)[0];
    if (!e) return;
    if (others.first === 0 && others.maxLoad <= REBALANCE_GAIN * (queuedWork(e) / (liveReplicas(e).length - 1))) return;
    const r = liveReplicas(e).sort((a, b) => a.active - b.active)[0];
    r.draining = true;
    this.log(`${e.spec.key}: one of its ${liveReplicas(e).length + 1} servers goes to a model of another run once its cells are done`);
    if (r.active === 0) void this.stopReplica(e, r);
  }

  /** Publishes a model's demand for GPUs (or withdraws it) in the lease database, for the pools of other processes. */
  private publish(e: Entry, gone = false): void {
    if (!this.leases) return;
    const wants = !gone && this.unplaced(e) > 0 && liveReplicas(e).length < Math.floor(e.spec.gpu.count / e.tp);
    if (!wants && !e.published) return;
    this.leases.setDemand(e.spec.key, wants ? { first: e.replicas.length === 0, load: queuedWork(e) / (e.replicas.length + 1) } : null);
    e.published = wants;
  }

  private dropWant(e: Entry): void {
    this.publish(e, true);
  }

  /** Gives waiting cells of a model the least busy of its servers that has room. */
  private fill(e: Entry): void {
    const cap = this.cap(e);
    while (e.waiters.length) {
      const room = e.replicas.filter((r) => r.server && !r.stopping && !r.draining && r.active < cap).sort((a, b) => a.active - b.active)[0];
      if (!room) return;
      room.active++;
      const w = e.waiters.shift()!;
      room.units.push(Math.max(1, w.work));
      w.resolve(room);
    }
  }

  /** Leases held elsewhere (another nx run) free up without telling us: look again, backing off to 2 s. */
  private schedulePoll(): void {
    const anyWaiting = [...this.entries.values()].some((e) => e.waiters.length > 0);
    if (!anyWaiting || this.closed) {
      if (this.pollTimer) clearTimeout(this.pollTimer);
      this.pollTimer = null;
      this.pollDelay = POLL_MIN_MS;
      return;
    }
    if (this.pollTimer) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = null;
      this.pollDelay = Math.min(POLL_MAX_MS, this.pollDelay * 1.5);
      this.pump();
    }, this.pollDelay * (0.75 + Math.random() * 0.5));
  }

  private leaseRequest(e: Entry) {
    const { spec } = e;
    return { key: spec.key, gib: serverMemoryGiB(spec.preset, spec.gpu), deviceMemoryGiB: spec.gpu.memory_gib, deviceCount: spec.gpu.count, devicesNeeded: e.tp, devices: spec.gpuDevices };
  }

  private ensureStarted(e: Entry, r: Replica): Promise<ModelServer> {
    if (r.server) return Promise.resolve(r.server);
    r.starting ??= this.startReplica(e, r).finally(() => {
      r.starting = null;
    });
    return r.starting;
  }

  private async startReplica(e: Entry, r: Replica): Promise<ModelServer> {
    try {
      const server = await this.startFn(e.spec, r.lease?.devices ?? []);
      r.lease?.attachServer(server.pgid);
      r.server = server;
      return server;
    } catch (err) {
      // The server is gone: free its GPUs now; its cells fail with this error.
      r.stopping = true;
      r.lease?.release();
      r.lease = null;
      e.replicas = e.replicas.filter((x) => x !== r);
      throw err;
    }
  }

  private replicaOf(e: Entry, server: ModelServer | null | undefined): Replica | undefined {
    return (server && e.replicas.find((r) => r.server === server)) || e.replicas.find((r) => r.active > 0) || e.replicas[0];
  }

  /**
   * Replaces a server that crashed (once per server by default). Callers pass the server they saw fail, so
   * concurrent callers trigger one restart, not several.
   */
  async restart(spec: ServerSpec, failed: ModelServer): Promise<ModelServer> {
    const e = this.entry(spec);
    const r = e.replicas.find((x) => x.server === failed || x.crashed === failed);
    if (!r) throw new ServerCrashedError(`${spec.modelName}: the server crashed and the run is stopping`, spec.logFile, failed.logTail(10));
    if (r.server && r.server !== failed) return r.server;
    if (r.starting) return r.starting;
    if (r.restarts >= (this.opts.restartLimit ?? 1)) {
      // A user-facing error: the run ends with this message and the log tail, not with a stack trace.
      const tail = failed.logTail(10);
      const how = howEnded(failed);
      throw new ServerCrashedError(
        [`${spec.modelName}: the server crashed again after ${r.restarts} restart(s) (${how}); giving up`, `  log: ${spec.logFile} — last ${tail.length} lines:`, ...tail.map((l) => `    | ${l}`)].join('\n'),
        spec.logFile,
        tail,
      );
    }
    r.restarts++;
    r.server = null;
    r.crashed = failed;
    this.log(`${spec.modelName}: the server crashed (${howEnded(failed)}); starting it again (restart ${r.restarts} of ${this.opts.restartLimit ?? 1}); finished requests come from the request cache`);
    r.starting = (async () => {
      this.record(spec.key, await failed.stop());
      return this.startReplica(e, r);
    })().finally(() => {
      r.starting = null;
    });
    return r.starting;
  }

  /** One cell is done with the server it got (`server`; the model's only one when omitted); the last registered cell stops it and frees its GPU lease. */
  async release(spec: ServerSpec, server?: ModelServer | null): Promise<void> {
    const e = this.entries.get(spec.key);
    if (!e || e.active === 0) return;
    const r = this.replicaOf(e, server);
    if (r && r.active > 0) r.active--;
    e.finishedWork += r?.units.shift() ?? 0;
    e.active--;
    e.done++;
    this.fill(e);
    await this.maybeStop(e, r);
    this.pump();
  }

  /** A registered cell finished without needing the server (all its requests were in the request cache). */
  async skip(spec: ServerSpec): Promise<void> {
    const e = this.entries.get(spec.key);
    if (!e || e.registered <= e.active + e.done) return;
    e.done++;
    await this.maybeStop(e, undefined);
  }

  /**
   * Stops an idle server: the model's last one once every registered cell is done, an extra one as soon as it
   * is idle and no cell of its model waits (its GPUs may serve another model).
   */
  private async maybeStop(e: Entry, r: Replica | null | undefined): Promise<void> {
    const finished = e.active === 0 && e.done >= e.registered && e.waiters.length === 0;
    const idle = (x: Replica) => x.active === 0 && !x.stopping && (x.draining || e.waiters.length === 0);
    const toStop = finished ? e.replicas.filter((x) => !x.stopping) : r && idle(r) && e.replicas.filter((x) => !x.stopping).length > 1 ? [r] : [];
    if (finished) this.dropWant(e);
    if (finished && this.entries.get(e.spec.key) === e) this.entries.delete(e.spec.key);
    await Promise.all(toStop.map((x) => this.stopReplica(e, x)));
  }

  private record(key: string, report: StopReport): void {
    this.stops.push({ key, report });
  }

  private async stopReplica(e: Entry, r: Replica): Promise<void> {
    r.stopping = true;
    if (r.readyAt) e.endedServerMs += Date.now() - r.readyAt;
    r.readyAt = null;
    const server = r.server ?? (r.starting ? await r.starting.catch(() => null) : null);
    r.server = null;
    try {
      if (server) this.record(e.spec.key, await server.stop());
    } finally {
      r.lease?.release();
      r.lease = null;
      e.replicas = e.replicas.filter((x) => x !== r);
      this.pump();
    }
  }

  /**
   * The request limiter of a server (preset.concurrency requests in flight), shared by all cells on it, so running
   * several cells at once does not multiply the load on the server. Without `server`: one per key.
   */
  limiter(spec: ServerSpec, server?: ModelServer | null): ReturnType<typeof pLimit> {
    const r = server ? this.entries.get(spec.key)?.replicas.find((x) => x.server === server) : undefined;
    if (r) return r.limiter;
    let l = this.limiters.get(spec.key);
    if (!l) {
      l = pLimit(Math.max(1, spec.preset.concurrency));
      this.limiters.set(spec.key, l);
    }
    return l;
  }

  /** Keys of servers running now (a key once per server). */
  running(): string[] {
    return [...this.entries.values()].flatMap((e) => e.replicas.filter((r) => r.server && !r.stopping).map(() => e.spec.key));
  }

  /** Stops every server (in parallel) and frees all leases; for the end of a run, success or failure. */
  async closeAll(): Promise<void> {
    this.closed = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = null;
    const all = [...this.entries.values()];
    this.entries.clear();
    for (const e of all) {
      this.dropWant(e);
      for (const w of e.waiters.splice(0)) w.reject(new Error(`${e.spec.key}: the run is stopping`));
    }
    const results = await Promise.allSettled(all.flatMap((e) => e.replicas.filter((r) => !r.stopping).map((r) => this.stopReplica(e, r))));
    if (this.ownsLeases) this.leases?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/** Estimated tokens of a model's waiting cells (or parts). */
function waitingTokens(e: Entry): number {
  return e.waiters.reduce((n, w) => n + Math.max(1, w.work), 0);
}

/** Waiting work of a model in GPU terms: estimated tokens × parameters (a larger model is slower per token). */
function queuedWork(e: Entry): number {
  return waitingTokens(e) * e.spec.model.architecture.params_b;
}

/** A model's servers that take new work: not stopping, not handed over. */
function liveReplicas(e: Entry): Replica[] {
  return e.replicas.filter((r) => !r.stopping && !r.draining);
}

function describeHolders(holders: LeaseHolder[]): string {
  if (!holders.length) return 'nobody (retrying)';
  return holders.map((h) => `${h.key} (${h.gib.toFixed(1)} GiB on GPU ${h.devices.join(',')}, pid ${h.pid})`).join('; ');
}

const SIGNAL_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/**
 * On SIGINT / SIGTERM / SIGHUP, stops every server of the pool (SIGTERM to each group, SIGKILL after the
 * grace period) and then exits with 128 + the signal number. A second signal exits at once (the watchdogs
 * still remove the servers). Returns a function that removes the handlers. SIGKILL needs no handler: the
 * watchdogs handle it.
 */
export function stopPoolOnSignals(pool: ServerPool, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): () => void {
  let stopping = false;
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of Object.keys(SIGNAL_CODES) as NodeJS.Signals[]) {
    const handler = () => {
      const code = 128 + (SIGNAL_CODES[sig] ?? 0);
      if (stopping) process.exit(code);
      stopping = true;
      log(`evalgraph: ${sig} received; stopping model servers (${pool.running().join(', ') || 'none running'})`);
      pool.closeAll().then(
        () => process.exit(code),
        (e: unknown) => {
          log(`evalgraph: stopping servers failed: ${(e as Error).message}`);
          process.exit(code);
        },
      );
    };
    handlers.set(sig, handler);
    process.on(sig, handler);
  }
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
  };
}

/** How a crashed server ended, in words: its exit, a Slurm job's final state, or that it stopped answering. */
function howEnded(s: ModelServer): string {
  if (s.exitDetail) return s.exitDetail;
  // The process can be seen gone (its pipes closed) a moment before its exit status arrives.
  if (!s.exit) return s.hasExited ? 'exited, status not yet known' : 'stopped answering';
  return s.exit.signal ? `signal ${s.exit.signal}` : `exit code ${s.exit.code}`;
}
