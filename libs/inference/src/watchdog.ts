import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import type { Socket } from 'node:net';

/**
 * The watchdog is a tiny Node process that holds the read end of a pipe from its parent. The kernel closes
 * that pipe when the parent dies for any reason, SIGKILL included, so EOF on stdin means "the process that
 * owns the servers is gone": the watchdog then SIGTERMs every process group it still guards, SIGKILLs each after
 * its grace period, and exits. It runs in its own process group and ignores SIGINT/SIGTERM/SIGHUP so that a
 * Ctrl-C aimed at the parent's group cannot take it down before it has done its job.
 *
 * One watchdog serves every server (and trainer) of a process: starting eight servers at once on a small host
 * spawned eight more Node processes competing with the servers' own start. It exits once the last group it
 * guards is released, and the next start spawns a new one. If it dies while it still guards groups, the owner
 * spawns a replacement, tells it every group, and notes it in each group's log (at most 3 times a minute).
 *
 * Protocol on stdin (one line each): `watch <pgid> <grace ms> <log file as JSON>`, and after a normal stop of that
 * group `done <pgid>`. Its own messages go to the guarded group's log file.
 */
const WATCHDOG_SOURCE = String.raw`
const fs = require('fs');
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
const groups = new Map();
let buf = '', ending = false;
function members(pgid) {
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
function kill(pgid, sig) { try { process.kill(-pgid, sig); } catch {} }
function note(g, msg) { try { fs.appendFileSync(g.log, '[evalgraph watchdog] ' + msg + '\n'); } catch {} }
function finish() {
  if (ending) return;
  ending = true;
  const left = [...groups].filter(([pgid]) => members(pgid) > 0);
  if (!left.length) process.exit(0);
  for (const [pgid, g] of left) {
    note(g, 'owner process exited; stopping server process group ' + pgid);
    kill(pgid, 'SIGTERM');
  }
  const t0 = Date.now();
  const killed = new Set();
  const last = Math.max(...left.map(([, g]) => g.grace));
  setInterval(() => {
    let alive = 0;
    for (const [pgid, g] of left) {
      if (members(pgid) === 0) continue;
      alive++;
      if (!killed.has(pgid) && Date.now() - t0 > g.grace) {
        note(g, 'group ' + pgid + ' still alive after ' + g.grace + ' ms; SIGKILL');
        kill(pgid, 'SIGKILL');
        killed.add(pgid);
      }
    }
    if (alive === 0) process.exit(0);
    if (Date.now() - t0 > last + 15000) process.exit(1);
  }, 100);
}
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, i).trim();
    buf = buf.slice(i + 1);
    const w = /^watch (\d+) (\d+) (.+)$/.exec(line);
    if (w) groups.set(Number(w[1]), { grace: Number(w[2]), log: JSON.parse(w[3]) });
    else if (line.startsWith('done ')) groups.delete(Number(line.slice(5)));
  }
});
process.stdin.on('end', finish);
process.stdin.on('error', finish);
`;

/** Marker in the watchdog's argv, so process-table checks can find leftovers. */
export const WATCHDOG_MARKER = 'evalgraph-watchdog';

/** A guard for one process group: tell it which group, and release it after a normal stop. */
export interface Watchdog {
  readonly pid: number;
  watch(pgid: number): void;
  /** Tells the watchdog the group is gone; the last release of the process waits (up to 2 s) for it to exit. */
  release(): Promise<void>;
}

interface Guarded {
  grace: number;
  log: string;
}

interface SharedWatchdog {
  child: ChildProcess;
  stdin: Socket;
  exited: Promise<void>;
  users: number;
  /** The groups it guards, so a replacement can be told them all. */
  groups: Map<number, Guarded>;
  /** Set once the last user released it: an exit after that is the expected one. */
  closing: boolean;
  /** When each replacement was spawned: a watchdog that keeps dying is given up on, not respawned forever. */
  respawns: number[];
}

let shared: SharedWatchdog | null = null;

const RESPAWN_LIMIT = 3;
const RESPAWN_WINDOW_MS = 60_000;

/** The protocol's `watch` line for one group. */
function watchLine(pgid: number, g: Guarded): string {
  return `watch ${pgid} ${g.grace} ${JSON.stringify(g.log)}\n`;
}

function appendNote(log: string, msg: string): void {
  try {
    appendFileSync(log, `[evalgraph watchdog] ${msg}\n`);
  } catch {
    // a log that cannot be written must not take the owner down
  }
}

function spawnChild(): Pick<SharedWatchdog, 'child' | 'stdin' | 'exited'> {
  const child: ChildProcess = spawn(process.execPath, ['-e', WATCHDOG_SOURCE, WATCHDOG_MARKER, `${process.cwd()} (pid ${process.pid})`], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const stdin = child.stdin as Socket;
  stdin.unref();
  stdin.on('error', () => {
    // the watchdog already exited; its exit handler replaces it
  });
  return { child, stdin, exited };
}

/**
 * A watchdog that exits while it still guards groups (killed by hand, out of memory) leaves them unguarded: the
 * owner's SIGKILL would then leave servers on the GPU. Its replacement is told every group, and each group's log
 * says what happened.
 */
function replaceOnUnexpectedExit(w: SharedWatchdog): void {
  const child = w.child;
  child.once('exit', (code, signal) => {
    if (w.closing || w.child !== child || w.groups.size === 0) return;
    const how = signal ? `on ${signal}` : `with code ${code}`;
    const now = Date.now();
    w.respawns = w.respawns.filter((t) => now - t < RESPAWN_WINDOW_MS);
    if (w.respawns.length >= RESPAWN_LIMIT) {
      for (const [pgid, g] of w.groups) appendNote(g.log, `watchdog pid ${child.pid} exited ${how}, the ${RESPAWN_LIMIT + 1}th in a minute; not replaced: group ${pgid} is no longer guarded against its owner's SIGKILL`);
      if (shared === w) shared = null;
      return;
    }
    w.respawns.push(now);
    Object.assign(w, spawnChild());
    for (const [pgid, g] of w.groups) {
      appendNote(g.log, `watchdog pid ${child.pid} exited ${how} while guarding group ${pgid}; pid ${w.child.pid} guards it now`);
      w.stdin.write(watchLine(pgid, g));
    }
    replaceOnUnexpectedExit(w);
  });
}

/** The process's watchdog, spawned on first use: detached, unref'd, named in ps by the owner's cwd and pid. */
function sharedWatchdog(): SharedWatchdog {
  if (shared && !shared.stdin.destroyed && shared.child.exitCode === null && shared.child.signalCode === null) return shared;
  const w: SharedWatchdog = { ...spawnChild(), users: 0, groups: new Map(), closing: false, respawns: [] };
  replaceOnUnexpectedExit(w);
  shared = w;
  return w;
}

/** A guard from the process's watchdog; its messages about the group go to `logFile`. */
export function acquireWatchdog(logFile: string, graceMs: number): Watchdog {
  const w = sharedWatchdog();
  w.users++;
  let pgid = 0;
  let released = false;
  return {
    get pid() {
      return w.child.pid ?? -1;
    },
    watch: (p) => {
      pgid = p;
      const g = { grace: Math.max(0, Math.round(graceMs)), log: logFile };
      w.groups.set(p, g);
      w.stdin.write(watchLine(p, g));
    },
    release: async () => {
      if (released) return;
      released = true;
      if (pgid) w.groups.delete(pgid);
      if (pgid && !w.stdin.destroyed) w.stdin.write(`done ${pgid}\n`);
      if (--w.users > 0) return;
      w.closing = true;
      if (shared === w) shared = null;
      if (!w.stdin.destroyed) w.stdin.end();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([w.exited, new Promise<void>((r) => (timer = setTimeout(r, 2000)))]);
      clearTimeout(timer);
    },
  };
}
