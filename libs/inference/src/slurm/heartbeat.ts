import { spawn } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * The heartbeat keeper: a tiny Node process that refreshes the file's time every `everyMs` for as long as its
 * owner lives. It holds the read end of a pipe from the owner, so the kernel's EOF when the owner dies (SIGKILL
 * included) ends it; a separate process keeps beating while the owner's event loop is busy (a blocked loop is
 * not a dead client, and under load it stalled a timer past a short heartbeat limit). It ignores SIGINT, SIGTERM
 * and SIGHUP so a Ctrl-C of the group stops the beat only when the owner itself has gone.
 */
const HEARTBEAT_SOURCE = String.raw`
const fs = require('fs');
const [file, every] = process.argv.slice(1);
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => {});
const beat = () => { try { const t = new Date(); fs.utimesSync(file, t, t); } catch {} };
beat();
setInterval(beat, Number(every));
process.stdin.on('data', () => {});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
`;

/** Marker in the keeper's argv, so process-table checks can find leftovers. */
export const HEARTBEAT_MARKER = 'evalgraph-heartbeat';

/** A running heartbeat keeper; stop() ends it (the file then ages). */
export interface Heartbeat {
  readonly pid: number;
  stop(): void;
}

/** Starts refreshing `file` every `everyMs` from a child process that lives exactly as long as this one. */
export function startHeartbeat(file: string, everyMs: number): Heartbeat {
  const child = spawn(process.execPath, ['-e', HEARTBEAT_SOURCE, file, String(everyMs), HEARTBEAT_MARKER], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  const stdin = child.stdin as Socket;
  stdin.unref();
  stdin.on('error', () => {
    // the keeper is gone already
  });
  return {
    pid: child.pid ?? -1,
    stop: () => {
      if (!stdin.destroyed) stdin.end();
      child.kill('SIGKILL');
    },
  };
}
