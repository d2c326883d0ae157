import { execFile } from 'node:child_process';
import { findExecutable, sleep } from './proc';

/** One GPU as nvidia-smi reports it (MiB). */
export interface GpuInfo {
  index: number;
  name: string;
  totalMiB: number;
  usedMiB: number;
  freeMiB: number;
  driver: string;
  /** "GPU-…", when the query asked for it (CUDA_VISIBLE_DEVICES may name GPUs by UUID). */
  uuid?: string;
}

/** One process holding GPU memory. */
export interface GpuApp {
  pid: number;
  usedMiB: number;
}

/** nvidia-smi to use: $EVALGRAPH_NVIDIA_SMI (tests, unusual installs) or `nvidia-smi` on PATH; null when absent. */
export function nvidiaSmiPath(env: NodeJS.ProcessEnv = process.env): string | null {
  return findExecutable(env.EVALGRAPH_NVIDIA_SMI || 'nvidia-smi', env.PATH ?? '');
}

function run(exe: string, args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(exe, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
  });
}

function csvRows(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^no running/i.test(l))
    .map((l) => l.split(',').map((c) => c.trim()));
}

const num = (s: string) => (/^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN);

/** Parses `--query-gpu=index,name,memory.total,memory.used,memory.free,driver_version,uuid --format=csv,noheader,nounits`. */
export function parseGpuQuery(text: string): GpuInfo[] {
  return csvRows(text)
    .filter((r) => r.length >= 6)
    .map((r) => ({ index: num(r[0]), name: r[1], totalMiB: num(r[2]), usedMiB: num(r[3]), freeMiB: num(r[4]), driver: r[5], ...(r[6] ? { uuid: r[6] } : {}) }))
    .filter((g) => Number.isFinite(g.index) && Number.isFinite(g.totalMiB));
}

/** Parses `--query-compute-apps=pid,used_memory --format=csv,noheader,nounits` ("[N/A]" memory counts as 0). */
export function parseComputeApps(text: string): GpuApp[] {
  return csvRows(text)
    .filter((r) => r.length >= 2 && /^\d+$/.test(r[0]))
    .map((r) => ({ pid: Number(r[0]), usedMiB: Number.isFinite(num(r[1])) ? num(r[1]) : 0 }));
}

/** GPUs and their memory, or null when nvidia-smi is absent or fails. */
export async function queryGpus(exe = nvidiaSmiPath()): Promise<GpuInfo[] | null> {
  if (!exe) return null;
  try {
    return parseGpuQuery(await run(exe, ['--query-gpu=index,name,memory.total,memory.used,memory.free,driver_version,uuid', '--format=csv,noheader,nounits']));
  } catch {
    return null;
  }
}

/** Processes holding GPU memory, or null when nvidia-smi is absent or fails. */
export async function queryComputeApps(exe = nvidiaSmiPath()): Promise<GpuApp[] | null> {
  if (!exe) return null;
  try {
    return parseComputeApps(await run(exe, ['--query-compute-apps=pid,used_memory', '--format=csv,noheader,nounits']));
  } catch {
    return null;
  }
}

/** Outcome of waiting for a stopped server's GPU memory to come back. */
export interface GpuReleaseCheck {
  /** null: not checkable (no nvidia-smi). */
  released: boolean | null;
  /** Pids of the server still listed by nvidia-smi when the wait ended. */
  stillHolding: number[];
  detail: string;
}

/**
 * Waits until none of `pids` holds GPU memory. nvidia-smi in a container may list host pids, so when
 * `baselineUsedMiB` (per GPU, read before the server started) is given, device memory must also return to
 * within `slackMiB` of it.
 */
export async function waitGpuReleased(
  pids: number[],
  opts: { timeoutMs: number; baselineUsedMiB?: Map<number, number>; slackMiB?: number; exe?: string | null } = { timeoutMs: 30_000 },
): Promise<GpuReleaseCheck> {
  const exe = opts.exe === undefined ? nvidiaSmiPath() : opts.exe;
  if (!exe) return { released: null, stillHolding: [], detail: 'nvidia-smi not found: GPU memory release not checked' };
  const slack = opts.slackMiB ?? 1024;
  const deadline = Date.now() + opts.timeoutMs;
  let holding: number[] = [];
  let over: string[] = [];
  for (;;) {
    const apps = (await queryComputeApps(exe)) ?? [];
    holding = apps.filter((a) => pids.includes(a.pid)).map((a) => a.pid);
    over = [];
    if (opts.baselineUsedMiB) {
      for (const g of (await queryGpus(exe)) ?? []) {
        const base = opts.baselineUsedMiB.get(g.index);
        if (base !== undefined && g.usedMiB > base + slack) over.push(`GPU ${g.index}: ${g.usedMiB} MiB used, ${base} MiB before start`);
      }
    }
    if (holding.length === 0 && over.length === 0) return { released: true, stillHolding: [], detail: 'GPU memory released' };
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  const parts = [holding.length ? `pids ${holding.join(', ')} still hold GPU memory` : '', ...over].filter(Boolean);
  return { released: false, stillHolding: holding, detail: parts.join('; ') };
}

/** Samples GPU memory while something runs; peak used memory per GPU and of a set of pids. */
export class GpuSampler {
  private timer: NodeJS.Timeout | null = null;
  private current: Promise<void> | null = null;
  peakDeviceUsedMiB = 0;
  peakPidsUsedMiB = 0;
  samples = 0;

  constructor(
    private readonly pids: () => number[],
    private readonly exe: string | null = nvidiaSmiPath(),
    private readonly intervalMs = 1000,
    /** The server's GPUs (the busiest-device fallback looks only at these); null: every GPU. */
    private readonly devices: number[] | null = null,
  ) {}

  /** Whether sampling is possible here (nvidia-smi present). */
  get available(): boolean {
    return this.exe !== null;
  }

  /** Starts sampling (no-op without nvidia-smi). */
  start(): void {
    if (!this.exe || this.timer) return;
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /** Takes one sample now (or joins the one in flight). */
  sample(): Promise<void> {
    if (!this.exe) return Promise.resolve();
    this.current ??= this.takeSample().finally(() => {
      this.current = null;
    });
    return this.current;
  }

  private async takeSample(): Promise<void> {
    const exe = this.exe;
    if (!exe) return;
    const [gpus, apps] = await Promise.all([queryGpus(exe), queryComputeApps(exe)]);
    const own = gpus?.filter((g) => !this.devices || this.devices.includes(g.index));
    if (own) this.peakDeviceUsedMiB = Math.max(this.peakDeviceUsedMiB, ...own.map((g) => g.usedMiB));
    if (apps) {
      const mine = new Set(this.pids());
      this.peakPidsUsedMiB = Math.max(this.peakPidsUsedMiB, apps.filter((a) => mine.has(a.pid)).reduce((sum, a) => sum + a.usedMiB, 0));
    }
    this.samples++;
  }

  /** Stops sampling after the sample in flight and one last fresh sample. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.current;
    await this.sample();
  }

  /** Peak GPU memory of the server in GiB: its own pids when nvidia-smi sees them, else the busiest device. */
  peakGiB(): number | null {
    if (!this.exe || this.samples === 0) return null;
    const mib = this.peakPidsUsedMiB > 0 ? this.peakPidsUsedMiB : this.peakDeviceUsedMiB;
    return mib / 1024;
  }
}
