import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { findExecutable, freePort, localSlurmDir, pidAlive, sleep } from '@evalgraph/inference';
import { clusterPaths, gresConf, slurmConf, type ClusterPaths } from './slurm-config';

/** sbin is often not on a user's PATH; the daemons live there. */
function daemonPath(env: NodeJS.ProcessEnv): string {
  return [env.PATH ?? '', '/usr/sbin', '/usr/local/sbin', '/sbin'].filter(Boolean).join(':');
}

function readPid(file: string): number | null {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : null;
  } catch {
    return null;
  }
}

function tail(file: string, n = 8): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).map((l) => `    | ${l}`).join('\n');
  } catch {
    return '    (no log)';
  }
}

/** Runs a daemon that forks into the background; returns its exit status and output. */
function runDaemon(cmd: string, args: string[], env: NodeJS.ProcessEnv): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`.trim() };
}

async function waitFor(what: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (what()) return true;
    await sleep(200);
  }
  return what();
}

/** The node's state as sinfo reports it ("idle", "mixed", "down*", ...), or null when slurmctld does not answer. */
function nodeState(env: NodeJS.ProcessEnv): string | null {
  const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] ?? null : null;
}

/**
 * One file per fake GPU. Slurm hands out GPU indexes (CUDA_VISIBLE_DEVICES) only for character devices, so they are
 * device nodes of the "local/experimental" major 240, which no driver claims (opening one fails; nothing does);
 * where mknod is not allowed, plain files, which Slurm still counts. Returns whether they are devices.
 */
function makeGpuFiles(p: ClusterPaths, n: number): boolean {
  let devices = true;
  for (let i = 0; i < n; i++) {
    const f = join(p.gpus, `gpu${i}`);
    if (devices && spawnSync('mknod', [f, 'c', '240', String(i)], { timeout: 5000 }).status === 0) continue;
    devices = false;
    rmSync(f, { force: true });
    writeFileSync(f, '');
  }
  if (!devices) for (let i = 0; i < n; i++) if (!existsSync(join(p.gpus, `gpu${i}`))) writeFileSync(join(p.gpus, `gpu${i}`), '');
  return devices;
}

/** Options of `evalgraph slurm up`. */
export interface UpOptions {
  gpus: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** Whether the local cluster of this workspace has a live slurmctld. */
export function clusterRunning(root: string): boolean {
  const p = clusterPaths(localSlurmDir(root));
  const pid = readPid(p.ctldPid);
  return pid !== null && pidAlive(pid);
}

/**
 * Starts munged, slurmctld and slurmd for a one-node cluster with `gpus` fake GPUs, everything under
 * .evalgraph/slurm of the workspace. Returns an exit code; every problem is said with its fix.
 */
export async function slurmUp(root: string, opts: UpOptions): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const env = opts.env ?? process.env;
  const p = clusterPaths(localSlurmDir(root));
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    log(
      'evalgraph slurm up: the local cluster needs root: slurmd starts each job as the user who submitted it, and ' +
        'munged and slurmctld run as the Slurm user. Run it as root (sudo npx evalgraph slurm up), or use a real ' +
        'cluster: set SLURM_CONF (or have /etc/slurm/slurm.conf) on a login node and put scheduler: slurm in the pipeline.',
    );
    return 1;
  }
  const path = daemonPath(env);
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch', 'sinfo'].filter((b) => !findExecutable(b, path));
  if (missing.length) {
    log(`evalgraph slurm up: ${missing.join(', ')} not found — fix: npm run setup -- --tests (installs Debian's slurm-wlm and munge)`);
    return 1;
  }
  if (clusterRunning(root)) {
    log(`evalgraph slurm up: already running (${p.conf}); \`npx evalgraph slurm down\` first to change it`);
    return 0;
  }
  await stopDaemons(p, log);
  rmSync(p.dir, { recursive: true, force: true });
  for (const d of [p.state, p.spool, p.log, p.run, p.gpus, p.munge]) mkdirSync(d, { recursive: true, mode: 0o700 });
  chmodSync(p.dir, 0o700);
  const spec = { host: hostname().split('.')[0], gpus: opts.gpus, ctldPort: await freePort(), slurmdPort: await freePort() };
  const devices = makeGpuFiles(p, opts.gpus);
  writeFileSync(p.gresConf, gresConf(p, spec));
  // Autodetected: slurmd 22.05 initializes a cgroup plugin even when nothing is tracked or constrained with it.
  writeFileSync(p.cgroupConf, 'CgroupAutomount=no\n');
  writeFileSync(p.conf, slurmConf(p, spec));
  writeFileSync(p.mungeKey, randomBytes(1024), { mode: 0o400 });
  const denv: NodeJS.ProcessEnv = { ...env, PATH: path, SLURM_CONF: p.conf };

  const munged = runDaemon('munged', [`--key-file=${p.mungeKey}`, `--socket=${p.mungeSocket}`, `--pid-file=${p.mungePid}`, `--log-file=${join(p.log, 'munged.log')}`, `--seed-file=${join(p.munge, 'munged.seed')}`, '--force'], denv);
  if (!munged.ok || !(await waitFor(() => existsSync(p.mungeSocket), 10_000))) {
    log(`evalgraph slurm up: munged did not start: ${munged.out}\n  log ${join(p.log, 'munged.log')}:\n${tail(join(p.log, 'munged.log'))}`);
    await stopDaemons(p, log);
    return 1;
  }
  for (const [daemon, pidFile, logFile] of [['slurmctld', p.ctldPid, 'slurmctld.log'], ['slurmd', p.slurmdPid, 'slurmd.log']] as const) {
    const r = runDaemon(daemon, daemon === 'slurmctld' ? ['-i'] : [], denv);
    const pidOk = await waitFor(() => {
      const pid = readPid(pidFile);
      return pid !== null && pidAlive(pid);
    }, 15_000);
    if (!r.ok || !pidOk) {
      log(`evalgraph slurm up: ${daemon} did not start: ${r.out || 'no output'}\n  log ${join(p.log, logFile)}:\n${tail(join(p.log, logFile))}`);
      await stopDaemons(p, log);
      return 1;
    }
  }
  const ready = await waitFor(() => /^(idle|mixed|allocated)/.test(nodeState(denv) ?? ''), 30_000);
  if (!ready) {
    log(`evalgraph slurm up: the node did not become idle (sinfo says "${nodeState(denv) ?? 'no answer'}")\n  log ${join(p.log, 'slurmd.log')}:\n${tail(join(p.log, 'slurmd.log'))}`);
    await stopDaemons(p, log);
    return 1;
  }
  log(`evalgraph slurm up: one node (${spec.host}) with ${opts.gpus} fake GPU(s), partition "local"`);
  if (!devices) log('  (the fake GPUs are plain files: Slurm counts them but gives jobs no GPU index, so CUDA_VISIBLE_DEVICES stays unset)');
  log(`  SLURM_CONF=${p.conf} (evalgraph uses it on its own in this workspace; export it for sbatch/squeue/sacct)`);
  return 0;
}

/** SIGTERM the daemons of the cluster (slurmd, slurmctld, munged), SIGKILL those still alive after 10 s. */
async function stopDaemons(p: ClusterPaths, log: (l: string) => void): Promise<void> {
  for (const [name, file] of [['slurmd', p.slurmdPid], ['slurmctld', p.ctldPid], ['munged', p.mungePid]] as const) {
    const pid = readPid(file);
    if (pid === null || !pidAlive(pid)) continue;
    process.kill(pid, 'SIGTERM');
    if (!(await waitFor(() => !pidAlive(pid), 10_000))) {
      log(`evalgraph slurm down: ${name} (pid ${pid}) still alive after SIGTERM; SIGKILL`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone in between
      }
    }
  }
}

/** Cancels every job of the local cluster, stops its daemons and removes its folder. */
export async function slurmDown(root: string, opts: { env?: NodeJS.ProcessEnv; log?: (l: string) => void } = {}): Promise<number> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const p = clusterPaths(localSlurmDir(root));
  if (!existsSync(p.dir)) {
    log('evalgraph slurm down: no local cluster in this workspace');
    return 0;
  }
  const env = { ...(opts.env ?? process.env), PATH: daemonPath(opts.env ?? process.env), SLURM_CONF: p.conf };
  if (clusterRunning(root)) {
    spawnSync('scancel', ['--full', '--partition=local'], { env, timeout: 15_000 });
    // Give the jobs' scripts KillWait to stop their servers before slurmd goes.
    await waitFor(() => (spawnSync('squeue', ['-h'], { env, encoding: 'utf8', timeout: 10_000 }).stdout ?? '').trim() === '', 15_000);
  }
  await stopDaemons(p, log);
  rmSync(p.dir, { recursive: true, force: true });
  log('evalgraph slurm down: stopped slurmd, slurmctld and munged; removed .evalgraph/slurm');
  return 0;
}

/** `evalgraph slurm up [--gpus N] | down`. */
export async function slurm(root: string, sub: string | undefined, rest: string[]): Promise<number> {
  if (sub === 'down') return slurmDown(root);
  if (sub === 'up') {
    let gpus = 2;
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i];
      const v = a.startsWith('--gpus=') ? a.slice(7) : a === '--gpus' ? rest[++i] : undefined;
      if (v === undefined) {
        console.error(`evalgraph slurm up: unknown option ${a} (usage: evalgraph slurm up [--gpus N])`);
        return 2;
      }
      gpus = Number(v);
      if (!Number.isInteger(gpus) || gpus < 1 || gpus > 64) {
        console.error(`evalgraph slurm up: --gpus: expected a whole number from 1 to 64, found ${JSON.stringify(v)}`);
        return 2;
      }
    }
    return slurmUp(root, { gpus });
  }
  console.error('usage: evalgraph slurm up [--gpus N] | evalgraph slurm down');
  return 2;
}
