import type { ExecutorContext } from '@nx/devkit';
import { rollbackReport } from '@evalgraph/report';
import { reportError } from '../../shared/report-error';
import { pipelinePaths } from '../../shared/pipeline-paths';

/** Restores the previously published report (run it again to undo). */
export default async function rollbackExecutor(options: { pipeline: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const result = rollbackReport(pipelinePaths(context.root, options.pipeline).dir);
    console.log(`restored the previous report of ${options.pipeline}: ${result.files.join(', ')}`);
    return { success: true };
  } catch (e) {
    reportError(e, `pipeline ${options.pipeline}`);
    return { success: false };
  }
}
