import type { ExecutorContext } from '@nx/devkit';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { resolvePipeline } from '@evalgraph/core';
import { loadCells } from '@evalgraph/analysis';
import { formatGates, readSummary, renderReportFiles, samplesByCell } from '@evalgraph/report';
import { cellRerunCommand } from '../../shared/cell-rerun';
import { reportError } from '../../shared/report-error';
import { pipelinePaths } from '../../shared/pipeline-paths';

/** Renders report.md, report.html and summary.json into results/<pipeline>/candidate (published by `readiness`). */
export default async function reportExecutor(options: { pipeline: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const root = context.root;
    const paths = pipelinePaths(root, options.pipeline);
    const summary = readSummary(paths.summary);
    const loaded = loadCells(root, resolvePipeline(root, options.pipeline), { rerunCommand: cellRerunCommand });
    const files = await renderReportFiles(summary, samplesByCell(loaded));
    rmSync(paths.candidate, { recursive: true, force: true });
    mkdirSync(paths.candidate, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(paths.candidate, name), text);
    if (summary.dummy) console.log('DUMMY BACKEND: these numbers come from the in-process dummy, not from a model.');
    console.log(`report: ${relative(root, join(paths.candidate, 'report.html'))} and report.md (${summary.cells.length} cells)`);
    for (const line of formatGates(summary.readiness.gates)) console.log(`  ${line}`);
    console.log(`publish with: npx nx run pipeline-${options.pipeline}:readiness`);
    return { success: true };
  } catch (e) {
    reportError(e, `pipeline ${options.pipeline}`);
    return { success: false };
  }
}
