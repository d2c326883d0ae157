import { join } from 'node:path';

/** Where a pipeline's comparison, candidate report and published report live. */
export function pipelinePaths(root: string, pipeline: string) {
  const dir = join(root, 'results', pipeline);
  return {
    dir,
    summary: join(dir, 'compare', 'summary.json'),
    candidate: join(dir, 'candidate'),
  };
}
