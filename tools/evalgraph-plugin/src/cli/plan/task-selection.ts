import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { z } from 'zod';
import type { TaskGraph } from '@nx/devkit';

/** The nx commands a plan can be made for: the ones that select tasks from the graph. */
export const PLANNED_COMMANDS = ['run-many', 'affected'] as const;

/** Bad `evalgraph plan` arguments. */
export class PlanUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanUsageError';
  }
}

/** Nx could not select the tasks (a bad project name, no base for affected, a broken graph). */
export class TaskSelectionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TaskSelectionError';
  }
}

const TaskJson = z.object({
  id: z.string(),
  target: z.object({ project: z.string(), target: z.string(), configuration: z.string().optional() }).passthrough(),
  projectRoot: z.string().optional(),
  overrides: z.record(z.string(), z.unknown()),
  outputs: z.array(z.string()),
  cache: z.boolean().optional(),
  parallelism: z.boolean(),
  continuous: z.boolean().optional(),
}).passthrough();

const Edge = z.object({ id: z.string(), waitFor: z.enum(['started', 'ready']).optional(), inputs: z.literal(false).optional() }).passthrough();

const GraphFile = z.object({
  tasks: z.object({
    roots: z.array(z.string()),
    tasks: z.record(z.string(), TaskJson),
    dependencies: z.record(z.string(), z.array(Edge)),
    continuousDependencies: z.record(z.string(), z.array(Edge)).optional(),
  }),
});

/** Checks the arguments: an nx command that selects tasks, without options that would make it do something else. */
export function checkPlanArgs(args: string[]): void {
  const [cmd] = args;
  if (!cmd || !(PLANNED_COMMANDS as readonly string[]).includes(cmd)) {
    throw new PlanUsageError(`evalgraph plan: expected the arguments of \`nx run-many\` or \`nx affected\` (e.g. \`evalgraph plan run-many -t evaluate -p pipeline-smoke\`), found ${cmd ? `"${cmd}"` : 'nothing'}`);
  }
  const bad = args.find((a) => /^--(graph|explain|help|version)(=|$)/.test(a));
  if (bad) throw new PlanUsageError(`evalgraph plan: "${bad}" is not a run option; the plan runs nx with --graph itself`);
}

/**
 * The task graph exactly as `nx <run-many|affected> ARGS` would run it, selected by Nx itself: the command is run
 * with `--graph=<file>.json`, Nx's public way to print the tasks a run-many or affected command selects (with every
 * task they depend on) instead of running them.
 */
export async function selectTasks(root: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<TaskGraph> {
  checkPlanArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'evalgraph-plan-'));
  const file = join(dir, 'tasks.json');
  try {
    const nx = require.resolve('nx/bin/nx.js', { paths: [root] });
    const r = await run(process.execPath, [nx, ...args, `--graph=${file}`], root, { ...env, NX_TUI: 'false' });
    if (r.code !== 0) throw new TaskSelectionError(`nx ${args.join(' ')} could not select its tasks (exit ${r.code}):\n${r.all.trim()}`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new TaskSelectionError(`nx ${args.join(' ')} --graph wrote no readable task graph (${(e as Error).message}):\n${r.all.trim()}`);
    }
    const parsed = GraphFile.safeParse(raw);
    if (!parsed.success) throw new TaskSelectionError(`nx ${args.join(' ')} --graph: the task graph is not in the shape evalgraph plan reads (${parsed.error.issues[0].path.join('.')}: ${parsed.error.issues[0].message}); has Nx changed it?`);
    const g = parsed.data.tasks;
    return { roots: g.roots, tasks: g.tasks as TaskGraph['tasks'], dependencies: g.dependencies, continuousDependencies: g.continuousDependencies ?? {} };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a command to its end, stdout and stderr together. */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; all: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let all = '';
    child.stdout.on('data', (d: Buffer) => (all += d));
    child.stderr.on('data', (d: Buffer) => (all += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), all }));
  });
}
