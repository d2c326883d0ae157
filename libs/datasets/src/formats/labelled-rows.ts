import type { NormalizeInput } from './types';
import { assertSameLength, fileByRole, jsonLines, labelLines } from './source-text';

/** One record of a data file with its line of the parallel labels file. */
export interface LabelledRow {
  row: Record<string, unknown>;
  label: string;
  /** `<data file>:<record number>`, for errors. */
  where: string;
}

/** Pairs the records of the "data" JSONL file with the lines of the "labels" file (`*.lst`); their counts must match. */
export function labelledRows(input: NormalizeInput): LabelledRow[] {
  const file = fileByRole(input, 'data');
  const rows = jsonLines(file);
  const labels = labelLines(fileByRole(input, 'labels'));
  assertSameLength(rows, labels, file.path);
  return rows.map((row, i) => ({ row, label: labels[i], where: `${file.path}:${i + 1}` }));
}
