import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkSandboxAvailable, type SandboxEnvironment } from './available';
import { launchCommand, PROGRAM_FD, prlimitArgs, sandboxEnv } from './bwrap-args';
import { RunOptions, type RunResult, SandboxLimits, SandboxOptions, type ResolvedSandboxOptions } from './options';
import { reapUid } from './reaper';
import { SlotPool } from './slots';
import { acquireUidSlot, releaseUidSlot, slotUid, UIDS_PER_PROCESS } from './uids';
import { spawnRun } from './spawn-run';
import { which } from './which';

/** Runs untrusted Python programs, each in a fresh sandbox, at most `concurrency` at a time. */
export interface Sandbox {
  readonly concurrency: number;
  /** Runs one program (the text of a Python file) and reports how it ended. Never rejects for what the program does. */
  run(code: string, opts?: RunOptions): Promise<RunResult>;
  /** How runs are isolated here ("bwrap (setpriv: uid per slot)", or "NONE (unsandboxed)"); resolves after the availability probe. */
  describe(): Promise<string>;
}

const LAUNCHER_ENV = { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' };

let warnedUnsandboxed = false;

function loudWarning(warn: (line: string) => void, reason: string): void {
  if (warnedUnsandboxed) return;
  warnedUnsandboxed = true;
  const bar = '!'.repeat(78);
  warn(
    `${bar}\n!! WARNING: running model-written code WITHOUT a sandbox (allowUnsandboxed: true).\n!! ${reason}\n!! It can read your files and secrets, use the network and delete data.\n!! Install bubblewrap (apt-get install bubblewrap) and remove allow_unsandboxed.\n${bar}`,
  );
}

type Backend = { kind: 'bwrap'; env: SandboxEnvironment } | { kind: 'none'; python: string; prlimit: string | null };

/** Creates a sandbox; the availability probe runs on first use (and its MissingDependencyError surfaces there). */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  const o: ResolvedSandboxOptions = SandboxOptions.parse(options);
  const concurrency = Math.min(o.concurrency ?? availableParallelism(), UIDS_PER_PROCESS);
  const slots = new SlotPool(concurrency);
  const warn = o.warn ?? ((line: string) => process.stderr.write(line + '\n'));

  let backend: Promise<Backend> | null = null;
  const getBackend = (): Promise<Backend> => {
    if (!backend) {
      backend = checkSandboxAvailable({ bwrap: o.bwrap, python: o.python, extraReadOnlyPaths: o.extraReadOnlyPaths, uidBase: o.uidBase })
        .then((env): Backend => ({ kind: 'bwrap', env }))
        .catch((e: unknown): Backend => {
          if (!o.allowUnsandboxed) throw e;
          loudWarning(warn, `The sandbox is unavailable: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
          const python = which(o.python);
          if (!python) throw e;
          return { kind: 'none', python, prlimit: which('prlimit') };
        });
      // Let a later call retry after a failed probe (e.g. bwrap installed meanwhile).
      backend.catch(() => (backend = null));
    }
    return backend;
  };

  async function runSandboxed(env: SandboxEnvironment, slot: number, code: string, r: ReturnType<typeof RunOptions.parse>, limits: SandboxLimits): Promise<RunResult> {
    const uid = env.mode === 'setpriv' ? slotUid(o.uidBase, slot) : undefined;
    const { command, args } = launchCommand({ ...env, uid, limits, extraReadOnlyPaths: o.extraReadOnlyPaths, env: o.env });
    const res = await spawnRun({
      command,
      args,
      env: LAUNCHER_ENV,
      cwd: '/',
      program: code,
      programFd: PROGRAM_FD,
      stdin: r.stdin,
      timeoutMs: r.timeoutMs,
      maxOutputBytes: o.maxOutputBytes,
      bwrapStatus: true,
    });
    const leftoverKilled = uid === undefined ? 0 : await reapUid(uid);
    return { ...res, sandboxed: true, leftoverKilled };
  }

  async function runUnsandboxed(be: Extract<Backend, { kind: 'none' }>, code: string, r: ReturnType<typeof RunOptions.parse>, limits: SandboxLimits): Promise<RunResult> {
    const dir = mkdtempSync(join(tmpdir(), 'evalgraph-unsandboxed-'));
    try {
      const file = join(dir, 'main.py');
      writeFileSync(file, code);
      const py = [be.python, '-s', '-B', file];
      const [command, ...args] = be.prlimit ? [be.prlimit, ...prlimitArgs(limits), '--', ...py] : py;
      const res = await spawnRun({
        command,
        args,
        env: { ...sandboxEnv(o.env), HOME: dir, TMPDIR: dir },
        cwd: dir,
        program: code,
        stdin: r.stdin,
        timeoutMs: r.timeoutMs,
        maxOutputBytes: o.maxOutputBytes,
        bwrapStatus: false,
      });
      return { ...res, sandboxed: false, leftoverKilled: 0 };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  return {
    concurrency,
    async run(code, runOptions = {}) {
      const r = RunOptions.parse(runOptions);
      const limits = SandboxLimits.parse({ ...o.limits, ...r.limits });
      const be = await getBackend();
      const turn = await slots.acquire();
      const uidSlot = await acquireUidSlot();
      try {
        return be.kind === 'bwrap' ? await runSandboxed(be.env, uidSlot, code, r, limits) : await runUnsandboxed(be, code, r, limits);
      } finally {
        releaseUidSlot(uidSlot);
        slots.release(turn);
      }
    },
    async describe() {
      const be = await getBackend();
      if (be.kind === 'none') return 'NONE (unsandboxed: allowUnsandboxed was set and bubblewrap is unavailable)';
      return be.env.mode === 'setpriv'
        ? `bubblewrap ${be.env.bwrap} (as root: each run as its own uid from ${slotUid(o.uidBase, 0)})`
        : `bubblewrap ${be.env.bwrap} (as the current user)`;
    },
  };
}
