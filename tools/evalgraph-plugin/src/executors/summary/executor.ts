import type { ExecutorContext } from '@nx/devkit';
import { join } from 'node:path';
import { loadNamed, writeFileAtomic } from '@evalgraph/core';
import { summarizeDataset } from '@evalgraph/datasets';
import { reportError } from '../../shared/report-error';

/** Prints and writes the dataset summary to results/datasets/<name>/. */
export default async function summaryExecutor(options: { dataset: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const config = loadNamed(context.root, 'dataset', options.dataset);
    const summary = summarizeDataset(context.root, options.dataset, config);
    const dir = join(context.root, 'results', 'datasets', options.dataset);
    writeFileAtomic(join(dir, 'summary.json'), JSON.stringify(summary.data, null, 2) + '\n');
    writeFileAtomic(join(dir, 'summary.md'), summary.markdown);
    console.log(summary.markdown);
    return { success: true };
  } catch (e) {
    // No prefix: @evalgraph/datasets already names the dataset (or its config file) in every error it throws.
    reportError(e);
    return { success: false };
  }
}
