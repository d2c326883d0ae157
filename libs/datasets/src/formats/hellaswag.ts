import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';
import { pyCapitalize, pyStrip } from './python-text';

/** The harness's hellaswag/utils.py `preprocess` (WikiHow bracket artifacts removed). */
export function hellaswagPreprocess(text: string): string {
  let t = pyStrip(text);
  t = t.replaceAll(' [title]', '. ');
  // Python's "." does not match "\n" only; JS's also skips \r and \u2028/9, so spell it out.
  t = t.replace(/\[[^\n]*?\]/g, '');
  return t.replaceAll('  ', ' ');
}

/** HellaSwag (rowanz/hellaswag data/hellaswag_val.jsonl), as the harness's hellaswag.yaml process_docs. */
export const hellaswag: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const activity = str(row, 'activity_label', where);
    const ctxA = str(row, 'ctx_a', where);
    const ctxB = str(row, 'ctx_b', where);
    const endings = row.endings;
    if (!Array.isArray(endings) || !endings.every((e) => typeof e === 'string')) throw new Error(`${where}: endings is not a list of strings`);
    const label = Number(row.label);
    if (!Number.isInteger(label) || label < 0 || label >= endings.length) throw new Error(`${where}: label ${JSON.stringify(row.label)} is not an index of endings`);
    return {
      id: row.ind !== undefined ? String(row.ind) : `hellaswag-${input.split}-${i}`,
      input: hellaswagPreprocess(`${activity}: ${ctxA} ${pyCapitalize(ctxB)}`),
      choices: (endings as string[]).map(hellaswagPreprocess),
      gold: label,
      metadata: { activity_label: activity, ctx_a: ctxA, ctx_b: ctxB, ctx: row.ctx, endings, source_id: row.source_id, split_type: row.split_type, label },
    };
  });
  return { records };
};
