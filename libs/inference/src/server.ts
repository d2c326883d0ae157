import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ServerStartError, ServerStopError } from './errors';
import { diagnoseLogFile, tailFile } from './log-diagnosis';
import { queryGpus, waitGpuReleased, type GpuReleaseCheck } from './nvidia-smi';
import { groupMembers, pidAlive, signalGroup, sleep, waitGroupGone, waitPortClosed } from './proc';
import { acquireWatchdog, type Watchdog } from './watchdog';
import { httpOk, serverVersion } from './server-http';

/** How to launch one OpenAI-compatible server process (vLLM or the stand-in). */
export interface ServerLaunch {
  executable: string;
  /** argv after the executable, e.g. ['serve', 'Qwen/Qwen3-8B', '--port', '8123', ...]. */
  args: string[];
  port: number;
  /** The model name requests use (vLLM's --served-model-name). */
  servedModelName: string;
  logFile: string;
  /** Extra environment (CUDA_VISIBLE_DEVICES, PYTHONPATH for a logits processor). */
  env?: NodeJS.ProcessEnv;
  /** Give up waiting for readiness after this long (default $EVALGRAPH_SERVER_START_TIMEOUT_MS or 20 min: large models load slowly). */
  startTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace period (default $EVALGRAPH_SERVER_GRACE_MS or 30 s; the watchdog uses the same). */
  graceMs?: number;
  /** Readiness poll interval (default 500 ms). */
  pollIntervalMs?: number;
  /** How long to wait for GPU memory to come back after stop (default 60 s). */
  gpuReleaseTimeoutMs?: number;
}

/** What happened when a server was stopped. */
export interface StopReport {
  /** Exited on SIGTERM within the grace period. */
  graceful: boolean;
  /** Needed SIGKILL. */
  killed: boolean;
  portClosed: boolean;
  gpu: GpuReleaseCheck;
  stopMs: number;
}

const DEFAULTS = { startTimeoutMs: 20 * 60_000, graceMs: 30_000, pollIntervalMs: 500, gpuReleaseTimeoutMs: 60_000 };

/**
 * A duration from the environment, for deployments (and fault tests) that cannot pass launch options through
 * Nx: EVALGRAPH_SERVER_START_TIMEOUT_MS, EVALGRAPH_SERVER_GRACE_MS. Unset or not a positive number: undefined.
 */
export function envDurationMs(name: string, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
const LOG_TAIL_LINES = 30;

/**
 * One server process group started by evalgraph: its own process group (so a stop reaches the engine
 * child too), guarded by a watchdog that kills the group if this Node process dies.
 */
export class ManagedServer {
  readonly baseUrl: string;
  readonly command: string[];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exited: Promise<void>;
  private stopping: Promise<StopReport> | null = null;
  private seenPids = new Set<number>();
  private gpuBaseline: Map<number, number> | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly watchdog: Watchdog,
    readonly launch: Required<Pick<ServerLaunch, 'startTimeoutMs' | 'graceMs' | 'pollIntervalMs' | 'gpuReleaseTimeoutMs'>> & ServerLaunch,
  ) {
    this.baseUrl = `http://127.0.0.1:${launch.port}`;
    this.command = [launch.executable, ...launch.args];
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
    });
    this.seenPids.add(this.pgid);
  }

  /** The GPUs the server was given (its CUDA_VISIBLE_DEVICES), or null when it may see all of them. */
  get devices(): number[] | null {
    const v = this.launch.env?.CUDA_VISIBLE_DEVICES;
    if (!v || !v.trim()) return null;
    const ids = v.split(',').map((x) => Number(x.trim()));
    return ids.every((x) => Number.isInteger(x) && x >= 0) ? ids : null;
  }

  /** Process group id (= pid of the server process). */
  get pgid(): number {
    return this.child.pid ?? -1;
  }

  /**
   * The server process has exited (its children may still be alive until stop()). Also true for a zombie whose
   * exit event Node has not delivered yet: a crash drops the connections first, and the client asks at once.
   */
  get hasExited(): boolean {
    return this.exitInfo !== null || !pidAlive(this.pgid);
  }

  /** Exit code / signal of the server process, once it exited. */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  /** Live processes of the server's group right now. */
  pids(): number[] {
    const live = groupMembers(this.pgid);
    for (const p of live) this.seenPids.add(p);
    return live;
  }

  /** Every pid seen in the group (for GPU-release checks after they are gone). */
  allPids(): number[] {
    this.pids();
    return [...this.seenPids];
  }

  /** Last lines of the server log. */
  logTail(n = LOG_TAIL_LINES): string[] {
    return tailFile(this.launch.logFile, n);
  }

  /** Spawns the server and waits until it is ready; on failure stops it and throws ServerStartError. */
  static async start(launch: ServerLaunch): Promise<ManagedServer> {
    const full = {
      ...launch,
      startTimeoutMs: launch.startTimeoutMs ?? envDurationMs('EVALGRAPH_SERVER_START_TIMEOUT_MS') ?? DEFAULTS.startTimeoutMs,
      graceMs: launch.graceMs ?? envDurationMs('EVALGRAPH_SERVER_GRACE_MS') ?? DEFAULTS.graceMs,
      pollIntervalMs: launch.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
      gpuReleaseTimeoutMs: launch.gpuReleaseTimeoutMs ?? DEFAULTS.gpuReleaseTimeoutMs,
    };
    mkdirSync(dirname(full.logFile), { recursive: true });
    appendFileSync(full.logFile, `# evalgraph: starting ${[full.executable, ...full.args].join(' ')} (${new Date().toISOString()})\n`);
    const baseline = await queryGpus();
    const fd = openSync(full.logFile, 'a');
    let server: ManagedServer;
    try {
      // The watchdog goes first, so the server is never alive without a guard.
      const watchdog = acquireWatchdog(full.logFile, full.graceMs);
      const child = spawn(full.executable, full.args, {
        detached: true,
        stdio: ['ignore', fd, fd],
        env: { ...process.env, PYTHONUNBUFFERED: '1', ...full.env },
      });
      // Registered at once: a spawn failure (ENOENT, EACCES) is emitted on the next tick.
      const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
      child.on('error', () => undefined);
      if (child.pid === undefined) {
        const err = await spawnError;
        await watchdog.release();
        throw new ServerStartError(`could not run ${full.executable}: ${err.message}`, 'exited', full.logFile, [], null);
      }
      watchdog.watch(child.pid);
      child.unref();
      server = new ManagedServer(child, watchdog, full);
      // Only the server's own GPUs: on a shared host other servers come and go on the rest.
      const own = server.devices;
      if (baseline) server.gpuBaseline = new Map(baseline.filter((g) => !own || own.includes(g.index)).map((g) => [g.index, g.usedMiB]));
    } finally {
      closeSync(fd); // the children hold their own copies
    }
    try {
      await server.waitReady();
      server.pids();
      return server;
    } catch (e) {
      await server.stop().catch(() => undefined);
      throw e;
    }
  }

  private fail(reason: 'timeout' | 'exited' | 'not-responding', detail: string): ServerStartError {
    const tail = this.logTail();
    const d = diagnoseLogFile(this.launch.logFile);
    const code = this.exitInfo?.code ?? null;
    const cause = d?.cause ?? reason;
    const lines = [
      `${this.launch.servedModelName}: the server did not become ready: ${d ? d.summary : detail}`,
      d ? `  likely cause: ${d.summary}${d.evidence ? ` (log: "${d.evidence.slice(0, 200)}")` : ''}` : `  ${detail}`,
      d ? `  fix: ${d.fix}` : '',
      `  command: ${this.command.join(' ')}`,
      `  log: ${this.launch.logFile} — last ${tail.length} lines:`,
      ...tail.map((l) => `    | ${l}`),
    ].filter(Boolean);
    return new ServerStartError(lines.join('\n'), cause, this.launch.logFile, tail, code);
  }

  private async waitReady(): Promise<void> {
    const { startTimeoutMs, pollIntervalMs, servedModelName } = this.launch;
    const deadline = Date.now() + startTimeoutMs;
    const probeMs = Math.max(200, Math.min(5000, pollIntervalMs * 4));
    const exitedEarly = () => {
      const e = this.exitInfo;
      return this.fail('exited', `the server process exited early (${e?.signal ? `signal ${e.signal}` : `exit code ${e?.code}`})`);
    };
    let stage = 'waiting for /health';
    while (Date.now() < deadline) {
      if (this.exitInfo) throw exitedEarly();
      const health = await Promise.race([httpOk(`${this.baseUrl}/health`, probeMs), this.exited.then(() => null)]);
      if (health?.ok) {
        stage = 'waiting for /v1/models';
        const models = await httpOk(`${this.baseUrl}/v1/models`, probeMs);
        if (models.ok && models.body.includes(`"${servedModelName}"`)) {
          // A hung engine can still answer /health; one tiny generation proves the engine works.
          stage = 'waiting for a 1-token test completion';
          const left = Math.max(1000, deadline - Date.now());
          const probe = await Promise.race([
            httpOk(`${this.baseUrl}/v1/completions`, Math.min(left, 300_000), {
              method: 'POST',
              headers: { 'content-type': 'application/json', 'x-evalgraph-probe': '1' },
              body: JSON.stringify({ model: servedModelName, prompt: 'Hello', max_tokens: 1, temperature: 0 }),
            }),
            this.exited.then(() => null),
          ]);
          if (probe?.ok) return;
          if (this.exitInfo) throw exitedEarly();
          if (probe && probe.status >= 400 && probe.status < 500) {
            throw this.fail('not-responding', `the 1-token test completion was refused (HTTP ${probe.status}: ${probe.body.slice(0, 300)})`);
          }
        }
      }
      await Promise.race([sleep(pollIntervalMs), this.exited]);
    }
    throw this.fail('timeout', `not ready after ${Math.round(startTimeoutMs / 1000)} s (${stage})`);
  }

  /** GET /version (vLLM answers {"version": "0.11.0"}); null when it does not answer. */
  version(): Promise<string | null> {
    return serverVersion(this.baseUrl);
  }

  /**
   * Stops the whole process group: SIGTERM, SIGKILL after the grace period, then checks that the port is
   * closed and (with nvidia-smi) that the GPU memory of every pid the group ever had came back.
   */
  stop(): Promise<StopReport> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<StopReport> {
    const t0 = Date.now();
    const exitedOnItsOwn = this.exitInfo !== null;
    const pids = this.allPids();
    signalGroup(this.pgid, 'SIGTERM');
    const graceful = await waitGroupGone(this.pgid, this.launch.graceMs);
    let killed = false;
    if (!graceful) {
      signalGroup(this.pgid, 'SIGKILL');
      killed = true;
      if (!(await waitGroupGone(this.pgid, 10_000))) {
        const left = groupMembers(this.pgid);
        throw new ServerStopError(`server group ${this.pgid} survived SIGKILL: pids ${left.join(', ')}`, left);
      }
    }
    await this.watchdog.release();
    // A server that exited by itself (failed start) may never have bound the port; someone else may hold it.
    const portClosed = await waitPortClosed(this.launch.port, exitedOnItsOwn ? 0 : 5000);
    const gpu = await waitGpuReleased(pids, { timeoutMs: this.launch.gpuReleaseTimeoutMs, baselineUsedMiB: this.gpuBaseline });
    const how = graceful ? 'exited on SIGTERM' : `killed with SIGKILL after ${this.launch.graceMs} ms`;
    try {
      appendFileSync(this.launch.logFile, `# evalgraph: server ${how}; port ${portClosed ? 'closed' : 'STILL OPEN'}; ${gpu.detail}\n`);
    } catch {
      // the log directory may be gone (tests clean up); the report still says it all
    }
    return { graceful, killed, portClosed, gpu, stopMs: Date.now() - t0 };
  }
}
