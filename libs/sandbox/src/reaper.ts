import { readdirSync, readFileSync } from 'node:fs';
import { slotUid, UIDS_PER_PROCESS } from './uids';

/** PIDs of live processes whose real uid is in [uid, uid + count) (zombies excluded: they hold nothing). */
export function processesOfUid(uid: number, count = 1): number[] {
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${name}/status`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const uidLine = /^Uid:\s+(\d+)/m.exec(status);
    const state = /^State:\s+(\S)/m.exec(status);
    const u = uidLine ? Number(uidLine[1]) : -1;
    if (u >= uid && u < uid + count && state?.[1] !== 'Z') pids.push(Number(name));
  }
  return pids;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Belt and braces after a run as a dedicated uid: the PID namespace should already have taken every
 * process with it, but anything of that uid still alive is SIGKILLed, and the slot is only reused
 * once none is left. Returns how many were killed.
 */
export async function reapUid(uid: number, timeoutMs = 3000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const killed = new Set<number>();
  // A process in teardown may linger a few milliseconds; give the kernel a moment before killing.
  for (let delay = 0; ; delay = Math.min(delay * 2 || 5, 100)) {
    if (delay) await sleep(delay);
    const pids = processesOfUid(uid);
    if (pids.length === 0) return killed.size;
    if (delay >= 20 || Date.now() > deadline - 500) {
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
          killed.add(pid);
        } catch {
          // gone
        }
      }
    }
    if (Date.now() > deadline) throw new Error(`sandbox uid ${uid}: processes ${pids.join(', ')} survive SIGKILL`);
  }
}

/**
 * PIDs of live processes running as any sandbox uid of this process (root mode). Empty when not
 * root, where sandboxes run as the caller's own uid and cannot be told apart this way.
 */
export function liveSandboxProcesses(uidBase = 1_000_000_000, pid = process.pid): number[] {
  if (process.getuid?.() !== 0) return [];
  return processesOfUid(slotUid(uidBase, 0, pid), UIDS_PER_PROCESS);
}
