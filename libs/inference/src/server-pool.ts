import pLimit from 'p-limit';
import { serverMemoryGiB } from '@evalgraph/core';
import { ServerCrashedError } from './errors';
import { GpuLeaseManager, leaseDbFile, type Lease, type LeaseHolder } from './gpu-lease';
import type { ModelServer } from './model-server';
import type { StopReport } from './server';
import type { ServerSpec } from './types';
import { tensorParallelSize } from './vllm-args';
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
}

interface Entry {
  spec: ServerSpec;
  registered: number;
  active: number;
  done: number;
  server: ModelServer | null;
  starting: Promise<ModelServer> | null;
  lease: Lease | null;
  restarts: number;
  stopReports: StopReport[];
}

/**
 * One server per model key within one process (the batch executor): cells of a model share it, it starts on
 * the first acquire (after taking the GPU lease) and stops when the last registered cell releases it.
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

  constructor(private readonly opts: ServerPoolOptions) {
    this.ownsLeases = opts.leases === undefined;
    this.leases = opts.leases === undefined ? new GpuLeaseManager(leaseDbFile(opts.workspaceRoot)) : opts.leases;
    this.startFn = opts.start ?? ((spec, devices) => startVllmServer(spec, { ...opts.startOptions, devices }));
    this.log = opts.log ?? (() => undefined);
  }

  private entry(spec: ServerSpec): Entry {
    let e = this.entries.get(spec.key);
    if (!e) {
      e = { spec, registered: 0, active: 0, done: 0, server: null, starting: null, lease: null, restarts: 0, stopReports: [] };
      this.entries.set(spec.key, e);
    }
    return e;
  }

  /** Declares that `cells` more cells will use this spec's server, so it is kept until all of them released it. */
  register(spec: ServerSpec, cells = 1): void {
    this.entry(spec).registered += cells;
  }

  /** The running server for a spec, starting it (GPU lease first) if needed. */
  async acquire(spec: ServerSpec): Promise<ModelServer> {
    const e = this.entry(spec);
    e.active++;
    if (e.registered < e.active + e.done) e.registered = e.active + e.done;
    try {
      return await this.ensureStarted(e);
    } catch (err) {
      e.active--;
      e.done++;
      await this.maybeStop(e);
      throw err;
    }
  }

  private ensureStarted(e: Entry): Promise<ModelServer> {
    if (e.server) return Promise.resolve(e.server);
    e.starting ??= this.startEntry(e).finally(() => {
      e.starting = null;
    });
    return e.starting;
  }

  private async startEntry(e: Entry): Promise<ModelServer> {
    const { spec } = e;
    if (!e.lease && this.leases) {
      const gib = serverMemoryGiB(spec.preset, spec.gpu);
      e.lease = await this.leases.acquire(
        { key: spec.key, gib, deviceMemoryGiB: spec.gpu.memory_gib, deviceCount: spec.gpu.count, devicesNeeded: tensorParallelSize(spec.model) },
        { onWait: (holders) => this.log(`${spec.key}: waiting for ${gib.toFixed(1)} GiB of GPU memory held by ${describeHolders(holders)}`) },
      );
    }
    try {
      const server = await this.startFn(spec, e.lease?.devices ?? []);
      e.lease?.attachServer(server.pgid);
      e.server = server;
      return server;
    } catch (err) {
      e.lease?.release();
      e.lease = null;
      throw err;
    }
  }

  /**
   * Replaces a server that crashed (once per key by default). Callers pass the server they saw fail, so
   * concurrent callers trigger one restart, not several.
   */
  async restart(spec: ServerSpec, failed: ModelServer): Promise<ModelServer> {
    const e = this.entry(spec);
    if (e.server && e.server !== failed) return e.server;
    if (e.starting) return e.starting;
    if (e.restarts >= (this.opts.restartLimit ?? 1)) {
      // A user-facing error: the run ends with this message and the log tail, not with a stack trace.
      const tail = failed.logTail(10);
      const how = failed.exit ? (failed.exit.signal ? `signal ${failed.exit.signal}` : `exit code ${failed.exit.code}`) : 'stopped answering';
      throw new ServerCrashedError(
        [`${spec.modelName}: the server crashed again after ${e.restarts} restart(s) (${how}); giving up`, `  log: ${spec.logFile} — last ${tail.length} lines:`, ...tail.map((l) => `    | ${l}`)].join('\n'),
        spec.logFile,
        tail,
      );
    }
    e.restarts++;
    e.server = null;
    this.log(`${spec.key}: server crashed (exit ${JSON.stringify(failed.exit)}); restarting (${e.restarts}/${this.opts.restartLimit ?? 1})`);
    e.starting = (async () => {
      this.record(spec.key, await failed.stop());
      return this.startEntry(e);
    })().finally(() => {
      e.starting = null;
    });
    return e.starting;
  }

  /** One cell is done with the spec's server; the last registered cell stops it and frees its GPU lease. */
  async release(spec: ServerSpec): Promise<void> {
    const e = this.entries.get(spec.key);
    if (!e || e.active === 0) return;
    e.active--;
    e.done++;
    await this.maybeStop(e);
  }

  /** A registered cell finished without needing the server (all its requests were in the request cache). */
  async skip(spec: ServerSpec): Promise<void> {
    const e = this.entries.get(spec.key);
    if (!e || e.registered <= e.active + e.done) return;
    e.done++;
    await this.maybeStop(e);
  }

  private async maybeStop(e: Entry): Promise<void> {
    if (e.active > 0 || e.done < e.registered) return;
    this.entries.delete(e.spec.key);
    await this.stopEntry(e);
  }

  private record(key: string, report: StopReport): void {
    this.stops.push({ key, report });
  }

  private async stopEntry(e: Entry): Promise<void> {
    const server = e.server ?? (e.starting ? await e.starting.catch(() => null) : null);
    e.server = null;
    try {
      if (server) this.record(e.spec.key, await server.stop());
    } finally {
      e.lease?.release();
      e.lease = null;
    }
  }

  /**
   * One request limiter per server key (preset.concurrency requests in flight), shared by all cells of the
   * model, so running several cells at once does not multiply the load on the server.
   */
  limiter(spec: ServerSpec): ReturnType<typeof pLimit> {
    let l = this.limiters.get(spec.key);
    if (!l) {
      l = pLimit(Math.max(1, spec.preset.concurrency));
      this.limiters.set(spec.key, l);
    }
    return l;
  }

  /** Keys of servers running now. */
  running(): string[] {
    return [...this.entries.values()].filter((e) => e.server).map((e) => e.spec.key);
  }

  /** Stops every server (in parallel) and frees all leases; for the end of a run, success or failure. */
  async closeAll(): Promise<void> {
    const all = [...this.entries.values()];
    this.entries.clear();
    const results = await Promise.allSettled(all.map((e) => this.stopEntry(e)));
    if (this.ownsLeases) this.leases?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
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
