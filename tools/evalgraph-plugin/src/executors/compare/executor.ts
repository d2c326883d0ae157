import type { ExecutorContext } from '@nx/devkit';
import { loadNamed, resolvePipeline, writeFileAtomic } from '@evalgraph/core';
import { loadCells, readBaselineSummary } from '@evalgraph/analysis';
import { buildSummary, readGitState } from '@evalgraph/report';
import { resolve } from 'node:path';
import { cellRerunCommand } from '../../shared/cell-rerun';
import { reportError } from '../../shared/report-error';
import { pipelinePaths } from '../../shared/pipeline-paths';

/** Builds the pipeline's summary: every cell's metrics, comparisons (matrix, scaling, modes, baseline), readiness. */
export default async function compareExecutor(options: { pipeline: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const root = context.root;
    const pipeline = resolvePipeline(root, options.pipeline);
    const loaded = loadCells(root, pipeline, { rerunCommand: cellRerunCommand });
    for (const line of loaded.unverified) console.warn(`warning: ${line}; re-run the cell to record them`);
    const baselineRef = pipeline.config.comparisons.find((c) => c.kind === 'baseline');
    const baseline = baselineRef && baselineRef.kind === 'baseline' ? readBaselineSummary(resolve(root, baselineRef.summary)) : null;
    const summary = buildSummary({ pipeline, loaded, gpu: loadNamed(root, 'gpu', pipeline.config.gpu), baseline, git: readGitState(root) });
    const out = pipelinePaths(root, options.pipeline).summary;
    writeFileAtomic(out, JSON.stringify(summary, null, 2) + '\n');
    console.log(`${options.pipeline}: ${summary.cells.length} cells compared${summary.missing_cells.length ? `, ${summary.missing_cells.length} missing` : ''} → ${out}`);
    for (const p of summary.comparisons.problems) console.warn(`warning: ${p}`);
    return { success: true };
  } catch (e) {
    reportError(e, `pipeline ${options.pipeline}`);
    return { success: false };
  }
}
