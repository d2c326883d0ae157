/** FastChat common.py one_score_pattern and one_score_pattern_backup. */
export const ONE_SCORE_PATTERN = /\[\[(\d+\.?\d*)\]\]/;
export const ONE_SCORE_PATTERN_BACKUP = /\[(\d+\.?\d*)\]/;

/**
 * The rating in a judge's output, as run_judge_single reads it: the first `[[x]]`, else the first
 * `[x]`, evaluated as a Python literal; -1 when there is none. A number Python's literal_eval
 * rejects (an integer with a leading zero such as "07") is also -1 (FastChat would raise).
 */
export function parseRating(judgment: string): number {
  const m = ONE_SCORE_PATTERN.exec(judgment) ?? ONE_SCORE_PATTERN_BACKUP.exec(judgment);
  if (!m) return -1;
  const s = m[1];
  if (/^0*[1-9]\d*$/.test(s) && s.startsWith('0')) return -1;
  return Number(s);
}
