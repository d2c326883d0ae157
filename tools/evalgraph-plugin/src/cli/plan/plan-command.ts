import { buildPlan, type Plan } from './build-plan';
import { cacheFlags, taskFates, workspaceProjectGraph } from './cache-status';
import { formatPlan } from './format-plan';
import { readRunHistory } from './history';
import { NxInternalsChanged } from './nx-internals';
import { checkPlanArgs, PlanUsageError, selectTasks, TaskSelectionError } from './task-selection';

export const PLAN_USAGE = `usage: evalgraph plan [--json] (run-many | affected) [nx options]
  e.g. evalgraph plan run-many -t evaluate -p pipeline-large-scale
       evalgraph plan affected -t evaluate --base=HEAD~1`;

/** Makes the plan of an nx command: what Nx would select, which cells miss its cache, and their GPU time. */
export async function makePlan(root: string, nxArgs: string[]): Promise<Plan> {
  checkPlanArgs(nxArgs);
  // Nx selects the tasks in a process of its own while this one builds the project graph the hasher needs.
  const [graph, projectGraph] = await Promise.all([selectTasks(root, nxArgs), workspaceProjectGraph(root)]);
  const fates = await taskFates(root, graph, projectGraph, cacheFlags(nxArgs));
  const history = readRunHistory(root);
  return buildPlan(root, nxArgs, graph, projectGraph, fates, history.costs, history.unreadable);
}

/** `evalgraph plan`: prints the plan (or its JSON with --json); returns the exit code. */
export async function plan(root: string, args: string[]): Promise<number> {
  const json = args.includes('--json');
  const nxArgs = args.filter((a) => a !== '--json');
  // With --json, stdout carries the JSON alone: whatever Nx or a plugin prints meanwhile goes to stderr.
  const log = console.log;
  if (json) console.log = (...a: unknown[]) => console.error(...a);
  try {
    const p = await makePlan(root, nxArgs);
    console.log = log;
    console.log(json ? JSON.stringify(p, null, 2) : formatPlan(p));
    return 0;
  } catch (e) {
    console.log = log;
    if (e instanceof PlanUsageError) {
      console.error(`${e.message}\n${PLAN_USAGE}`);
      return 2;
    }
    if (e instanceof TaskSelectionError || e instanceof NxInternalsChanged) {
      console.error(e.message);
      return 1;
    }
    throw e;
  }
}
