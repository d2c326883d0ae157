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

/**
 * MMLU (hendrycks CSVs `question,A,B,C,D,answer`, no header, one file per subject, all with role
 * data), as the harness's mmlu/default/_default_template_yaml. The subject description goes to
 * metadata.description: the harness adds it in front of the prompt, not inside doc_to_text.
 */
export const mmlu: Normalizer = (input) => {
  const files = input.files.filter((f) => f.role === 'data');
  if (files.length === 0) throw new Error(`dataset ${input.dataset}: no source file with role "data"`);
  const records: DatasetRecord[] = [];
  for (const file of files) {
    const subject = mmluSubject(file.path);
    parseCsv(file.text, file.path).forEach((row, i) => {
      const where = `${file.path} row ${i + 1}`;
      if (row.length !== 6) throw new Error(`${where}: ${row.length} fields, expected 6 (question,A,B,C,D,answer)`);
      const [question, a, b, c, d, answer] = row;
      const gold = LETTERS.indexOf(pyStrip(answer));
      if (gold < 0) throw new Error(`${where}: answer ${JSON.stringify(answer)} is not A-D`);
      const options = [a, b, c, d];
      records.push({
        id: `${subject}-${i}`,
        input: `${pyStrip(question)}\nA. ${a}\nB. ${b}\nC. ${c}\nD. ${d}\nAnswer:`,
        choices: [...LETTERS],
        gold,
        metadata: { subject, question, options, answer: LETTERS[gold], description: mmluDescription(subject) },
      });
    });
  }
  return { records };
};
