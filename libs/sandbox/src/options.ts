import { z } from 'zod';

const MiB = 1024 * 1024;

/** Resource limits applied to every sandboxed program (per run). */
export const SandboxLimits = z
  .object({
    cpuSeconds: z.number().int().positive().default(30).describe('RLIMIT_CPU soft limit (SIGXCPU); the hard limit is one second more'),
    memoryBytes: z.number().int().positive().default(2048 * MiB).describe('RLIMIT_AS: address space of each process'),
    maxProcesses: z.number().int().positive().default(32).describe('RLIMIT_NPROC: processes + threads of the sandbox user (per sandbox, see README)'),
    fileSizeBytes: z.number().int().positive().default(16 * MiB).describe('RLIMIT_FSIZE: largest file a process may write'),
    openFiles: z.number().int().positive().default(256).describe('RLIMIT_NOFILE'),
    tmpBytes: z.number().int().positive().default(64 * MiB).describe('size of the private tmpfs on /tmp (the only writable place)'),
    shmBytes: z.number().int().positive().default(8 * MiB).describe('size of the private tmpfs on /dev/shm'),
  })
  .strict();
export type SandboxLimits = z.infer<typeof SandboxLimits>;

/** Options of createSandbox. */
export const SandboxOptions = z
  .object({
    python: z.string().min(1).default('/usr/bin/python3').describe('interpreter; must live under a read-only bound path (/usr by default)'),
    bwrap: z.string().min(1).default('bwrap'),
    concurrency: z.number().int().positive().optional().describe('parallel runs (default os.availableParallelism())'),
    limits: SandboxLimits.default(SandboxLimits.parse({})),
    maxOutputBytes: z.number().int().positive().default(64 * 1024).describe('stdout and stderr are each kept up to this size (head and tail)'),
    extraReadOnlyPaths: z.array(z.string().min(1)).default([]).describe('host paths bound read-only at the same place (e.g. a Python prefix outside /usr)'),
    uidBase: z.number().int().min(1).max(3_000_000_000).default(1_000_000_000).describe('as root: runs use uids uidBase + (pid % 2^22) * 256 + slot, a block per process'),
    env: z.record(z.string(), z.string()).default({}).describe('extra environment variables inside the sandbox (never inherited from the host)'),
    allowUnsandboxed: z.boolean().default(false).describe('run without bubblewrap when it is missing (unsafe; prints a warning)'),
    warn: z.custom<(line: string) => void>((v) => typeof v === 'function').optional(),
  })
  .strict();
export type SandboxOptions = z.input<typeof SandboxOptions>;
export type ResolvedSandboxOptions = z.output<typeof SandboxOptions>;

/** Options of one run. */
export const RunOptions = z
  .object({
    timeoutMs: z.number().int().positive().default(10_000).describe('wall-clock limit; the whole process tree is killed when it passes'),
    stdin: z.string().optional(),
    limits: SandboxLimits.partial().optional().describe('per-run overrides of the sandbox limits'),
  })
  .strict();
export type RunOptions = z.input<typeof RunOptions>;

/** ok: exit 0; error: non-zero exit; timeout: wall clock passed, tree killed; killed: ended by a signal (CPU limit, SIGKILL, crash); sandbox_failure: the sandbox itself could not start the program. */
export const RunStatus = z.enum(['ok', 'error', 'timeout', 'killed', 'sandbox_failure']);
export type RunStatus = z.infer<typeof RunStatus>;

/** How one run ended, with its capped output. */
export const RunResult = z
  .object({
    status: RunStatus,
    exitCode: z.number().int().nullable(),
    signal: z.string().nullable().describe('signal that ended the program, when known (SIGXCPU, SIGKILL, ...)'),
    stdout: z.string(),
    stderr: z.string(),
    /** What the program wrote to fd 3, a side channel kept apart from stdout (capped at 1 MiB). */
    channel: z.string(),
    truncated: z.object({ stdout: z.boolean(), stderr: z.boolean(), channel: z.boolean() }).strict(),
    durationMs: z.number().min(0),
    sandboxed: z.boolean(),
    /** Processes of this run still alive after it ended and killed by the reaper (should be 0). */
    leftoverKilled: z.number().int().min(0),
  })
  .strict();
export type RunResult = z.infer<typeof RunResult>;
