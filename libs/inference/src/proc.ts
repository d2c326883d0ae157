import { accessSync, constants, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { delimiter, isAbsolute, join } from 'node:path';
import { MissingDependencyError } from '@evalgraph/core';

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** First executable file called `name` on PATH (or `name` itself when it is a path), else null. */
export function findExecutable(name: string, pathEnv = process.env.PATH ?? ''): string | null {
  const candidates = name.includes('/') ? [name] : pathEnv.split(delimiter).filter(Boolean).map((d) => join(d, name));
  for (const c of candidates) {
    try {
      if (!statSync(c).isFile()) continue;
      accessSync(c, constants.X_OK);
      return isAbsolute(c) ? c : join(process.cwd(), c);
    } catch {
      // not here; keep looking
    }
  }
  return null;
}

/** The vLLM executable: $EVALGRAPH_VLLM, else `vllm` on PATH; MissingDependencyError when neither exists. */
export function resolveVllmExecutable(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.EVALGRAPH_VLLM;
  const found = findExecutable(configured || 'vllm', env.PATH ?? '');
  if (found) return found;
  if (configured) {
    throw new MissingDependencyError(
      `EVALGRAPH_VLLM=${configured} is not an executable file`,
      'point EVALGRAPH_VLLM at the `vllm` script of the environment where vLLM is installed (e.g. .venv/bin/vllm)',
    );
  }
  throw new MissingDependencyError(
    'vLLM is not installed (`vllm` not on PATH)',
    'pip install vllm, or set EVALGRAPH_VLLM=/path/to/vllm, or give the model an endpoint: http://host:port/v1 in its model.yaml',
  );
}

/** A TCP port that was free on 127.0.0.1 a moment ago (the caller retries on "Address already in use"). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host });
    const done = (open: boolean) => {
      sock.destroy();
      resolve(open);
    };
    sock.setTimeout(timeoutMs, () => done(true)); // accepted but silent still means "open"
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/** Polls until the port refuses connections, up to timeoutMs; returns whether it closed. */
export async function waitPortClosed(port: number, timeoutMs: number, host = '127.0.0.1'): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await isPortOpen(port, host, 500))) return true;
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
}

interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgid: number;
  starttime: number;
}

/** Parses /proc/<pid>/stat (the command name may contain spaces and parentheses). */
function readProcStat(pid: number): ProcStat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]), starttime: Number(rest[19]) };
  } catch {
    return null;
  }
}

const HAS_PROC = (() => {
  try {
    return readdirSync('/proc').some((e) => /^\d+$/.test(e));
  } catch {
    return false;
  }
})();

/** Live (non-zombie) processes of a process group. Zombies are skipped: they hold no memory and no port. */
export function groupMembers(pgid: number): number[] {
  if (!HAS_PROC) {
    try {
      process.kill(-pgid, 0);
      return [pgid];
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM' ? [pgid] : [];
    }
  }
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readProcStat(Number(e));
    if (st && st.pgid === pgid && st.state !== 'Z' && st.state !== 'X') out.push(st.pid);
  }
  return out;
}

/** Whether a pid is alive (and, when startTime is given, still the same process, not a reused pid). */
export function pidAlive(pid: number, startTime?: number | null): boolean {
  if (HAS_PROC) {
    const st = readProcStat(pid);
    if (!st || st.state === 'Z' || st.state === 'X') return false;
    return startTime == null || st.starttime === startTime;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kernel start time of a pid (clock ticks since boot), to tell a live holder from a reused pid; null off Linux. */
export function processStartTime(pid: number): number | null {
  return readProcStat(pid)?.starttime ?? null;
}

/** Sends a signal to a whole process group, ignoring "no such process". */
export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Polls until a process group has no live member, up to timeoutMs; returns whether it is gone. */
export async function waitGroupGone(pgid: number, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (groupMembers(pgid).length === 0) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
