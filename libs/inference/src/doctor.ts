import { execFile } from 'node:child_process';
import { existsSync, statfsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { findExecutable, freePort } from './proc';
import { serverKind, shebangPython, VLLM_METADATA_SCRIPT } from './runtime-version';
import { visibleGpus } from './cuda-visible-devices';
import { GpuVisibilityError } from './errors';
import { nvidiaSmiPath, queryGpus, type GpuInfo } from './nvidia-smi';
import { checkVllmVersionRange } from './vllm-version-check';

/** One line of `doctor`. */
export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warning' | 'error';
  detail: string;
  /** What to do; empty when ok. */
  fix: string;
}

function run(exe: string, args: string[], timeoutMs = 20_000, env?: NodeJS.ProcessEnv): Promise<{ ok: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(exe, args, { timeout: timeoutMs, encoding: 'utf8', env: env ?? process.env }, (err, stdout, stderr) =>
      resolve({ ok: !err, out: `${stdout}${stderr}`.trim() }),
    );
  });
}

/** Node ≥ 20.19 (require(esm) for execa / p-limit). */
export function checkNode(version = process.versions.node): DoctorCheck {
  const [maj, min] = version.split('.').map(Number);
  const ok = maj > 20 || (maj === 20 && min >= 19);
  return { name: 'node', status: ok ? 'ok' : 'error', detail: `Node ${version}`, fix: ok ? '' : 'install Node 20.19 or newer (nvm install 20)' };
}

async function checkPython(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const exe = findExecutable('python3', env.PATH ?? '');
  if (!exe) return { name: 'python', status: 'warning', detail: 'python3 not on PATH', fix: 'npm run setup (apt-get install python3): the code sandbox runs python3, and vLLM needs Python 3.10+' };
  const r = await run(exe, ['--version'], 10_000, env);
  return { name: 'python', status: r.ok ? 'ok' : 'warning', detail: r.ok ? `${r.out} (${exe})` : `python3 failed: ${r.out.slice(0, 200)}`, fix: r.ok ? '' : 'repair the Python installation' };
}

/**
 * vLLM's version, fast: the `vllm` script's own interpreter asks importlib.metadata (importing vllm takes
 * seconds); a non-Python executable (the test stand-in) is asked with --version.
 */
export async function vllmVersion(exe: string, env: NodeJS.ProcessEnv = process.env): Promise<string | null> {
  const python = shebangPython(exe);
  if (python) {
    const r = await run(python[0], [...python.slice(1), '-c', VLLM_METADATA_SCRIPT], 20_000, env);
    return r.ok ? r.out.split('\n').pop()!.trim() : null;
  }
  const r = await run(exe, ['--version'], 20_000, env);
  return r.ok ? r.out.split('\n')[0].trim() : null;
}

async function checkVllm(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const configured = env.EVALGRAPH_VLLM;
  const exe = findExecutable(configured || 'vllm', env.PATH ?? '');
  if (!exe) {
    return {
      name: 'vllm',
      status: 'warning',
      detail: configured ? `EVALGRAPH_VLLM=${configured} is not an executable` : '`vllm` not on PATH',
      fix: 'pip install vllm, or set EVALGRAPH_VLLM=/path/to/vllm, or give models an endpoint: (the dummy backend needs none)',
    };
  }
  const v = await vllmVersion(exe, env);
  if (!v) return { name: 'vllm', status: 'error', detail: `${exe} did not report a version`, fix: 'check the vLLM installation: run `vllm --version`' };
  const kind = serverKind(v);
  const standin = kind !== 'vllm';
  return { name: 'vllm', status: standin ? 'warning' : 'ok', detail: `${v} (${exe})${standin ? ` — ${kind}` : ''}`, fix: standin ? 'remove the stand-in from PATH for real runs' : '' };
}

async function checkGpus(env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const exe = nvidiaSmiPath(env);
  if (!exe) return { name: 'gpu', status: 'warning', detail: 'nvidia-smi not found: no NVIDIA GPU visible', fix: 'vLLM needs an NVIDIA GPU and driver; without one only the dummy and endpoint backends run' };
  const gpus = await queryGpus(exe);
  if (!gpus || gpus.length === 0) return { name: 'gpu', status: 'error', detail: 'nvidia-smi found no GPU (or failed)', fix: 'check the driver: run nvidia-smi' };
  let usable: GpuInfo[];
  try {
    usable = visibleGpus(gpus, env);
  } catch (e) {
    if (!(e instanceof GpuVisibilityError)) throw e;
    return { name: 'gpu', status: 'error', detail: e.problem, fix: e.fix };
  }
  const gib = (mib: number) => (mib / 1024).toFixed(1);
  const lines = gpus.map((g) => `GPU ${g.index} ${g.name}: ${gib(g.freeMiB)} of ${gib(g.totalMiB)} GiB free`);
  const busy = usable.filter((g) => g.usedMiB / g.totalMiB > 0.1);
  const only = usable.length < gpus.length ? `; evalgraph uses GPU ${usable.map((g) => g.index).join(', ')} (CUDA_VISIBLE_DEVICES)` : '';
  return {
    name: 'gpu',
    status: busy.length ? 'warning' : 'ok',
    detail: `${lines.join('; ')}; driver ${gpus[0].driver}${only}`,
    fix: busy.length ? `GPU ${busy.map((g) => g.index).join(', ')} already has memory in use: look for leftover servers (nvidia-smi --query-compute-apps=pid,used_memory --format=csv)` : '',
  };
}

/** The Hugging Face model cache folder ($HF_HUB_CACHE, $HF_HOME/hub, or ~/.cache/huggingface/hub). */
export function hfCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'hub');
}

function checkDisk(env: NodeJS.ProcessEnv): DoctorCheck {
  const dir = hfCacheDir(env);
  let probe = dir;
  while (!existsSync(probe) && dirname(probe) !== probe) probe = dirname(probe);
  try {
    const s = statfsSync(probe);
    const freeGiB = (s.bavail * s.bsize) / 1024 ** 3;
    const status = freeGiB < 20 ? 'error' : freeGiB < 64 ? 'warning' : 'ok';
    return {
      name: 'disk',
      status,
      detail: `${freeGiB.toFixed(0)} GiB free for the model cache ${dir}`,
      fix: status === 'ok' ? '' : 'an 8B model needs ~16 GiB and a 14B ~30 GiB in bf16: free space or set HF_HOME to a larger disk',
    };
  } catch (e) {
    return { name: 'disk', status: 'warning', detail: `could not read free space of ${probe}: ${(e as Error).message}`, fix: 'check that HF_HOME points to a writable disk' };
  }
}

/** Whether HF_TOKEN is set; its value is never read into the report. */
export function checkHfToken(env: NodeJS.ProcessEnv = process.env): DoctorCheck {
  const set = Boolean(env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN);
  return set
    ? { name: 'hf-token', status: 'ok', detail: 'a Hugging Face token is set (value not shown)', fix: '' }
    : { name: 'hf-token', status: 'warning', detail: 'HF_TOKEN is not set', fix: 'gated models and higher download limits need it: export HF_TOKEN=... (never put it in a config file)' };
}

async function checkPorts(): Promise<DoctorCheck> {
  try {
    const port = await freePort();
    return { name: 'ports', status: 'ok', detail: `can bind loopback ports (got ${port}); servers get a free port each`, fix: '' };
  } catch (e) {
    return { name: 'ports', status: 'error', detail: `cannot bind a port on 127.0.0.1: ${(e as Error).message}`, fix: 'check the loopback interface and local firewall rules' };
  }
}

/** Environment checks for running evaluations here: each ok / warning / error with the fix. */
export async function runDoctor(env: NodeJS.ProcessEnv = process.env): Promise<DoctorCheck[]> {
  const [python, vllm, gpu, ports] = await Promise.all([checkPython(env), checkVllm(env), checkGpus(env), checkPorts()]);
  return [checkNode(), python, vllm, await checkVllmVersionRange(env, vllmVersion), gpu, checkDisk(env), checkHfToken(env), ports];
}
