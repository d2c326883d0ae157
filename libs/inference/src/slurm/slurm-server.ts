import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ConfigError, type SlurmAccounting, type SlurmSettings } from '@evalgraph/core';
import { ServerStartError, ServerStopError } from '../errors';
import { diagnoseLogFile, tailFile } from '../log-diagnosis';
import type { ModelServer } from '../model-server';
import { isPortOpen, sleep } from '../proc';
import { envDurationMs, type StopReport } from '../server';
import type { ServerSpec } from '../types';
import { tensorParallelSize } from '../vllm-args';
import { vllmLaunch, type VllmStartOptions } from '../vllm-launch';
import { cancelJob, jobStatus, LIVE_STATES, slurmEnv, submitJob, type JobStatus } from './slurm-commands';
import { startHeartbeat, type Heartbeat } from './heartbeat';
import { jobScript, jobTiming, selfCancelBoundS } from './slurm-job-script';
import { httpOk, serverVersion } from '../server-http';

/** Knobs of a Slurm-scheduled server; the durations default to the local server's (environment included). */
export interface SlurmStartOptions extends Pick<VllmStartOptions, 'executable' | 'env' | 'startTimeoutMs' | 'graceMs'> {
  /** Progress lines (queue waits). */
  log?: (line: string) => void;
  /** Longest squeue poll interval (default 5 s; the queue is polled every 0.5 s at first). */
  pollIntervalMs?: number;
  /** A "still pending" line at most this often (default 30 s). */
  progressEveryMs?: number;
  /** Environment of the Slurm commands (default: slurmEnv(workspaceRoot)). */
  slurmEnv?: NodeJS.ProcessEnv;
  /** Aborting (Ctrl-C, SIGTERM of the run) ends a wait in the queue at once: the job is cancelled, start() rejects. */
  signal?: AbortSignal;
}

/** The job's published endpoint. */
interface Endpoint {
  host: string;
  port: number;
  node: string;
  gpus: string;
}

const DEFAULT_START_TIMEOUT_MS = 20 * 60_000;
const DEFAULT_GRACE_MS = 30_000;

/** Jobs this process submitted and has not yet seen end, with the environment their Slurm commands use. */
const liveJobs = new Map<string, NodeJS.ProcessEnv>();
let exitHookInstalled = false;

function scancelLiveJobs(): void {
  for (const [id, jobEnv] of liveJobs) spawnSync('scancel', [id], { env: jobEnv, stdio: 'ignore', timeout: 10_000 });
}

/**
 * On Ctrl-C or SIGTERM the live jobs are scancelled at once, synchronously, before the graceful stop waits for them to
 * end: a worker that Nx (or the user) then kills with SIGKILL has already cancelled them. In full test runs on a loaded
 * 2-core machine a job outlived a Ctrl-C of nx when the scancel waited on the graceful path. The handler never keeps
 * a process alive: when it is the only listener it re-raises the signal.
 */
const onSignal = (sig: NodeJS.Signals) => {
  scancelLiveJobs();
  if (process.listenerCount(sig) === 1) {
    process.off(sig, signalHandlers.get(sig)!);
    process.kill(process.pid, sig);
  }
};
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const signalHandlers = new Map<NodeJS.Signals, () => void>(SIGNALS.map((s) => [s, () => onSignal(s)]));

/**
 * A process that exits with jobs still live (a second Ctrl-C, or nx closing the worker's channel right after the
 * first, exits at once) scancels them synchronously on its way out; only SIGKILL leaves them to the heartbeat.
 */
function trackJob(jobId: string, env: NodeJS.ProcessEnv): void {
  liveJobs.set(jobId, env);
  for (const [sig, h] of signalHandlers) if (!process.listeners(sig).includes(h)) process.on(sig, h);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    scancelLiveJobs();
    liveJobs.clear();
  });
}

/** The job ended: forget it, and stop listening for signals once no job is live. */
function untrackJob(jobId: string): void {
  liveJobs.delete(jobId);
  if (liveJobs.size === 0) for (const [sig, h] of signalHandlers) process.off(sig, h);
}

/** Folder of one job's script, heartbeat and endpoint file: under the workspace, which the nodes must see. */
function jobDir(spec: ServerSpec): string {
  const safe = spec.modelName.replace(/[^A-Za-z0-9._-]/g, '_');
  return join(spec.workspaceRoot, '.evalgraph', 'slurm-jobs', `${safe}-${randomUUID().slice(0, 8)}`);
}

/** The sbatch arguments of a spec's job (without the script). */
export function sbatchArgs(spec: ServerSpec, slurm: SlurmSettings, gpus: number): string[] {
  return [
    `--job-name=evalgraph:${spec.modelName}`,
    `--gres=gpu:${gpus}`,
    ...(slurm.partition ? [`--partition=${slurm.partition}`] : []),
    ...(slurm.account ? [`--account=${slurm.account}`] : []),
    ...(slurm.time_limit ? [`--time=${slurm.time_limit}`] : []),
    `--chdir=${spec.workspaceRoot}`,
    `--output=${spec.logFile}`,
    '--open-mode=append',
    ...slurm.sbatch_options,
  ];
}

/** GPUs one server job asks for: the configured number, else the model's tensor-parallel size; never fewer than that. */
export function gpusPerServer(spec: ServerSpec, slurm: SlurmSettings): number {
  const tp = tensorParallelSize(spec.model);
  const n = slurm.gpus_per_server ?? tp;
  if (n < tp) {
    throw new ConfigError([
      {
        file: `configs/gpus/${spec.gpuName}.yaml or the pipeline`,
        field: 'slurm.gpus_per_server',
        expected: `at least ${tp} (model ${spec.modelName} runs with tensor_parallel_size ${tp})`,
        found: String(n),
        hint: `set gpus_per_server to ${tp} or remove it`,
      },
    ]);
  }
  return n;
}

/** The address the client connects to: the bind address when it is a specific one, localhost for this machine. */
function connectHost(published: string, bind: string): string {
  if (bind !== '0.0.0.0' && bind !== '::') return bind;
  const here = hostname();
  return published === here || published === here.split('.')[0] ? '127.0.0.1' : published;
}

/**
 * A model's vLLM server running as a Slurm job: submitted with sbatch, reached over HTTP from this machine,
 * kept alive by a heartbeat file that a keeper process of this one refreshes, and ended with scancel.
 */
export class SlurmServer implements ModelServer {
  readonly pgid = -1;
  baseUrl = '';
  /** The command line the job runs (its --port becomes the node's port once the job published it). */
  command: string[];
  slurm?: SlurmAccounting;
  private status: JobStatus | null = null;
  private gone = false;
  private pollTimer: NodeJS.Timeout | null = null;
  private stopping: Promise<StopReport> | null = null;
  private endpoint: Endpoint | null = null;
  private queueWaitS = 0;
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: (line: string) => void;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly signal?: AbortSignal;

  private constructor(
    readonly spec: ServerSpec,
    readonly settings: SlurmSettings,
    readonly jobId: string,
    private readonly dir: string,
    command: string[],
    private readonly submittedAt: number,
    private readonly heartbeat: Heartbeat,
    opts: SlurmStartOptions,
  ) {
    this.command = command;
    this.env = opts.slurmEnv ?? slurmEnv(spec.workspaceRoot);
    this.log = opts.log ?? (() => undefined);
    this.pollMs = opts.pollIntervalMs ?? 5000;
    this.graceMs = opts.graceMs ?? envDurationMs('EVALGRAPH_SERVER_GRACE_MS') ?? DEFAULT_GRACE_MS;
    this.signal = opts.signal;
  }

  private get endpointFile(): string {
    return join(this.dir, 'endpoint.json');
  }

  /** The job ended (or Slurm forgot it). */
  get hasExited(): boolean {
    return this.gone;
  }

  get exit(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.gone ? { code: null, signal: null } : null;
  }

  get exitDetail(): string | null {
    return this.gone ? `Slurm job ${this.jobId} ended (${this.status?.state ?? 'no longer known to Slurm'})` : null;
  }

  /** Slurm picks the GPUs on the job's node; nvidia-smi here cannot see them. */
  readonly devices = null;

  /** A remote server has no local pids to sample. */
  allPids(): number[] {
    return [];
  }

  logTail(n = 30): string[] {
    return tailFile(this.spec.logFile, n);
  }

  version(): Promise<string | null> {
    return serverVersion(this.baseUrl);
  }

  /**
   * Submits the spec's `vllm serve` as a Slurm job, shows the queue wait as progress lines, and resolves once the
   * server answers /health, lists the model and completes one token. Any failure cancels the job.
   */
  static async start(spec: ServerSpec, opts: SlurmStartOptions = {}): Promise<SlurmServer> {
    const settings = spec.slurm;
    if (!settings) throw new Error(`internal: ${spec.key} has no Slurm settings`);
    opts.signal?.throwIfAborted();
    const gpus = gpusPerServer(spec, settings);
    const launch = vllmLaunch(spec, 0, { executable: opts.executable, env: opts.env });
    const hostAt = launch.args.indexOf('--host');
    if (hostAt >= 0) launch.args[hostAt + 1] = settings.bind_host;
    const dir = jobDir(spec);
    mkdirSync(dir, { recursive: true });
    mkdirSync(dirname(spec.logFile), { recursive: true });
    closeSync(openSync(spec.logFile, 'a'));
    const graceMs = opts.graceMs ?? envDurationMs('EVALGRAPH_SERVER_GRACE_MS') ?? DEFAULT_GRACE_MS;
    const staleAfterS = settings.heartbeat_timeout_s;
    const script = jobScript({
      key: spec.key,
      executable: launch.executable,
      args: launch.args,
      env: Object.fromEntries(Object.entries(launch.env ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string')),
      endpointFile: join(dir, 'endpoint.json'),
      heartbeatFile: join(dir, 'heartbeat'),
      ...jobTiming(staleAfterS, graceMs),
      logFile: spec.logFile,
      probeHost: settings.bind_host === '0.0.0.0' || settings.bind_host === '::' ? '127.0.0.1' : settings.bind_host,
    });
    const scriptFile = join(dir, 'job.sh');
    writeFileSync(scriptFile, script, { mode: 0o755 });
    writeFileSync(join(dir, 'heartbeat'), '');
    // Beating from before sbatch: a job that starts at once must find a fresh heartbeat, however slow sbatch is.
    const heartbeat = startHeartbeat(join(dir, 'heartbeat'), Math.max(250, Math.floor((staleAfterS * 1000) / 4)));
    const env = opts.slurmEnv ?? slurmEnv(spec.workspaceRoot);
    const submittedAt = Date.now();
    let jobId: string;
    try {
      jobId = await submitJob([...sbatchArgs(spec, settings, gpus), scriptFile], env);
    } catch (e) {
      heartbeat.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
    trackJob(jobId, env);
    const server = new SlurmServer(spec, settings, jobId, dir, [launch.executable, ...launch.args], submittedAt, heartbeat, { ...opts, slurmEnv: env });
    server.log(`${spec.modelName}: submitted Slurm job ${jobId} (--gres=gpu:${gpus}${settings.partition ? `, partition ${settings.partition}` : ''})`);
    try {
      await server.waitRunning(opts.progressEveryMs ?? 30_000);
      await server.waitReady(opts.startTimeoutMs ?? envDurationMs('EVALGRAPH_SERVER_START_TIMEOUT_MS') ?? DEFAULT_START_TIMEOUT_MS);
      server.startPolling();
      return server;
    } catch (e) {
      await server.stop().catch(() => undefined);
      throw e;
    }
  }

  private async refresh(): Promise<JobStatus | null> {
    this.status = await jobStatus(this.jobId, this.env);
    if (!this.status || !LIVE_STATES.has(this.status.state)) this.gone = true;
    return this.status;
  }

  private async waitRunning(progressEveryMs: number): Promise<void> {
    let lastNote = 0;
    for (;;) {
      this.signal?.throwIfAborted();
      const s = await this.refresh();
      if (this.gone) throw this.fail('exited', `the Slurm job ${this.jobId} ended before its server started (${s ? `${s.state}${s.reason && s.reason !== 'None' ? `, ${s.reason}` : ''}` : 'no longer known to Slurm'})`);
      if (s?.state === 'RUNNING') break;
      if (Date.now() - lastNote >= progressEveryMs) {
        lastNote = Date.now();
        const waited = Math.round((Date.now() - this.submittedAt) / 1000);
        const what = s?.state === 'PENDING' ? `pending in the queue (${s.reason})` : `${s?.state.toLowerCase() ?? 'submitted'}${s?.node ? ` on ${s.node}` : ''}`;
        this.log(`${this.spec.modelName}: Slurm job ${this.jobId} ${what} for ${waited} s`);
      }
      // Often at first (a free cluster starts a job in a second), then gently: squeue load matters on a busy cluster.
      await sleep(Math.min(this.pollMs, 500 + (Date.now() - this.submittedAt) / 20));
    }
    this.queueWaitS = Math.round((Date.now() - this.submittedAt) / 100) / 10;
  }

  /** Reads the endpoint the job published (once its server listens) and records the job's accounting. */
  private useEndpoint(): void {
    const ep = JSON.parse(readFileSync(this.endpointFile, 'utf8')) as Endpoint;
    this.endpoint = ep;
    const portAt = this.command.indexOf('--port');
    if (portAt >= 0) this.command = this.command.map((a, i) => (i === portAt + 1 ? String(ep.port) : a));
    this.baseUrl = `http://${connectHost(ep.host, this.settings.bind_host)}:${ep.port}`;
    this.slurm = {
      job_id: this.jobId,
      node: ep.node,
      gpus: ep.gpus,
      gres: `gpu:${gpusPerServer(this.spec, this.settings)}`,
      partition: this.settings.partition ?? null,
      queue_wait_s: this.queueWaitS,
    };
    this.log(`${this.spec.modelName}: Slurm job ${this.jobId} running on ${ep.node} (GPUs ${ep.gpus || 'none visible'}) after ${this.queueWaitS} s in the queue; server at ${this.baseUrl}`);
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const name = this.spec.modelName;
    let stage = 'waiting for the job to publish its port';
    let lastCheck = 0;
    while (Date.now() < deadline) {
      this.signal?.throwIfAborted();
      if (Date.now() - lastCheck >= Math.min(this.pollMs, 1000)) {
        lastCheck = Date.now();
        await this.refresh();
        if (this.gone) throw this.fail('exited', `the Slurm job ${this.jobId} ended while its server was starting (${this.status?.state ?? 'no longer known to Slurm'})`);
      }
      if (!this.endpoint) {
        if (!existsSync(this.endpointFile)) {
          await sleep(250);
          continue;
        }
        this.useEndpoint();
        stage = 'waiting for /health';
      }
      const health = await httpOk(`${this.baseUrl}/health`, 2000);
      if (health.ok) {
        stage = 'waiting for /v1/models';
        const models = await httpOk(`${this.baseUrl}/v1/models`, 5000);
        if (models.ok && models.body.includes(`"${name}"`)) {
          // A hung engine can still answer /health; one tiny generation proves the engine works.
          stage = 'waiting for a 1-token test completion';
          const probe = await httpOk(`${this.baseUrl}/v1/completions`, Math.max(1000, Math.min(deadline - Date.now(), 300_000)), {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-evalgraph-probe': '1' },
            body: JSON.stringify({ model: name, prompt: 'Hello', max_tokens: 1, temperature: 0 }),
          });
          if (probe.ok) return;
          if (probe.status >= 400 && probe.status < 500) throw this.fail('not-responding', `the 1-token test completion was refused (HTTP ${probe.status}: ${probe.body.slice(0, 300)})`);
        }
      }
      await sleep(250);
    }
    throw this.fail('timeout', `not ready ${Math.round(timeoutMs / 1000)} s after its Slurm job ${this.jobId} started (${stage})`);
  }

  /**
   * While the server is in use, a job that ends (crash, time limit, preemption) shows up as hasExited, within a few
   * seconds: the client's retries bridge the gap, and one squeue per server every few seconds spares slurmctld.
   */
  private startPolling(): void {
    const every = this.pollMs;
    const tick = () => {
      this.pollTimer = null;
      this.refresh().then(
        () => {
          if (!this.gone && !this.stopping) this.pollTimer = setTimeout(tick, every).unref();
        },
        () => {
          if (!this.stopping) this.pollTimer = setTimeout(tick, every).unref();
        },
      );
    };
    this.pollTimer = setTimeout(tick, every).unref();
  }

  private fail(reason: ConstructorParameters<typeof ServerStartError>[1], detail: string): ServerStartError {
    const tail = this.logTail();
    const d = diagnoseLogFile(this.spec.logFile);
    const lines = [
      `${this.spec.modelName}: the server did not become ready: ${d ? d.summary : detail}`,
      d ? `  likely cause: ${d.summary}${d.evidence ? ` (log: "${d.evidence.slice(0, 200)}")` : ''}` : `  ${detail}`,
      d ? `  fix: ${d.fix}` : '',
      `  Slurm job: ${this.jobId} (${this.status?.state ?? 'unknown state'}); script ${join(this.dir, 'job.sh')}`,
      `  command: ${this.command.join(' ')}`,
      `  log: ${this.spec.logFile} — last ${tail.length} lines:`,
      ...tail.map((l) => `    | ${l}`),
    ].filter(Boolean);
    return new ServerStartError(lines.join('\n'), d?.cause ?? reason, this.spec.logFile, tail, null);
  }

  /** scancel (the job script stops the server group with the grace period), then waits until Slurm has ended the job. */
  stop(): Promise<StopReport> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<StopReport> {
    const t0 = Date.now();
    this.heartbeat.stop();
    if (this.pollTimer) clearTimeout(this.pollTimer);
    const endedOnItsOwn = this.gone;
    if (!endedOnItsOwn) await cancelJob(this.jobId, this.env);
    let graceful = await this.waitEnded(this.graceMs + 15_000);
    let killed = false;
    if (!graceful) {
      killed = true;
      await cancelJob(this.jobId, this.env, 'KILL');
      if (!(await this.waitEnded(15_000))) throw new ServerStopError(`Slurm job ${this.jobId} is still ${this.status?.state ?? 'listed'} after scancel and scancel --signal KILL`, []);
    }
    untrackJob(this.jobId);
    const ep = this.endpoint;
    const portClosed = ep ? !(await isPortOpen(ep.port, connectHost(ep.host, this.settings.bind_host))) : true;
    const detail = `Slurm job ${this.jobId} ${endedOnItsOwn ? 'had ended by itself' : 'cancelled'} (${this.status?.state ?? 'gone from the queue'}): its GPUs are back with Slurm`;
    try {
      appendFileSync(this.spec.logFile, `# evalgraph: ${detail}; port ${portClosed ? 'closed' : 'STILL OPEN'}\n`);
    } catch {
      // the log folder may be gone (tests clean up); the report still says it all
    }
    rmSync(this.dir, { recursive: true, force: true });
    graceful = graceful && !killed;
    return { graceful, killed, portClosed, gpu: { released: null, stillHolding: [], detail }, stopMs: Date.now() - t0 };
  }

  private async waitEnded(ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    for (;;) {
      await this.refresh().catch(() => undefined);
      if (this.gone) return true;
      if (Date.now() > end) return false;
      await sleep(200);
    }
  }
}

/** The pool's start function for Slurm-scheduled specs (Slurm places the job: no local GPU devices). */
export function startSlurmServer(spec: ServerSpec, opts: SlurmStartOptions = {}): Promise<SlurmServer> {
  return SlurmServer.start(spec, opts);
}

/** Longest time a job outlives a client that died without scancel, for a job's settings (docs and tests). */
export function slurmSelfCancelBoundS(settings: SlurmSettings, graceMs = envDurationMs('EVALGRAPH_SERVER_GRACE_MS') ?? DEFAULT_GRACE_MS): number {
  return selfCancelBoundS(jobTiming(settings.heartbeat_timeout_s, graceMs));
}
