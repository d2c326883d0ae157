import type { ExecutorContext } from '@nx/devkit';
import { resolvePipeline } from '@evalgraph/core';
import { reportError } from '../../shared/report-error';

/** Validates a pipeline and every config it references; the cells depend on it, so bad input stops them all. */
export default async function checkExecutor(options: { pipeline: string; broken?: boolean }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const resolved = resolvePipeline(context.root, options.pipeline);
    if (options.broken) {
      // Nx built this run's graph while a config was broken, so the tasks waiting on this one are placeholders.
      console.error(`pipeline ${options.pipeline}: its configs are valid now, but this run's graph was built while one was broken — run the command again`);
      return { success: false };
    }
    console.log(`pipeline ${options.pipeline}: ${resolved.variants.length} model variants × ${resolved.datasets.length} datasets = ${resolved.cells.length} cells, configs valid`);
    return { success: true };
  } catch (e) {
    reportError(e);
    return { success: false };
  }
}
