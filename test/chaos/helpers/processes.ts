import { readdirSync, readFileSync } from 'node:fs';
import { mulberry32 } from '@evalgraph/analysis';

/** One process as the chaos checks see it. */
export interface Proc {
  pid: number;
  ppid: number;
  pgid: number;
  uid: number;
  state: string;
  args: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid, state: rest[0], ppid: Number(rest[1]), pgid: Number(rest[2]), uid, args };
  } catch {
    return null; // gone between readdir and read
  }
}

/** Every live (non-zombie) process. */
export function processTable(): Proc[] {
  const out: Proc[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const p = readProc(Number(e));
    if (p && p.state !== 'Z' && p.state !== 'X') out.push(p);
  }
  return out;
}

/** Whether a process's environment holds NAME=VALUE (every process a chaos run starts inherits its mark). */
export function hasEnv(pid: number, entry: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(entry);
  } catch {
    return false;
  }
}

/** First UID of the sandbox's uid block for an evalgraph process (libs/sandbox: base + (pid % 2^22) * 256 + slot). */
export function sandboxUidBlock(pid: number, base = 1_000_000_000): [number, number] {
  const lo = base + (pid % 2 ** 22) * 256;
  return [lo, lo + 255];
}

/** Children of a process: /proc/<pid>/task/<pid>/children (cheap enough to poll), else a scan of /proc. */
function childrenOf(pid: number): Proc[] {
  try {
    const ids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return ids.map(readProc).filter((p): p is Proc => p !== null && p.state !== 'Z');
  } catch {
    return processTable().filter((p) => p.ppid === pid);
  }
}

/** Task processes Nx forked for a run: children of `nxPid` running a batch or an executor. */
export function taskProcesses(nxPid: number): Proc[] {
  return childrenOf(nxPid).filter((p) => /run-batch|run-executor|fork\.js/.test(p.args));
}

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true or `timeoutMs` passes; returns the last value. */
export async function waitUntil(fn: () => boolean, timeoutMs: number, stepMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (fn()) return true;
    if (Date.now() > end) return false;
    await sleep(stepMs);
  }
}

/** A seeded PRNG (the analysis library's mulberry32), so every fault moment is reproducible from the seed the test prints. */
export const seeded = mulberry32;
