import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CellError, fileDigest, type ResultFileDigest } from '@evalgraph/core';

/** One damaged cell: which file, what is wrong with it, and the command that rewrites it. */
export interface CellDamage {
  cell: string;
  resultsDir: string;
  problems: string[];
  fix: string;
}

/**
 * Cells whose result files are not the ones written with them (cut short, changed, missing). Every damaged cell
 * of the pipeline is listed with its own fix, so one run tells the user everything to re-run.
 */
export class DamagedCellsError extends CellError {
  constructor(readonly damaged: CellDamage[]) {
    const one = damaged.length === 1;
    super(
      one
        ? `damaged result files in ${damaged[0].resultsDir}, so nothing was compared or reported: ${damaged[0].problems.join('; ')}\n  fix: re-run it: ${damaged[0].fix}`
        : `damaged result files, so nothing was compared or reported:\n${damaged.map((d) => `  ${d.cell} (${d.resultsDir}): ${d.problems.join('; ')}\n    fix: re-run it: ${d.fix}`).join('\n')}`,
      one ? damaged[0].cell : `${damaged.length} cells`,
    );
    this.name = 'DamagedCellsError';
  }
}

const short = (sha: string) => sha.slice(0, 12);

/**
 * Problems of a cell folder against the digests its run.json recorded: a file missing, of another size or another
 * sha256. Empty when every recorded file is intact.
 */
export function resultFileProblems(dir: string, recorded: Record<string, ResultFileDigest>): string[] {
  const problems: string[] = [];
  for (const [name, want] of Object.entries(recorded)) {
    const file = join(dir, name);
    if (!existsSync(file)) {
      problems.push(`${name} is missing (run.json recorded ${want.bytes} bytes)`);
      continue;
    }
    const found = fileDigest(file);
    if (found.sha256 === want.sha256) continue;
    const size = found.bytes < want.bytes ? `cut short: ${found.bytes} of ${want.bytes} bytes` : found.bytes > want.bytes ? `${found.bytes} bytes where ${want.bytes} were written` : `same size, other content`;
    problems.push(`${name} is not the file written with the cell (${size}; sha256 ${short(found.sha256)}… where run.json recorded ${short(want.sha256)}…)`);
  }
  return problems;
}
