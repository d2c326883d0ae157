import type { ExecutorContext } from '@nx/devkit';
import { isBackendPlugin, isUserFacingError, loadNamed, resolvePipeline, storageLayout } from '@evalgraph/core';
import { storageMismatch } from '../../shared/nx-storage-env';
import { loadDatasetPlugins, loadPlugin, type LoadedPlugin } from '@evalgraph/scoring';
import { reportError } from '../../shared/report-error';

/**
 * Validates a pipeline, every config it references and every plugin those configs name (loaded and checked against
 * the plugin API); the cells depend on it, so bad input stops them all before any server starts.
 */
export default async function checkExecutor(options: { pipeline: string; broken?: boolean }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const resolved = resolvePipeline(context.root, options.pipeline);
    if (options.broken) {
      // Nx built this run's graph while a config was broken, so the tasks waiting on this one are placeholders.
      console.error(`pipeline ${options.pipeline}: its configs are valid now, but this run's graph was built while one was broken — run the command again`);
      return { success: false };
    }
    // Results, prepared data and adapters go where Nx's cache is: a run that would put them elsewhere than
    // configs/storage.yaml says stops here, before any server starts.
    const mismatch = storageMismatch(storageLayout(context.root));
    if (mismatch) {
      console.error(mismatch);
      return { success: false };
    }
    let pluginErrors = 0;
    const plugins = new Set<string>();
    const load = (where: string, f: () => LoadedPlugin[]) => {
      try {
        for (const p of f()) plugins.add(`${p.resolved.name}@${p.resolved.version}`);
      } catch (e) {
        if (!isUserFacingError(e)) throw e;
        pluginErrors++;
        reportError(e, where);
      }
    };
    for (const d of resolved.datasets) load(`dataset ${d}`, () => loadDatasetPlugins(context.root, loadNamed(context.root, 'dataset', d)));
    for (const b of new Set(resolved.variants.map((v) => v.backend).filter(isBackendPlugin))) load(`backend of pipeline ${options.pipeline}`, () => [loadPlugin(context.root, b, 'backend')]);
    if (pluginErrors) return { success: false };
    const withPlugins = plugins.size ? `, plugins ${[...plugins].sort().join(', ')} valid` : '';
    console.log(`pipeline ${options.pipeline}: ${resolved.variants.length} model variants × ${resolved.datasets.length} datasets = ${resolved.cells.length} cells, configs valid${withPlugins}`);
    return { success: true };
  } catch (e) {
    reportError(e);
    return { success: false };
  }
}
