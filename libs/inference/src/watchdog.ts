import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * The watchdog is a tiny Node process that holds the read end of a pipe from its parent. The kernel closes
 * that pipe when the parent dies for any reason, SIGKILL included, so EOF on stdin means "the process that
 * owns the server is gone": the watchdog then SIGTERMs the server's process group, SIGKILLs it after the
 * grace period, and exits. It runs in its own process group and ignores SIGINT/SIGTERM/SIGHUP so that a
 * Ctrl-C aimed at the parent's group cannot take it down before it has done its job.
 *
 * Protocol on stdin (one line each): `watch <pgid>` then, after a normal stop, `done` (exit without killing).
 */
const WATCHDOG_SOURCE = String.raw`
const fs = require('fs');
const grace = Number(process.env.EVALGRAPH_WATCHDOG_GRACE_MS || 30000);
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
let pgid = 0, done = false, buf = '';
function members() {
  try {
    return fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e)).filter((e) => {
      try {
        const t = fs.readFileSync('/proc/' + e + '/stat', 'utf8');
        const r = t.slice(t.lastIndexOf(')') + 2).split(' ');
        return Number(r[2]) === pgid && r[0] !== 'Z' && r[0] !== 'X';
      } catch { return false; }
    }).length;
  } catch {
    try { process.kill(-pgid, 0); return 1; } catch (e) { return e.code === 'EPERM' ? 1 : 0; }
  }
}
function kill(sig) { try { process.kill(-pgid, sig); } catch {} }
function finish() {
  if (done || !pgid || members() === 0) process.exit(0);
  console.error('[evalgraph watchdog] owner process exited; stopping server process group ' + pgid);
  kill('SIGTERM');
  const t0 = Date.now();
  let killed = false;
  setInterval(() => {
    if (members() === 0) process.exit(0);
    if (!killed && Date.now() - t0 > grace) {
      console.error('[evalgraph watchdog] group ' + pgid + ' still alive after ' + grace + ' ms; SIGKILL');
      kill('SIGKILL');
      killed = true;
    }
    if (Date.now() - t0 > grace + 15000) process.exit(1);
  }, 100);
}
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    if (line.startsWith('watch ')) pgid = Number(line.slice(6));
    else if (line === 'done') done = true;
  }
});
process.stdin.on('end', finish);
process.stdin.on('error', finish);
`;

/** Marker in the watchdog's argv, so process-table checks can find leftovers. */
export const WATCHDOG_MARKER = 'evalgraph-watchdog';

/** A started watchdog: tell it which group to guard, and release it after a normal stop. */
export interface Watchdog {
  readonly pid: number;
  watch(pgid: number): void;
  /** Tells it the group is gone and waits (up to 2 s) for it to exit. */
  release(): Promise<void>;
}

/** Spawns a watchdog whose stderr goes to `logFd` (the server log), detached and unref'd; `label` names it in ps. */
export function spawnWatchdog(logFd: number, graceMs: number, label = ''): Watchdog {
  const child: ChildProcess = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, WATCHDOG_MARKER, label], {
    detached: true,
    stdio: ['pipe', 'ignore', logFd],
    env: { ...process.env, EVALGRAPH_WATCHDOG_GRACE_MS: String(graceMs) },
  });
  child.unref();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stdin = child.stdin as Socket;
  stdin.unref();
  stdin.on('error', () => {
    // the watchdog already exited (it does after `done` + EOF); nothing to guard any more
  });
  return {
    pid: child.pid ?? -1,
    watch: (pgid) => {
      stdin.write(`watch ${pgid}\n`);
    },
    release: async () => {
      if (!stdin.destroyed) stdin.end('done\n');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    },
  };
}
