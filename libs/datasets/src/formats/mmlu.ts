import type { DatasetRecord } from '@evalgraph/core';
import type { Normalizer } from './types';
import { parseCsv } from './csv';
import { pyStrip } from './python-text';

const LETTERS = ['A', 'B', 'C', 'D'];

/** The subject of an MMLU file path such as data/test/abstract_algebra_test.csv. */
export function mmluSubject(path: string): string {
  const m = /([a-z_]+)_(test|dev|val)\.csv$/.exec(path);
  if (!m) throw new Error(`${path}: not an MMLU subject file (<subject>_test.csv)`);
  return m[1];
}

/** The harness's per-subject description, which it puts before the (few-shot) prompt. */
export function mmluDescription(subject: string): string {
  return `The following are multiple choice questions (with answers) about ${subject.split('_').join(' ')}.\n\n`;
}

/** One CSV file's rows as records; dev ids carry "-dev-" so they never collide with test ids. */
function subjectRecords(file: { path: string; text: string }, idPrefix: (subject: string) => string): DatasetRecord[] {
  const subject = mmluSubject(file.path);
  return parseCsv(file.text, file.path).map((row, i) => {
    const where = `${file.path} row ${i + 1}`;
    if (row.length !== 6) throw new Error(`${where}: ${row.length} fields, expected 6 (question,A,B,C,D,answer)`);
    const [question, a, b, c, d, answer] = row;
    const gold = LETTERS.indexOf(pyStrip(answer));
    if (gold < 0) throw new Error(`${where}: answer ${JSON.stringify(answer)} is not A-D`);
    return {
      id: `${idPrefix(subject)}${i}`,
      input: `${pyStrip(question)}\nA. ${a}\nB. ${b}\nC. ${c}\nD. ${d}\nAnswer:`,
      choices: [...LETTERS],
      gold,
      // fewshot_group: the harness runs each subject as its own task, so few-shot examples come from the same subject.
      metadata: { subject, question, options: [a, b, c, d], answer: LETTERS[gold], description: mmluDescription(subject), fewshot_group: subject },
    };
  });
}

/**
 * MMLU (hendrycks CSVs `question,A,B,C,D,answer`, no header, one file per subject), as the harness's
 * mmlu/default/_default_template_yaml: files with role data are the test split, files with role fewshot the
 * dev split (its fewshot_split, sampler first_n, so the pool keeps file order). The subject description goes to
 * metadata.description: the harness puts it in front of the few-shot examples, not inside doc_to_text.
 */
export const mmlu: Normalizer = (input) => {
  const files = input.files.filter((f) => f.role === 'data');
  if (files.length === 0) throw new Error(`dataset ${input.dataset}: no source file with role "data"`);
  const records = files.flatMap((f) => subjectRecords(f, (subject) => `${subject}-`));
  const dev = input.files.filter((f) => f.role === 'fewshot');
  if (dev.length === 0) return { records };
  const withDev = new Set(dev.map((f) => mmluSubject(f.path)));
  const missing = [...new Set(records.map((r) => r.metadata.subject as string))].filter((s) => !withDev.has(s));
  if (missing.length > 0) throw new Error(`dataset ${input.dataset}: no few-shot (dev) file for ${missing.join(', ')}; add <subject>_dev.csv with role fewshot`);
  return { records, aux: { fewshot: dev.flatMap((f) => subjectRecords(f, (subject) => `${subject}-dev-`)) } };
};
