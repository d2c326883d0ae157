import type { ExecutorContext } from '@nx/devkit';
import { loadNamed } from '@evalgraph/core';
import { prepareTrainData } from '@evalgraph/datasets';
import { reportError } from '../../shared/report-error';
import { noteExecution } from '../../shared/exec-log';

/** Builds a fine-tuning set from its pinned train splits and drops what overlaps an evaluation set. */
export default async function prepareTrainDataExecutor(options: { trainData: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const config = loadNamed(context.root, 'train-data', options.trainData);
    const { manifest, contamination } = await prepareTrainData({ root: context.root, name: options.trainData, config });
    for (const s of manifest.sources) {
      const d = s.dropped;
      console.log(`${options.trainData}/${s.name}: ${s.kept} of ${s.read} examples kept (${d.filtered} filtered, ${d.duplicate} duplicates, ${d.contaminated} contaminated, ${d.over_limit} over the limit)`);
    }
    const hits = contamination.datasets.filter((d) => d.overlapping_examples > 0);
    console.log(
      `${options.trainData}: ${manifest.examples} examples, sha256 ${manifest.sha256.slice(0, 12)}; ${contamination.ngram}-gram check against ${contamination.datasets.length} evaluation sets dropped ${contamination.dropped}` +
        (hits.length ? ` (${hits.map((d) => `${d.dataset} ${d.overlapping_examples}`).join(', ')}); see .evalgraph/train-data/${options.trainData}/contamination.json` : ''),
    );
    noteExecution(`train-data-${options.trainData}`);
    return { success: true };
  } catch (e) {
    reportError(e);
    return { success: false };
  }
}
