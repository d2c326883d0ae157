import { MissingDependencyError } from '@evalgraph/core';
import { existsSync, realpathSync } from 'node:fs';
import { launchCommand, type LaunchMode, PROGRAM_FD } from './bwrap-args';
import { SandboxLimits } from './options';
import { spawnRun } from './spawn-run';
import { reapUid } from './reaper';
import { acquireUidSlot, releaseUidSlot, slotUid } from './uids';
import { which } from './which';

/** The tools a sandbox uses and how it enters the sandbox on this host. */
export interface SandboxEnvironment {
  mode: LaunchMode;
  bwrap: string;
  setpriv?: string;
  prlimit: string;
  python: string;
}

/** What the availability probe checks: the same tools and paths createSandbox will use. */
export interface AvailabilityOptions {
  bwrap?: string;
  python?: string;
  extraReadOnlyPaths?: readonly string[];
  uidBase?: number;
}

/** The fix printed with every "bubblewrap is missing" error. */
export const INSTALL_BWRAP_FIX =
  'apt-get install bubblewrap (Debian/Ubuntu; dnf install bubblewrap on Fedora). Code datasets never run model-written code outside the sandbox unless the dataset config sets scorer_options.allow_unsandboxed: true (unsafe).';

const USERNS_FIX =
  'allow user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 (Debian kernels) and user.max_user_namespaces > 0; in Docker/Podman run the container with --security-opt seccomp=unconfined (and apparmor=unconfined on Ubuntu), or install bwrap setuid root.';

/** The interpreter path as the sandbox will see it (symlinks resolved, so the bind covers it). */
function resolvePython(python: string): string {
  const found = which(python);
  if (!found) throw new MissingDependencyError(`Python interpreter "${python}" was not found`, 'install python3 (apt-get install python3) or set the sandbox python option to an interpreter under /usr');
  return existsSync(found) ? realpathSync(found) : found;
}

/** Finds bwrap, prlimit, setpriv (as root) and the interpreter, or throws MissingDependencyError saying how to install them. */
export function findSandboxTools(opts: AvailabilityOptions = {}): SandboxEnvironment {
  const bwrap = which(opts.bwrap ?? 'bwrap');
  if (!bwrap) throw new MissingDependencyError('bubblewrap (bwrap) is not installed: code datasets run model-written Python only inside it', INSTALL_BWRAP_FIX);
  const prlimit = which('prlimit');
  if (!prlimit) throw new MissingDependencyError('prlimit (util-linux) is not installed: the sandbox sets its CPU/memory/process limits with it', 'apt-get install util-linux');
  const python = resolvePython(opts.python ?? '/usr/bin/python3');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) return { mode: 'user', bwrap, prlimit, python };
  const setpriv = which('setpriv');
  if (!setpriv) throw new MissingDependencyError('setpriv (util-linux) is not installed: as root, the sandbox drops to a dedicated uid with it so process limits apply', 'apt-get install util-linux');
  return { mode: 'setpriv', bwrap, setpriv, prlimit, python };
}

const probes = new Map<string, Promise<SandboxEnvironment>>();

async function probe(env: SandboxEnvironment, opts: AvailabilityOptions): Promise<SandboxEnvironment> {
  const slot = await acquireUidSlot();
  try {
    return await probeAs(env, opts, env.mode === 'setpriv' ? slotUid(opts.uidBase ?? 1_000_000_000, slot) : undefined);
  } finally {
    releaseUidSlot(slot);
  }
}

async function probeAs(env: SandboxEnvironment, opts: AvailabilityOptions, uid: number | undefined): Promise<SandboxEnvironment> {
  const { command, args } = launchCommand({
    ...env,
    uid,
    limits: SandboxLimits.parse({}),
    extraReadOnlyPaths: opts.extraReadOnlyPaths ?? [],
    env: {},
  });
  const r = await spawnRun({
    command,
    args,
    env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' },
    cwd: '/',
    program: 'import sys\nsys.stdout.write("sandbox-ok")\n',
    programFd: PROGRAM_FD,
    timeoutMs: 30_000,
    maxOutputBytes: 8192,
    bwrapStatus: true,
  });
  if (uid !== undefined) await reapUid(uid);
  if (r.status === 'ok' && r.stdout === 'sandbox-ok') return env;
  const why = (r.stderr || r.stdout || r.status).trim().split('\n').slice(0, 5).join(' | ');
  if (r.status === 'sandbox_failure') throw new MissingDependencyError(`bubblewrap is installed but cannot create its sandbox here (${env.mode} mode): ${why}`, USERNS_FIX);
  throw new MissingDependencyError(`the sandboxed interpreter ${env.python} does not start (${r.status}): ${why}`, 'point the sandbox python option at an interpreter under /usr, or add its prefix to extraReadOnlyPaths');
}

/**
 * Checks that code can be sandboxed here: the tools exist and a probe program runs inside bwrap.
 * Throws MissingDependencyError (with the fix) otherwise. The probe result is cached per process.
 */
export function checkSandboxAvailable(opts: AvailabilityOptions = {}): Promise<SandboxEnvironment> {
  const key = JSON.stringify([opts.bwrap, opts.python, opts.extraReadOnlyPaths, opts.uidBase]);
  let p = probes.get(key);
  if (!p) {
    p = (async () => probe(findSandboxTools(opts), opts))();
    probes.set(key, p);
    // A failed probe is not cached: the user may install bwrap and retry in the same process.
    p.catch(() => probes.delete(key));
  }
  return p;
}
