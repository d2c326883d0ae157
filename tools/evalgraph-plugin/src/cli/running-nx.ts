import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { sep } from 'node:path';

/** A process of Nx (the CLI, a forked task or batch worker) working in a workspace. */
export interface NxProcess {
  pid: number;
  command: string;
}

/** An argument that is Nx itself: its bin, `npx nx`, or a script of the nx package (forked tasks, batch workers). */
const NX_ARG = /(^|[/\\])nx(\.js)?$|[/\\]nx[/\\](dist[/\\])?(bin|src)[/\\]/;

function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command: state, ppid, ...
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(ppid) && ppid > 0 ? ppid : null;
  } catch {
    return null;
  }
}

/** This process and its ancestors: an nx that runs this command is not one to wait for. */
function ownLineage(): Set<number> {
  const out = new Set<number>();
  for (let p: number | null = process.pid; p && !out.has(p); p = parentPid(p)) out.add(p);
  return out;
}

/**
 * Nx processes whose working folder is inside `root` (Linux: read from /proc), or null where this cannot be
 * told (no /proc). Deleting the task cache or prepared data under a running nx would pull files from under it.
 */
export function runningNx(root: string): NxProcess[] | null {
  if (!existsSync('/proc/self/cwd')) return null;
  const base = realpathSync(root);
  const mine = ownLineage();
  const found: NxProcess[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || mine.has(pid)) continue;
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd !== base && !cwd.startsWith(base + sep)) continue;
      const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      if (args.some((a) => NX_ARG.test(a))) found.push({ pid, command: args.join(' ').slice(0, 160) });
    } catch {
      // gone, or another user's process: not ours to judge
    }
  }
  return found;
}
