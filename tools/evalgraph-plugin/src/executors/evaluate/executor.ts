import type { ExecutorContext } from '@nx/devkit';
import type { CellOptions } from '../../nodes/pipeline-project';
import { runCells } from './run-cells';
import { withOverrides } from './batch';
import { installSignalHandlers } from '../../shared/signals';

/** Single-cell executor (used when Nx does not batch, e.g. --batch=false). */
export default async function evaluateExecutor(options: CellOptions & Record<string, unknown>, context: ExecutorContext): Promise<{ success: boolean }> {
  const signal = installSignalHandlers();
  const task = `${context.projectName}:${context.targetName}`;
  let success = true;
  for await (const r of runCells(context.root, [{ task, options: withOverrides(options, options) }], signal)) success &&= r.success;
  return { success };
}
