import type { ExecutorContext } from '@nx/devkit';
import { isFormatPlugin, loadNamed } from '@evalgraph/core';
import { prepareDataset } from '@evalgraph/datasets';
import { loadPlugin } from '@evalgraph/scoring';
import { reportError } from '../../shared/report-error';

/** Downloads (or reads from the mirror) the pinned source, verifies sha256 and writes canonical JSONL. */
export default async function prepareExecutor(options: { dataset: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const config = loadNamed(context.root, 'dataset', options.dataset);
    const normalizer = isFormatPlugin(config.format) ? loadPlugin(context.root, config.format, 'format').plugin.format : undefined;
    const manifest = await prepareDataset({ root: context.root, name: options.dataset, config, normalizer });
    console.log(`${options.dataset}: ${manifest.records} records (${manifest.split}) from ${manifest.fetched_from}, sha256 ${manifest.sha256.slice(0, 12)}`);
    return { success: true };
  } catch (e) {
    // No prefix: @evalgraph/datasets already names the dataset (or its config file) in every error it throws.
    reportError(e);
    return { success: false };
  }
}
