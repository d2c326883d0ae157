import type { ResolvedCell } from '@evalgraph/core';
import { projectName } from '../nodes/project-names';

/** The command that recomputes one cell instead of restoring it: the fix for a damaged cell or cache entry. */
export function cellRerunCommand(cell: ResolvedCell): string {
  return `npx nx run ${projectName.cell(cell.pipeline, cell.variant, cell.dataset)}:evaluate --skip-nx-cache`;
}
