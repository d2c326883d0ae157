import type { ExecutorContext } from '@nx/devkit';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { resolvePipeline } from '@evalgraph/core';
import { formatGates, nextHistory, publishDecision, publishReport, readPublished, readSummary, updateTracker, withHistory } from '@evalgraph/report';
import { reportError } from '../../shared/report-error';
import { pipelinePaths } from '../../shared/pipeline-paths';

/**
 * Applies the pipeline's gates to the candidate report. Passing publishes it atomically into results/<pipeline>/
 * (the previous one is kept for `report-rollback`) and rewrites the tracker; failing exits non-zero and leaves the
 * published report byte for byte as it was.
 */
export default async function readinessExecutor(options: { pipeline: string }, context: ExecutorContext): Promise<{ success: boolean }> {
  try {
    const root = context.root;
    const paths = pipelinePaths(root, options.pipeline);
    const summary = readSummary(join(paths.candidate, 'summary.json'));
    for (const line of formatGates(summary.readiness.gates)) console.log(line);
    const decision = publishDecision(summary);
    if (!decision.ready) {
      console.error(`${options.pipeline}: not ready — ${decision.reason}. The published report was left as it was.`);
      return { success: false };
    }
    const files = Object.fromEntries(readdirSync(paths.candidate).map((f) => [f, readFileSync(join(paths.candidate, f))]));
    // Only publishing knows what was published before: the history goes into the published files, not the candidate.
    const previous = readPublished(paths.dir);
    const history = nextHistory(previous.history, previous.summary, summary, new Date().toISOString());
    const result = publishReport(paths.dir, withHistory(files, history), { ready: true });
    console.log(`published ${result.files.join(', ')} in results/${options.pipeline}/`);
    const tracker = resolvePipeline(root, options.pipeline).config.tracker;
    if (tracker && updateTracker(resolve(root, tracker), summary)) console.log(`tracker ${tracker} updated`);
    return { success: true };
  } catch (e) {
    reportError(e, `pipeline ${options.pipeline}`);
    return { success: false };
  }
}
