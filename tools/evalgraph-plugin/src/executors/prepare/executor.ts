import type { ExecutorContext } from '@nx/devkit';
import { isFormatPlugin, loadNamed } from '@evalgraph/core';
import { SourceUnavailableError, markUnavailable, prepareDataset } from '@evalgraph/datasets';
import { loadPlugin } from '@evalgraph/scoring';
import { reportError } from '../../shared/report-error';

/** Whether another task of this run waits on this one (a pipeline's cells), rather than the user asking for it. */
function isDependency(context: ExecutorContext): boolean {
  const self = `${context.projectName}:${context.targetName}`;
  return Object.entries(context.taskGraph?.dependencies ?? {}).some(([task, deps]) => task !== self && deps.some((edge) => edge.id === self));
}

/**
 * Downloads (or reads from the mirror) the pinned source, verifies sha256 and writes canonical JSONL. When the source
 * cannot be reached and the prepare only runs for a pipeline's cells, it records the error for those cells and
 * succeeds, so the pipeline's other datasets still run (its probe input keeps that outcome out of the cache).
 */
export default async function prepareExecutor(options: { dataset: string; sourceHere?: boolean }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const config = loadNamed(context.root, 'dataset', options.dataset);
    const normalizer = isFormatPlugin(config.format) ? loadPlugin(context.root, config.format, 'format').plugin.format : undefined;
    const manifest = await prepareDataset({ root: context.root, name: options.dataset, config, normalizer });
    console.log(`${options.dataset}: ${manifest.records} records (${manifest.split}) from ${manifest.fetched_from}, sha256 ${manifest.sha256.slice(0, 12)}`);
    return { success: true };
  } catch (e) {
    // With no probe among its inputs (the files were here when the graph was built: an Nx daemon's graph can be that
    // old), a success now would put "unavailable" in the cache under the hash the dataset has when its files are here.
    if (e instanceof SourceUnavailableError && options.sourceHere) {
      reportError(e);
      console.error(`${options.dataset}: its source files were here when Nx read the workspace and are gone now; this prepare fails rather than cache the dataset as unavailable. Run the command again (with the Nx daemon on, after \`npx nx reset\` if it still fails).`);
      return { success: false };
    }
    if (e instanceof SourceUnavailableError && isDependency(context)) {
      markUnavailable(context.root, options.dataset, e);
      console.warn(`${e.message}\n${options.dataset}: unavailable in this run — its cells fail with this error, the other datasets' cells run`);
      return { success: true };
    }
    // No prefix: @evalgraph/datasets already names the dataset (or its config file) in every error it throws.
    reportError(e);
    return { success: false };
  }
}
