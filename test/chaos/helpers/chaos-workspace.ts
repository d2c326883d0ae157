import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { DATA_MIRROR, REPO_ROOT, scratchWorkspace, type Scratch } from '../../helpers/scratch-workspace';
import { hasEnv, processTable, sandboxUidBlock, sleep, taskProcesses, waitUntil, type Proc } from './processes';

/** The stand-in vLLM (libs/inference/test/fixtures/standin-vllm), put first on PATH for every chaos run. */
export const STANDIN_DIR = join(REPO_ROOT, 'libs/inference/test/fixtures/standin-vllm');

/** A small preset: two servers of it do not fit one 80 GiB GPU (0.6 × 79.6 GiB each), short timeouts, one retry. */
export const CHAOS_PRESET = `description: chaos suite preset (small, fast, one retry)
gpu_memory_utilization: 0.6
max_model_len: 4096
max_num_seqs: 16
concurrency: 2
request_timeout_s: 5
max_retries: 1
`;

/** The default chaos pipeline: one model served by the stand-in, one generative and one log-likelihood dataset. */
export const BASE_PIPELINE = `backend: vllm
preset: chaos
settings: { sample_limit: 5 }
models:
  - model: qwen3-4b
datasets: [gsm8k, arc-easy]
`;

/** One finished nx command. */
export interface NxRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  ms: number;
}

/** An nx command still running. */
export interface Running {
  pid: number;
  startedAt: number;
  done: Promise<NxRun>;
  /** Output so far. */
  out(): string;
  /** Task processes (batch or executor) Nx has forked and that are alive now. */
  tasks(): Proc[];
}

/** A request the stand-in received (its STANDIN_REQUEST_LOG). */
export interface StandinRequest {
  time: number;
  pid: number;
  path: string;
  probe: boolean;
  body: Record<string, unknown>;
}

/** A stand-in lifecycle event (its STANDIN_EVENT_LOG). */
export interface StandinEvent {
  event: 'start' | 'ready' | 'stop' | 'crash' | 'oom';
  pid: number;
  model: string;
  port: number;
  time: number;
}

/** Lines of a JSONL log, skipping a torn last line (a process killed mid-append). */
export function readLog<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const out: T[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // a half-written line of a killed process
    }
  }
  return out;
}

const PLUGIN_WORKER = /nx\/dist\/src\/project-graph\/plugins\/isolation\/plugin-worker\.js/;

/** A line of a stack trace, which no user-facing failure may print. */
export const STACK_LINE = /\n\s+at (?:async )?\S.*(?:\(.*:\d+:\d+\)|:\d+:\d+)/;

/**
 * A scratch workspace (test/helpers/scratch-workspace.ts) set up for fault injection: the chaos preset, the
 * stand-in vLLM first on PATH, its request and event logs outside the workspace, short server time-outs, and a
 * unique environment mark inherited by every process a run starts, so the process table can be checked for
 * exactly this workspace's leftovers while other work shares the machine.
 */
export class ChaosWorkspace {
  readonly ws: Scratch;
  readonly root: string;
  readonly logDir: string;
  readonly mark: string;
  readonly requestLog: string;
  readonly eventLog: string;
  /** Pids of every task process seen, so sandbox uids of killed tasks can be checked too. */
  readonly taskPids = new Set<number>();
  private readonly running = new Set<number>();

  constructor(pipelines: Record<string, string> = { c: BASE_PIPELINE }, readonly baseEnv: Record<string, string> = {}) {
    this.ws = scratchWorkspace({ pipelines });
    this.root = this.ws.root;
    writeFileSync(join(this.root, 'configs/presets/chaos.yaml'), CHAOS_PRESET);
    // EVALGRAPH_CHAOS_OVERLAY: a folder laid out like the repository whose files replace the scratch copy's, to
    // try a patch to files the suite does not own before it lands.
    const overlay = process.env.EVALGRAPH_CHAOS_OVERLAY;
    if (overlay) cpSync(overlay, this.root, { recursive: true });
    this.logDir = mkdtempSync(join(tmpdir(), 'evalgraph-chaos-logs-'));
    this.mark = `EVALGRAPH_CHAOS_MARK=${randomBytes(6).toString('hex')}`;
    this.requestLog = join(this.logDir, 'requests.jsonl');
    this.eventLog = join(this.logDir, 'events.jsonl');
  }

  /** The environment of an nx run here. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const [markName, markValue] = this.mark.split('=');
    return {
      ...process.env,
      PATH: `${STANDIN_DIR}${delimiter}${process.env.PATH ?? ''}`,
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      // Plugins in-process: each nx run starts in half the time (scenario 1 also kills runs with isolation on).
      NX_ISOLATE_PLUGINS: 'false',
      FORCE_COLOR: '0',
      CI: 'true',
      EVALGRAPH_DATA_MIRROR: DATA_MIRROR,
      EVALGRAPH_EXEC_LOG: join(this.root, '.evalgraph', 'executed.log'),
      EVALGRAPH_SERVER_START_TIMEOUT_MS: '30000',
      EVALGRAPH_SERVER_GRACE_MS: '2000',
      STANDIN_LOAD_DELAY_MS: '30',
      STANDIN_LATENCY_MS: '20',
      STANDIN_REQUEST_LOG: this.requestLog,
      STANDIN_EVENT_LOG: this.eventLog,
      [markName]: markValue,
      ...this.baseEnv,
      ...extra,
    };
  }

  /** Starts `nx <args>` without waiting. */
  start(args: string[], extra: Record<string, string> = {}): Running {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(this.root, 'node_modules/nx/dist/bin/nx.js'), ...args], { cwd: this.root, env: this.env(extra), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const pid = child.pid!;
    this.running.add(pid);
    const poll = setInterval(() => {
      for (const t of taskProcesses(pid)) this.taskPids.add(t.pid);
    }, 200);
    const done = new Promise<NxRun>((resolve) => {
      child.once('close', (status, signal) => {
        clearInterval(poll);
        this.running.delete(pid);
        resolve({ status, signal, out, ms: Date.now() - t0 });
      });
    });
    return {
      pid,
      startedAt: t0,
      done,
      out: () => out,
      tasks: () => {
        const t = taskProcesses(pid);
        for (const p of t) this.taskPids.add(p.pid);
        return t;
      },
    };
  }

  /** Runs `nx <args>` to the end. */
  run(args: string[], extra: Record<string, string> = {}): Promise<NxRun> {
    return this.start(args, extra).done;
  }

  /** `nx run-many -t evaluate -p pipeline-<p>`. */
  evaluate(extra: Record<string, string> = {}, more: string[] = [], pipeline = 'c'): Promise<NxRun> {
    return this.run(['run-many', '-t', 'evaluate', '-p', `pipeline-${pipeline}`, '--outputStyle=static', ...more], extra);
  }

  /** Every process this workspace's runs started that is still alive (by environment mark and sandbox uid). */
  private ours(): Proc[] {
    const uidBlocks = [...this.taskPids].map((p) => sandboxUidBlock(p));
    return processTable().filter((p) => p.pid !== process.pid && (hasEnv(p.pid, this.mark) || uidBlocks.some(([lo, hi]) => p.uid >= lo && p.uid <= hi)));
  }

  /**
   * Leftovers evalgraph answers for: stand-in servers and their EngineCore, watchdogs, sandboxed programs, and
   * Nx task processes (batch, executor) running evalgraph code. Nx's own plugin workers are not among them
   * (see orphanPluginWorkers).
   */
  leftovers(): Proc[] {
    return this.ours().filter((p) => !PLUGIN_WORKER.test(p.args));
  }

  /**
   * Nx plugin workers whose nx was SIGKILLed while building the project graph. Nx's own code, not evalgraph's:
   * each exits by itself when its host has not connected within 30 s or sent no load message within 60 s
   * (nx/src/project-graph/plugins/isolation/plugin-worker.js, CONNECT_TIMEOUT_MS / LOAD_TIMEOUT_MS).
   */
  orphanPluginWorkers(): Proc[] {
    return this.ours().filter((p) => PLUGIN_WORKER.test(p.args) && p.ppid === 1);
  }

  /** Waits up to `timeoutMs` for every leftover to go away; returns those still alive. */
  async waitClean(timeoutMs = 20_000): Promise<Proc[]> {
    await waitUntil(() => this.leftovers().length === 0, timeoutMs, 200);
    return this.leftovers();
  }

  /** SIGKILLs leftovers and orphaned plugin workers (by pid; all started by this workspace's runs) so none outlives the test. */
  async killLeftovers(): Promise<void> {
    for (const p of this.ours()) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await sleep(200);
  }

  /** Non-probe requests the stand-in received. */
  requests(): StandinRequest[] {
    return readLog<StandinRequest>(this.requestLog).filter((r) => !r.probe);
  }

  /** Stand-in lifecycle events. */
  events(): StandinEvent[] {
    return readLog<StandinEvent>(this.eventLog);
  }

  /** Writes a file relative to the workspace root. */
  write(rel: string, text: string): void {
    writeFileSync(join(this.root, rel), text);
  }

  /** The request cache database file. */
  get requestCacheFile(): string {
    return join(this.root, '.evalgraph', 'request-cache.sqlite');
  }

  /** PRAGMA integrity_check of the request cache and its keys ('absent' when there is none yet). */
  requestCache(): { integrity: string; keys: Set<string> } {
    if (!existsSync(this.requestCacheFile)) return { integrity: 'absent', keys: new Set() };
    const db = new Database(this.requestCacheFile, { readonly: true, fileMustExist: true, timeout: 30_000 });
    try {
      const integrity = String(db.pragma('integrity_check', { simple: true }));
      const keys = new Set((db.prepare('SELECT key FROM responses').all() as { key: string }[]).map((r) => r.key));
      return { integrity, keys };
    } finally {
      db.close();
    }
  }

  /** Every result file of a pipeline, normalized (see normalizeResult). */
  results(pipeline = 'c'): Record<string, unknown> {
    return resultsSnapshot(join(this.root, 'results', pipeline));
  }

  /** Raw bytes of every file under results/<pipeline> (logs excluded). */
  rawResults(pipeline = 'c'): Record<string, string> {
    const out: Record<string, string> = {};
    for (const f of listFiles(join(this.root, 'results', pipeline))) if (!f.startsWith('logs/')) out[f] = readFileSync(join(this.root, 'results', pipeline, f), 'latin1');
    return out;
  }

  /** Staging folders (`<cell>.staging-<pid>`) left anywhere under results/: a run that stopped cleanly removes its own. */
  stagingLeft(): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (!e.isDirectory()) continue;
        if (/\.staging-\d+$/.test(e.name)) out.push(relative(this.root, join(d, e.name)));
        else walk(join(d, e.name));
      }
    };
    if (existsSync(join(this.root, 'results'))) walk(join(this.root, 'results'));
    return out.sort();
  }

  /** Ends every run still going and removes the workspace and its logs. */
  async dispose(): Promise<void> {
    for (const pid of this.running) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await this.killLeftovers();
    this.ws.dispose();
    rmSync(this.logDir, { recursive: true, force: true });
  }
}

/** Files under a directory, relative, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

/**
 * A result file with what legitimately differs between two runs of the same inputs removed: latencies, wall
 * time, throughput, timestamps, the server port, how many requests came from the request cache, and the file
 * digests in run.json (which cover those).
 */
export function normalizeResult(name: string, text: string): unknown {
  if (name.endsWith('samples.jsonl')) {
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const { latency_ms: _l, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return rest;
      });
  }
  if (name.endsWith('metrics.json')) {
    const m = JSON.parse(text) as Record<string, unknown> & { requests: Record<string, number> };
    const { latency_ms: _l, throughput_tok_s: _t, wall_s: _w, tokens: _k, kv_cache_usage_max: _v, peak_gpu_memory_gib: _p, requests, ...rest } = m;
    return { ...rest, requests: { total: requests.total, failed: requests.failed } };
  }
  if (name.endsWith('run.json')) {
    const r = JSON.parse(text) as Record<string, unknown> & { server: Record<string, unknown> };
    // File digests cover latencies and wall times, so they differ between two runs as those do; `served` is the
    // server's working window for the cell (absent when every answer came from the request cache).
    const { started_at: _s, finished_at: _f, served: _w, files: _d, server, ...rest } = r;
    return { ...rest, server: { kind: server.kind, version: server.version } };
  }
  return text;
}

/** Normalized result files under a results/<pipeline> folder (server logs left out). */
export function resultsSnapshot(dir: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of listFiles(dir)) {
    if (f.startsWith('logs/')) continue;
    out[f] = normalizeResult(f, readFileSync(join(dir, f), 'utf8'));
  }
  return out;
}
