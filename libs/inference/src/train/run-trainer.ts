import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { UserFacingError } from '@evalgraph/core';
import { groupMembers, signalGroup, waitGroupGone } from '../proc';
import { acquireWatchdog } from '../watchdog';
import { formatTrainerEvent, parseTrainerLine, type TrainerEvent } from './trainer-job';

/** A trainer that exited non-zero, was killed or was interrupted; the message ends with the log's last lines. */
export class TrainerError extends UserFacingError {
  constructor(message: string, readonly logFile: string) {
    super(message);
    this.name = 'TrainerError';
  }
}

/** How to run one training process. */
export interface TrainerLaunch {
  run: string;
  command: string[];
  cwd: string;
  logFile: string;
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Seconds between SIGTERM and SIGKILL of the group when stopped. */
  graceMs?: number;
  /** Where progress lines go (default: console.log). */
  print?: (line: string) => void;
  /** Minimum time between two printed step lines (start, done and the last step always print). */
  printEveryMs?: number;
  /** Called with the trainer's process group once it runs (to attach it to a GPU lease). */
  onSpawn?: (pgid: number) => void;
}

/**
 * Runs a trainer with the vLLM runtime's discipline: its own process group guarded by a watchdog (the group dies with
 * this process, SIGKILL included), output to the log, progress events to the terminal, SIGTERM then SIGKILL of the
 * whole group when the signal aborts. Resolves with the events seen; throws TrainerError on any failure.
 */
export async function runTrainer(l: TrainerLaunch): Promise<TrainerEvent[]> {
  const graceMs = l.graceMs ?? 30_000;
  const print = l.print ?? ((s: string) => console.log(s));
  l.signal?.throwIfAborted();
  mkdirSync(dirname(l.logFile), { recursive: true });
  const fd = openSync(l.logFile, 'a');
  writeSync(fd, `# evalgraph: ${l.command.join(' ')} (${new Date().toISOString()})\n`);
  const watchdog = acquireWatchdog(l.logFile, graceMs);
  const child = spawn(l.command[0], l.command.slice(1), { cwd: l.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1', ...l.env } });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  if (child.pid === undefined) {
    const err = await spawnError;
    await watchdog.release();
    closeSync(fd);
    throw new TrainerError(`${l.run}: could not run ${l.command[0]}: ${err.message} — install Python 3 or set EVALGRAPH_PYTHON`, l.logFile);
  }
  const pgid = child.pid;
  watchdog.watch(pgid);
  l.onSpawn?.(pgid);
  const events: TrainerEvent[] = [];
  let lastPrint = 0;
  const tail: string[] = [];
  const onLine = (line: string) => {
    writeSync(fd, line + '\n');
    tail.push(line);
    if (tail.length > 20) tail.shift();
    const e = parseTrainerLine(line);
    if (!e) return;
    events.push(e);
    const now = Date.now();
    const last = e.event === 'step' && e.step === e.total_steps;
    if (e.event !== 'step' || last || now - lastPrint >= (l.printEveryMs ?? 2000)) {
      lastPrint = now;
      const text = formatTrainerEvent(l.run, e);
      if (text) print(text);
    }
  };
  const streams = [child.stdout, child.stderr].map((s) => new Promise<void>((resolve) => createInterface({ input: s! }).on('line', onLine).on('close', resolve)));
  const exited = new Promise<{ code: number | null; sig: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
  let interrupted: string | undefined;
  const stop = async () => {
    interrupted = String((l.signal?.reason as Error | undefined)?.message ?? 'interrupted');
    signalGroup(pgid, 'SIGTERM');
    if (!(await waitGroupGone(pgid, graceMs))) signalGroup(pgid, 'SIGKILL');
  };
  l.signal?.addEventListener('abort', () => void stop(), { once: true });
  const { code, sig } = await exited;
  await Promise.all(streams);
  // A trainer's own children (data-loader workers) die with it, not after it.
  if (groupMembers(pgid).length > 0) {
    signalGroup(pgid, 'SIGKILL');
    await waitGroupGone(pgid, 10_000);
  }
  await watchdog.release();
  closeSync(fd);
  if (interrupted) throw new TrainerError(`${l.run}: training stopped (${interrupted}); nothing was written — log: ${l.logFile}`, l.logFile);
  if (code !== 0) {
    throw new TrainerError(
      [`${l.run}: the trainer failed (${sig ? `signal ${sig}` : `exit code ${code}`})`, `  command: ${l.command.join(' ')}`, `  log: ${l.logFile} — last ${tail.length} lines:`, ...tail.map((t) => `    | ${t}`)].join('\n'),
      l.logFile,
    );
  }
  return events;
}
