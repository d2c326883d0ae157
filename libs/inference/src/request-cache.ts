import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { EvalResponse, hashValue, sha256, stableStringify, storageLayout } from '@evalgraph/core';

/** Where a workspace's request cache lives: .evalgraph/ or the storage path (configs/storage.yaml). */
export function requestCacheFile(workspaceRoot: string): string {
  return storageLayout(workspaceRoot).requestCache;
}

/**
 * Server flags that do not change what a request returns (memory, scheduling, networking, logging). Every
 * other flag — dtype, kv_cache_dtype, max_model_len, quantization, seed, chat template, tokenizer mode,
 * logits processors, reasoning parser, anything unknown — is part of the cache key.
 */
const NON_OUTPUT_FLAGS = new Set([
  'host', 'port', 'served-model-name', 'gpu-memory-utilization', 'max-num-seqs', 'max-num-batched-tokens',
  'enable-prefix-caching', 'enable-chunked-prefill', 'swap-space', 'enforce-eager', 'cpu-offload-gb', 'block-size',
  'disable-uvicorn-access-log', 'disable-log-stats', 'enable-log-requests', 'disable-log-requests', 'uvicorn-log-level',
  'max-parallel-loading-workers', 'download-dir', 'kv-cache-memory-bytes', 'num-gpu-blocks-override', 'api-server-count',
  'disable-frontend-multiprocessing', 'max-log-len', 'enable-request-id-headers', 'disable-fastapi-docs',
  'enable-server-load-tracking', 'enable-prompt-tokens-details', 'enable-force-include-usage', 'use-tqdm-on-load',
  // Which adapters a server also loads does not change an answer; a request to an adapter carries that adapter's
  // digest in its key instead (VllmBackend.serverArgs), so a retrained adapter is asked again.
  'enable-lora', 'lora-modules', 'max-lora-rank', 'max-loras',
]);

/** The output-affecting subset of `vllm serve` flags; a chat template path is replaced by its content hash. */
export function outputAffectingArgs(flags: Map<string, string | number | boolean>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [name, value] of flags) {
    // Every name here was checked against the target vLLM's flag list (which may be newer than the frozen 0.11 one).
    if (NON_OUTPUT_FLAGS.has(name)) continue;
    if (name === 'chat-template' && typeof value === 'string' && existsSync(value)) {
      out[name] = `sha256:${sha256(readFileSync(value))}`;
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** What identifies one cached response. */
export interface CacheKeyParts {
  model: { hf_id: string; revision: string };
  /** "vllm", or "endpoint:<origin>" (no credentials) for an external server. */
  runtime: string;
  serverArgs: Record<string, unknown>;
  /** The full body sent (no API key ever enters a body: the SDK sends it as a header). */
  body: Record<string, unknown>;
  sampleIndex: number;
}

const listDigests = new WeakMap<readonly unknown[], string>();

/** Hashes large id lists once (the ~94k allowed_token_ids of the English filter). */
function digestList(list: readonly unknown[]): string {
  let d = listDigests.get(list);
  if (!d) {
    d = `sha256:${sha256(JSON.stringify(list))}`;
    listDigests.set(list, d);
  }
  return d;
}

/** sha256 of the stable JSON of {model id + revision, runtime, output-affecting server args, body, sample index}. */
export function requestCacheKey(parts: CacheKeyParts): string {
  const body = Array.isArray(parts.body.allowed_token_ids) ? { ...parts.body, allowed_token_ids: digestList(parts.body.allowed_token_ids) } : parts.body;
  return hashValue({ v: 1, model: parts.model, runtime: parts.runtime, server: parts.serverArgs, body, sample_index: parts.sampleIndex });
}

/** Size and contents of the cache. */
export interface RequestCacheStats {
  file: string;
  fileBytes: number;
  entries: number;
  models: { model: string; entries: number; bytes: number; oldest: string; newest: string }[];
}

interface StatRow {
  model: string;
  entries: number;
  bytes: number;
  oldest: number;
  newest: number;
}

type Row = [key: string, model: string, createdAt: number, response: string];

/** Most rows one transaction writes; a larger backlog is flushed at once rather than at the end of the tick. */
const MAX_BATCH = 512;

const openCaches = new Set<RequestCache>();
let exitHookInstalled = false;

/** Rows still buffered when the process exits normally (process.exit included) are written synchronously. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of openCaches) c.flush();
  });
}

/**
 * Finished requests, one row each, committed within the event-loop turn in which a request finishes, so a killed
 * cell resumes where it stopped. Rows that finish in the same turn share one transaction (a commit per row cost
 * more than the HTTP exchange at a few thousand requests/s); a SIGKILL can lose only the current turn's rows,
 * and a normal exit or close() writes them. SQLite in WAL mode with a busy timeout: parallel cells (processes)
 * read and write it safely. Only successful responses are stored; errors are retried on the next run.
 */
export class RequestCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], { response: string }>;
  private readonly putStmt: Database.Statement<Row>;
  private readonly writeBatch: (rows: Row[]) => void;
  private pending: Row[] = [];
  private flushScheduled = false;
  private closed = false;

  private constructor(readonly file: string, db: Database.Database) {
    this.db = db;
    this.getStmt = db.prepare('SELECT response FROM responses WHERE key = ?');
    this.putStmt = db.prepare('INSERT OR REPLACE INTO responses (key, model, created_at, response) VALUES (?, ?, ?, ?)');
    this.writeBatch = db.transaction((rows: Row[]) => {
      for (const r of rows) this.putStmt.run(...r);
    });
    openCaches.add(this);
    installExitHook();
  }

  /**
   * Opens (or creates) the cache. A corrupted file (fails quick_check or is not a database) is renamed aside
   * as <file>.corrupt-<time> with a warning, and a fresh cache is started; nothing else is touched.
   */
  static open(file: string, opts: { onWarning?: (msg: string) => void } = {}): RequestCache {
    mkdirSync(dirname(file), { recursive: true });
    const warn = opts.onWarning ?? ((m: string) => process.emitWarning(m, 'EvalgraphRequestCache'));
    try {
      return new RequestCache(file, RequestCache.openDb(file, true));
    } catch (e) {
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      for (const suffix of ['', '-wal', '-shm']) {
        if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
      }
      warn(
        `request cache ${file} is corrupted (${(e as Error).message.replace(/\s*\n\s*/g, ' ')}); moved it to ${aside} and started an empty cache. ` +
          'Requests will be sent again; results and configs are unaffected.',
      );
      return new RequestCache(file, RequestCache.openDb(file, false));
    }
  }

  private static openDb(file: string, check: boolean): Database.Database {
    const db = new Database(file, { timeout: 30_000 });
    try {
      db.pragma('busy_timeout = 30000');
      if (check && existsSync(file) && statSync(file).size > 0) {
        const result = db.pragma('quick_check', { simple: true });
        if (result !== 'ok') throw new Error(`quick_check: ${String(result)}`);
      }
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE IF NOT EXISTS responses (
        key TEXT PRIMARY KEY, model TEXT NOT NULL, created_at INTEGER NOT NULL, response TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS responses_model ON responses(model);
        CREATE INDEX IF NOT EXISTS responses_created ON responses(created_at);`);
      return db;
    } catch (e) {
      db.close();
      throw e;
    }
  }

  /** The stored response for a key (marked cached: true), or null. */
  get(key: string): EvalResponse | null {
    if (this.pending.length) this.flush();
    const row = this.getStmt.get(key);
    if (!row) return null;
    const parsed = EvalResponse.safeParse(JSON.parse(row.response));
    if (!parsed.success || parsed.data.kind === 'error') return null;
    return { ...parsed.data, cached: true };
  }

  /** Stores a finished response (errors are not stored). `model` is the config name, for stats and prune. */
  put(key: string, model: string, response: EvalResponse): void {
    if (response.kind === 'error') return;
    if (this.closed) throw new Error(`request cache ${this.file} is closed`);
    this.pending.push([key, model, Date.now(), JSON.stringify({ ...response, cached: false })]);
    if (this.pending.length >= MAX_BATCH) {
      this.flush();
    } else if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  /** Writes the buffered rows in one transaction (put() schedules this for the end of the event-loop turn). */
  flush(): void {
    if (this.closed || this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    this.writeBatch(rows);
  }

  /** Entries and bytes per model, and the file size. */
  stats(): RequestCacheStats {
    this.flush();
    const rows = this.db
      .prepare('SELECT model, COUNT(*) AS entries, SUM(LENGTH(response)) AS bytes, MIN(created_at) AS oldest, MAX(created_at) AS newest FROM responses GROUP BY model ORDER BY model')
      .all() as StatRow[];
    let fileBytes = 0;
    for (const suffix of ['', '-wal']) {
      try {
        fileBytes += statSync(this.file + suffix).size;
      } catch {
        // no WAL file right now
      }
    }
    return {
      file: this.file,
      fileBytes,
      entries: rows.reduce((s, r) => s + r.entries, 0),
      models: rows.map((r) => ({ model: r.model, entries: r.entries, bytes: r.bytes, oldest: new Date(r.oldest).toISOString(), newest: new Date(r.newest).toISOString() })),
    };
  }

  /** How many entries prune() with the same filters would delete, and their response bytes. */
  countMatching(opts: { olderThanDays?: number; model?: string } = {}): { entries: number; bytes: number } {
    this.flush();
    const { where, args } = pruneFilter(opts);
    const row = this.db.prepare(`SELECT COUNT(*) AS entries, COALESCE(SUM(LENGTH(response)), 0) AS bytes FROM responses${where}`).get(...args) as { entries: number; bytes: number };
    return row;
  }

  /** Deletes entries older than N days and/or of one model (both filters apply together); returns how many. */
  prune(opts: { olderThanDays?: number; model?: string; vacuum?: boolean } = {}): number {
    this.flush();
    const { where, args } = pruneFilter(opts);
    const removed = this.db.prepare(`DELETE FROM responses${where}`).run(...args).changes;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    if (opts.vacuum) this.db.exec('VACUUM');
    return removed;
  }

  /** Writes buffered rows and closes the database. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    openCaches.delete(this);
    this.db.close();
  }
}

/** The WHERE clause (with its leading space, or empty) selecting entries older than N days and/or of one model. */
function pruneFilter(opts: { olderThanDays?: number; model?: string }): { where: string; args: (string | number)[] } {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (opts.olderThanDays !== undefined) {
    where.push('created_at < ?');
    args.push(Date.now() - opts.olderThanDays * 86_400_000);
  }
  if (opts.model !== undefined) {
    where.push('model = ?');
    args.push(opts.model);
  }
  return { where: where.length ? ` WHERE ${where.join(' AND ')}` : '', args };
}

/** Stable JSON of a body, for size measurements and logs. */
export function bodyBytes(body: Record<string, unknown>): number {
  return Buffer.byteLength(stableStringify(body));
}

/** Human-readable cache summary for the CLI (`evalgraph cache` style output). */
export function formatRequestCacheStats(s: RequestCacheStats): string {
  const mib = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;
  const lines = [`request cache ${s.file}: ${s.entries} responses, ${mib(s.fileBytes)} on disk`];
  for (const m of s.models) lines.push(`  ${m.model}: ${m.entries} responses, ${mib(m.bytes)}, ${m.oldest.slice(0, 10)} … ${m.newest.slice(0, 10)}`);
  return lines.join('\n');
}
