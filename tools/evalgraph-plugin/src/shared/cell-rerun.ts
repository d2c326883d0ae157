import type { ResolvedCell } from '@evalgraph/core';
import { projectName } from '../nodes/project-names';

/**
 * The commands that recompute one damaged cell and its cache entry. `--skip-nx-cache` alone would not do: nx 23
 * neither reads nor writes the cache on such a run, so the damaged entry would be restored again next time.
 * Removing the damaged entries first makes the cell a cache miss, which Nx runs and stores whole.
 */
export function cellRerunCommand(cell: ResolvedCell): string {
  return `npx evalgraph cache prune --damaged && npx nx run ${projectName.cell(cell.pipeline, cell.variant, cell.dataset)}:evaluate`;
}
