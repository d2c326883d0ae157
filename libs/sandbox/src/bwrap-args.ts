import { existsSync, lstatSync, readlinkSync } from 'node:fs';
import type { SandboxLimits } from './options';

/** Where the program file appears inside the sandbox. */
export const PROGRAM_PATH = '/sandbox/main.py';
/** Child fd numbers: 3 is the side channel the program may write, 4 carries the program text to bwrap, 5 bwrap's status. */
export const CHANNEL_FD = 3;
export const PROGRAM_FD = 4;
export const STATUS_FD = 5;

/** How the sandbox is entered: as root, each slot first drops to its own uid (so RLIMIT_NPROC applies); otherwise bwrap runs as the caller. */
export type LaunchMode = 'setpriv' | 'user';

export interface LaunchSpec {
  mode: LaunchMode;
  bwrap: string;
  setpriv?: string;
  prlimit: string;
  python: string;
  uid?: number;
  limits: SandboxLimits;
  extraReadOnlyPaths: readonly string[];
  env: Record<string, string>;
}

// Top-level system paths that hold executables and libraries; merged-/usr systems have them as symlinks.
const SYSTEM_TOPS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
// The few files of /etc a Python needs; nothing else of /etc (passwd, ssl keys, ...) is visible.
const ETC_FILES = ['/etc/ld.so.cache', '/etc/ld.so.conf', '/etc/ld.so.conf.d', '/etc/alternatives', '/etc/localtime'];

function systemMounts(): string[] {
  const args = ['--ro-bind', '/usr', '/usr'];
  for (const top of SYSTEM_TOPS) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) args.push('--symlink', readlinkSync(top), top);
    else args.push('--ro-bind', top, top);
  }
  for (const f of ETC_FILES) args.push('--ro-bind-try', f, f);
  return args;
}

/** Environment inside the sandbox: built from scratch, never copied from the host (no tokens, no keys). */
export function sandboxEnv(extra: Record<string, string>): Record<string, string> {
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: '/tmp',
    TMPDIR: '/tmp',
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    // Fixed string hashing makes set/dict iteration order, and so results, reproducible.
    PYTHONHASHSEED: '0',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
    // Math libraries would start a thread per core, each counted against the process limit.
    OMP_NUM_THREADS: '1',
    OPENBLAS_NUM_THREADS: '1',
    MKL_NUM_THREADS: '1',
    ...extra,
  };
}

/** prlimit arguments for the limits (CPU hard limit one second above soft so SIGXCPU comes first). */
export function prlimitArgs(limits: SandboxLimits): string[] {
  return [
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.memoryBytes}`,
    `--nproc=${limits.maxProcesses}`,
    `--fsize=${limits.fileSizeBytes}`,
    `--nofile=${limits.openFiles}`,
    '--core=0',
  ];
}

/** The bwrap argument list (after the bwrap binary): namespaces, mounts, environment, limits, program. */
export function bwrapArgs(spec: LaunchSpec): string[] {
  const { limits } = spec;
  const args = [
    '--unshare-all',
    '--unshare-user',
    '--unshare-net',
    '--disable-userns',
    '--die-with-parent',
    '--new-session',
    '--hostname',
    'sandbox',
    '--json-status-fd',
    String(STATUS_FD),
    ...systemMounts(),
  ];
  for (const p of spec.extraReadOnlyPaths) args.push('--ro-bind', p, p);
  args.push(
    '--proc',
    '/proc',
    '--dev',
    '/dev',
    // /dev itself is a writable tmpfs without a size cap: make it read-only, then give /dev/shm a small one.
    '--remount-ro',
    '/dev',
    '--size',
    String(limits.shmBytes),
    '--tmpfs',
    '/dev/shm',
    '--size',
    String(limits.tmpBytes),
    '--tmpfs',
    '/tmp',
    '--perms',
    '0444',
    '--ro-bind-data',
    String(PROGRAM_FD),
    PROGRAM_PATH,
    // bwrap's own root is a tmpfs: read-only, so /tmp and /dev/shm are the only writable places.
    '--remount-ro',
    '/',
    '--chdir',
    '/tmp',
    '--clearenv',
  );
  for (const [k, v] of Object.entries(sandboxEnv(spec.env))) args.push('--setenv', k, v);
  args.push('--', spec.prlimit, ...prlimitArgs(limits), '--', spec.python, '-s', '-B', PROGRAM_PATH);
  return args;
}

/** The command and arguments that start one sandboxed run. */
export function launchCommand(spec: LaunchSpec): { command: string; args: string[] } {
  const inner = bwrapArgs(spec);
  if (spec.mode === 'setpriv') {
    if (spec.uid === undefined || !spec.setpriv) throw new Error('setpriv launch needs a uid and setpriv');
    return {
      command: spec.setpriv,
      args: [`--reuid=${spec.uid}`, `--regid=${spec.uid}`, '--clear-groups', '--', spec.bwrap, ...inner],
    };
  }
  return { command: spec.bwrap, args: inner };
}
