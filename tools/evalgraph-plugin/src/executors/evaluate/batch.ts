import type { ExecutorContext, TaskGraph } from '@nx/devkit';
import type { CellOptions } from '../../nodes/pipeline-project';
import { runCells } from './run-cells';
import { installSignalHandlers, releaseSignalHandlers } from '../../shared/signals';

/** Nx batch executor: receives every cell that missed the cache in this run and shares one server per model. */
export default async function* evaluateBatch(
  taskGraph: TaskGraph,
  inputs: Record<string, CellOptions>,
  overrides: Partial<CellOptions> & Record<string, unknown>,
  context: ExecutorContext,
): AsyncGenerator<{ task: string; result: { success: boolean; terminalOutput: string; status?: 'success' | 'failure' } }> {
  const signal = installSignalHandlers();
  const tasks = Object.keys(taskGraph.tasks).map((task) => ({ task, options: withOverrides(inputs[task], overrides) }));
  try {
    for await (const r of runCells(context.root, tasks, signal)) {
      yield { task: r.task, result: { success: r.success, terminalOutput: r.terminalOutput, status: r.success ? 'success' : 'failure' } };
    }
  } finally {
    releaseSignalHandlers();
  }
}

/** Applies command-line overrides that evalgraph defines (e.g. --sampleLimit=N); Nx hashes them too. */
export function withOverrides(options: CellOptions, overrides: Record<string, unknown>): CellOptions {
  const limit = overrides.sampleLimit ?? overrides['sample-limit'];
  if (limit === undefined) return options;
  const n = Number(limit);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--sampleLimit: expected a positive whole number, found ${JSON.stringify(limit)}`);
  }
  return { ...options, sampleLimit: n };
}
