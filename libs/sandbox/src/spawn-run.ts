import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { CHANNEL_FD, PROGRAM_FD, STATUS_FD } from './bwrap-args';
import type { RunResult, RunStatus } from './options';
import { HeadBuffer, HeadTailBuffer } from './output-buffer';

const CHANNEL_MAX_BYTES = 1024 * 1024;
// After a kill, how long to wait for the pipes to close before giving up on them.
const CLOSE_GRACE_MS = 2000;

export interface SpawnSpec {
  command: string;
  args: string[];
  /** Host environment of the launcher (bwrap/setpriv); the sandbox builds its own. */
  env: Record<string, string>;
  cwd: string;
  program: string;
  /** When set, the program text is written to this child fd (bwrap reads it); otherwise not sent. */
  programFd?: number;
  stdin?: string;
  timeoutMs: number;
  maxOutputBytes: number;
  /** bwrap reports the sandboxed child's start and exit code on fd 5. */
  bwrapStatus: boolean;
}

function signalName(n: number): string | null {
  const entry = Object.entries(constants.signals).find(([, v]) => v === n);
  return entry ? entry[0] : null;
}

interface BwrapStatus {
  started: boolean;
  exitCode: number | null;
}

function parseBwrapStatus(text: string): BwrapStatus {
  let started = false;
  let exitCode: number | null = null;
  // One JSON document per line: {"child-pid": N, ...} once started, {"exit-code": N} at the end.
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const doc = JSON.parse(line) as Record<string, unknown>;
      if (typeof doc['child-pid'] === 'number') started = true;
      if (typeof doc['exit-code'] === 'number') exitCode = doc['exit-code'];
    } catch {
      // a torn line when bwrap was killed: ignore it
    }
  }
  return { started, exitCode };
}

/** Classifies an exit code as the shell does: 128+N means "ended by signal N". */
function classify(exitCode: number | null, signal: NodeJS.Signals | null): { status: RunStatus; signal: string | null } {
  if (signal) return { status: 'killed', signal };
  if (exitCode === 0) return { status: 'ok', signal: null };
  if (exitCode !== null && exitCode > 128 && exitCode < 128 + 65) {
    const name = signalName(exitCode - 128);
    if (name) return { status: 'killed', signal: name };
  }
  return { status: 'error', signal: null };
}

/**
 * Spawns the launcher in its own process group, feeds it the program and stdin, keeps capped
 * output, and on the wall-clock limit SIGKILLs the group (bwrap's --die-with-parent and the PID
 * namespace then take every process of the sandbox with it).
 */
export function spawnRun(spec: SpawnSpec): Promise<Omit<RunResult, 'sandboxed' | 'leftoverKilled'>> {
  return new Promise((resolve) => {
    const started = Date.now();
    const stdio: ('pipe' | 'ignore')[] = [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', 'pipe', spec.programFd !== undefined ? 'pipe' : 'ignore', spec.bwrapStatus ? 'pipe' : 'ignore'];
    const child = spawn(spec.command, spec.args, { stdio, env: spec.env, cwd: spec.cwd, detached: true });
    const stdout = new HeadTailBuffer(spec.maxOutputBytes);
    const stderr = new HeadTailBuffer(spec.maxOutputBytes);
    const channel = new HeadBuffer(CHANNEL_MAX_BYTES);
    let status = '';
    let timedOut = false;
    let spawnError: Error | null = null;
    let settled = false;

    const killTree = () => {
      if (child.pid === undefined) return;
      for (const target of [-child.pid, child.pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    };

    const timer = setTimeout(() => {
      timedOut = true;
      killTree();
      // If something still holds our pipes after the kill, stop waiting for them.
      setTimeout(() => finish(null, 'SIGKILL'), CLOSE_GRACE_MS).unref();
    }, spec.timeoutMs);

    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const s of child.stdio ?? []) s?.destroy();
      const durationMs = Date.now() - started;
      const bw = spec.bwrapStatus ? parseBwrapStatus(status) : { started: spawnError === null, exitCode: code };
      const base = {
        stdout: stdout.text(),
        stderr: spawnError ? `${stderr.text()}${spawnError.message}` : stderr.text(),
        channel: channel.text(),
        truncated: { stdout: stdout.truncated, stderr: stderr.truncated, channel: channel.truncated },
        durationMs,
      };
      if (timedOut) return resolve({ status: 'timeout', exitCode: null, signal: 'SIGKILL', ...base });
      if (spawnError || !bw.started) return resolve({ status: 'sandbox_failure', exitCode: code, signal: sig, ...base });
      // bwrap exits with the program's status; its status fd says so explicitly.
      const exitCode = bw.exitCode ?? code;
      const c = classify(exitCode, bw.exitCode === null ? sig : null);
      resolve({ status: c.status, exitCode, signal: c.signal, ...base });
    };

    child.on('error', (e) => {
      spawnError = e;
      finish(null, null);
    });
    child.stdout?.on('data', (d: Buffer) => stdout.push(d));
    child.stderr?.on('data', (d: Buffer) => stderr.push(d));
    const ch = child.stdio[CHANNEL_FD];
    if (ch && 'on' in ch) ch.on('data', (d: Buffer) => channel.push(d));
    const st = (child.stdio as readonly (NodeJS.ReadableStream | NodeJS.WritableStream | null | undefined)[])[STATUS_FD];
    if (st && 'on' in st) st.on('data', (d: Buffer) => (status += d.toString('utf8')));
    // Pipes to a process that died early raise EPIPE: that is the program's problem, not ours.
    for (const s of child.stdio ?? []) s?.on('error', () => undefined);
    const prog = child.stdio[PROGRAM_FD];
    if (spec.programFd !== undefined && prog && 'end' in prog) prog.end(spec.program);
    if (spec.stdin !== undefined) child.stdin?.end(spec.stdin);
    child.on('close', (code, sig) => finish(code, sig));
  });
}
