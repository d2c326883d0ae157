import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { GpuLeaseImpossibleError } from './errors';
import { groupMembers, pidAlive, processStartTime, sleep } from './proc';

/** What a server needs from the GPUs. */
export interface LeaseRequest {
  /** Server key (model + server args), for messages. */
  key: string;
  /** GPU memory the server claims on each of its GPUs (serverMemoryGiB(preset, gpu)). */
  gib: number;
  /** Memory of one GPU of the profile, and how many GPUs the machine has. */
  deviceMemoryGiB: number;
  deviceCount: number;
  /** GPUs one server spans (tensor parallel), default 1. */
  devicesNeeded?: number;
  /** The GPUs (nvidia-smi indices) it may take, e.g. those $CUDA_VISIBLE_DEVICES names; default 0 … deviceCount-1. */
  devices?: number[];
}

/** A row of the lease table: one holder. */
export interface LeaseHolder {
  id: string;
  key: string;
  gib: number;
  devices: number[];
  pid: number;
  pgid: number | null;
  host: string;
  started: string;
}

/** A held lease: release it after the server stopped. */
export interface Lease {
  readonly id: string;
  readonly devices: number[];
  /** Records the server's process group, so the lease outlives a killed owner until the server is gone too. */
  attachServer(pgid: number): void;
  release(): void;
}

/** One row of the lease table, as SQLite returns it. */
interface LeaseRow {
  id: string;
  key: string;
  gib: number;
  devices: string;
  pid: number;
  pid_start: number | null;
  pgid: number | null;
  host: string;
  started: string;
}

/**
 * Location of the lease database: $EVALGRAPH_GPU_LEASE_DB when set (one file for every workspace of a host, so
 * two clones share its GPUs too), else the workspace's own.
 */
export function leaseDbFile(workspaceRoot: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.EVALGRAPH_GPU_LEASE_DB || join(workspaceRoot, '.evalgraph', 'gpu-leases', 'leases.sqlite');
}

const EPS = 1e-6;

/**
 * Cross-process GPU memory lease. Every server holds a row (pid, GiB, GPUs, key, started) in a small SQLite
 * database; a new row is inserted only inside BEGIN IMMEDIATE (one writer at a time across processes) and only
 * when, on each GPU it takes, the held GiB plus its own stay within the GPU's memory. Rows of dead holders are
 * reaped: a holder is alive while its owner pid lives or its server's process group still has members
 * (a SIGKILLed owner's server keeps its lease until the watchdog has removed it).
 */
export class GpuLeaseManager {
  private readonly db: Database.Database;
  private readonly host = hostname();

  constructor(readonly dbFile: string) {
    mkdirSync(dirname(dbFile), { recursive: true });
    this.db = new Database(dbFile, { timeout: 30_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 30000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS leases (
      id TEXT PRIMARY KEY, key TEXT NOT NULL, gib REAL NOT NULL, devices TEXT NOT NULL,
      pid INTEGER NOT NULL, pid_start INTEGER, pgid INTEGER, host TEXT NOT NULL, started TEXT NOT NULL)`);
    // What each process's models wait for: a first server, or more servers (with their waiting work per server),
    // so pools of different processes (Nx may split one run into several batches) share freed GPUs by need.
    this.db.exec(`CREATE TABLE IF NOT EXISTS demand (
      key TEXT NOT NULL, pid INTEGER NOT NULL, pid_start INTEGER, host TEXT NOT NULL, first INTEGER NOT NULL, load REAL NOT NULL,
      PRIMARY KEY (key, pid, host))`);
  }

  /** Publishes (or with null, withdraws) what a model of this process waits for. */
  setDemand(key: string, d: { first: boolean; load: number } | null): void {
    if (!d) this.db.prepare('DELETE FROM demand WHERE key = ? AND pid = ? AND host = ?').run(key, process.pid, this.host);
    else this.db.prepare('INSERT OR REPLACE INTO demand (key, pid, pid_start, host, first, load) VALUES (?, ?, ?, ?, ?, ?)').run(key, process.pid, processStartTime(process.pid), this.host, d.first ? 1 : 0, d.load);
  }

  /** Demand of other live processes (rows of dead ones are removed): how many wait for a first server, the largest load. */
  othersDemand(): { first: number; maxLoad: number } {
    const rows = this.db.prepare('SELECT * FROM demand').all() as { key: string; pid: number; pid_start: number | null; host: string; first: number; load: number }[];
    const out = { first: 0, maxLoad: 0 };
    for (const r of rows) {
      if (r.host === this.host && r.pid === process.pid) continue;
      if (r.host === this.host && !pidAlive(r.pid, r.pid_start)) {
        this.db.prepare('DELETE FROM demand WHERE key = ? AND pid = ? AND host = ?').run(r.key, r.pid, r.host);
        continue;
      }
      if (r.first) out.first++;
      out.maxLoad = Math.max(out.maxLoad, r.load);
    }
    return out;
  }

  private alive(r: LeaseRow): boolean {
    return leaseAlive(r, this.host);
  }

  private reap(): void {
    const rows = this.db.prepare('SELECT * FROM leases').all() as LeaseRow[];
    const del = this.db.prepare('DELETE FROM leases WHERE id = ?');
    for (const r of rows) if (!this.alive(r)) del.run(r.id);
  }

  /** Current holders (stale ones reaped first). */
  holders(): LeaseHolder[] {
    return this.db
      .transaction(() => {
        this.reap();
        return (this.db.prepare('SELECT * FROM leases ORDER BY started').all() as LeaseRow[]).map(toHolder);
      })
      .immediate();
  }

  /** Takes the lease if the request fits now, else null; throws GpuLeaseImpossibleError if it never can. */
  tryAcquire(req: LeaseRequest): Lease | null {
    const need = Math.max(1, req.devicesNeeded ?? 1);
    impossible(req, need);
    const id = randomUUID();
    const devices = this.db
      .transaction((): number[] | null => {
        this.reap();
        // Held GiB per GPU, by nvidia-smi index: holders that see other GPUs (another CUDA_VISIBLE_DEVICES) count too.
        const used = new Map(candidates(req).map((d) => [d, 0]));
        for (const r of this.db.prepare('SELECT * FROM leases').all() as LeaseRow[]) {
          for (const d of JSON.parse(r.devices) as number[]) if (used.has(d)) used.set(d, used.get(d)! + r.gib);
        }
        // No GPU is ever promised more than its memory: held GiB plus this request stay within it on every GPU taken.
        const fits = (u: number) => u + req.gib <= req.deviceMemoryGiB + EPS;
        // Emptiest GPUs first, so servers spread over the host before any two share a GPU.
        const free = [...used].map(([d, u]) => ({ u, d })).filter(({ u }) => fits(u)).sort((a, b) => a.u - b.u || a.d - b.d);
        if (free.length < need) return null;
        const chosen = free.slice(0, need).map((x) => x.d).sort((a, b) => a - b);
        this.db
          .prepare('INSERT INTO leases (id, key, gib, devices, pid, pid_start, pgid, host, started) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)')
          .run(id, req.key, req.gib, JSON.stringify(chosen), process.pid, processStartTime(process.pid), this.host, new Date().toISOString());
        return chosen;
      })
      .immediate();
    if (!devices) return null;
    let released = false;
    return {
      id,
      devices,
      attachServer: (pgid) => {
        this.db.prepare('UPDATE leases SET pgid = ? WHERE id = ?').run(pgid, id);
      },
      release: () => {
        if (released) return;
        released = true;
        this.db.prepare('DELETE FROM leases WHERE id = ?').run(id);
      },
    };
  }

  /**
   * Waits (polling with jittered backoff, 100 ms growing to 2 s) until the request fits, then takes the lease.
   * `onWait` is called once, when the first attempt does not fit, with the holders in the way.
   */
  async acquire(req: LeaseRequest, opts: { signal?: AbortSignal; onWait?: (holders: LeaseHolder[]) => void; maxDelayMs?: number } = {}): Promise<Lease> {
    let delay = 100;
    let told = false;
    for (;;) {
      opts.signal?.throwIfAborted();
      const lease = this.tryAcquire(req);
      if (lease) return lease;
      if (!told) {
        told = true;
        opts.onWait?.(this.holders());
      }
      await sleep(delay * (0.75 + Math.random() * 0.5));
      delay = Math.min(opts.maxDelayMs ?? 2000, delay * 1.5);
    }
  }

  /** Closes the database handle. */
  close(): void {
    this.db.close();
  }
}

/** The GPUs a request may take. */
function candidates(req: LeaseRequest): number[] {
  return req.devices ?? Array.from({ length: req.deviceCount }, (_, i) => i);
}

/** Throws when no amount of waiting can satisfy the request (it would otherwise wait forever). */
function impossible(req: LeaseRequest, need: number): void {
  if (need > candidates(req).length) {
    const have = req.devices ? `only GPU ${req.devices.join(', ')} can be leased here (nvidia-smi, CUDA_VISIBLE_DEVICES)` : `the GPU profile has count ${req.deviceCount}`;
    throw new GpuLeaseImpossibleError(`${req.key}: needs ${need} GPUs (tensor parallel) but ${have} — fix: a machine or profile with >= ${need} GPUs, or a smaller tensor_parallel_size`);
  }
  if (req.gib > req.deviceMemoryGiB + EPS) {
    throw new GpuLeaseImpossibleError(`${req.key}: claims ${req.gib.toFixed(1)} GiB on each GPU but one GPU of the profile has ${req.deviceMemoryGiB} GiB — fix: lower the preset's gpu_memory_utilization or use a larger GPU profile`);
  }
}

/** A holder is alive while its owner pid lives or its server's process group still has members. */
function leaseAlive(r: LeaseRow, host: string): boolean {
  if (r.host !== host) return true; // another machine's row (shared disk): not ours to judge
  if (pidAlive(r.pid, r.pid_start)) return true;
  return r.pgid !== null && groupMembers(r.pgid).length > 0;
}

/**
 * The lease table split into live and stale holders, read without writing (the manager reaps stale rows on every
 * use; `evalgraph cache stats` must not). Null when there is no lease database.
 */
export function readLeases(dbFile: string): { live: LeaseHolder[]; stale: LeaseHolder[] } | null {
  if (!existsSync(dbFile)) return null;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const host = hostname();
    const out = { live: [] as LeaseHolder[], stale: [] as LeaseHolder[] };
    for (const r of db.prepare('SELECT * FROM leases ORDER BY started').all() as LeaseRow[]) (leaseAlive(r, host) ? out.live : out.stale).push(toHolder(r));
    return out;
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return { live: [], stale: [] };
    throw e;
  } finally {
    db.close();
  }
}

function toHolder(r: LeaseRow): LeaseHolder {
  return { id: r.id, key: r.key, gib: r.gib, devices: JSON.parse(r.devices) as number[], pid: r.pid, pgid: r.pgid, host: r.host, started: r.started };
}
