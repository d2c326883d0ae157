import type { Normalizer } from './types';
import { fileByRole, jsonLines } from './source-text';
import { pyStrip } from './python-text';

interface CsqaRow {
  id: string;
  answerKey: string;
  question: { question_concept: string; stem: string; choices: { label: string; text: string }[] };
}

const LETTERS = ['A', 'B', 'C', 'D', 'E'];

/**
 * CommonsenseQA (dev_rand_split.jsonl), as the harness's commonsense_qa/default.yaml: the question and
 * the five lettered options in the prompt, choices the letters A–E.
 */
export const commonsenseqa: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines<CsqaRow>(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const labels = row.question.choices.map((c) => c.label);
    if (labels.join('') !== LETTERS.join('')) throw new Error(`${where}: choice labels ${labels.join(',')} are not A-E in order`);
    const texts = row.question.choices.map((c) => c.text);
    const gold = LETTERS.indexOf(row.answerKey);
    if (gold < 0) throw new Error(`${where}: answerKey ${JSON.stringify(row.answerKey)} is not A-E`);
    const stem = row.question.stem;
    const options = texts.map((t, k) => `\n${LETTERS[k]}. ${t}`).join('');
    return {
      id: row.id,
      input: `Question: ${pyStrip(stem)}${options}\nAnswer:`,
      choices: [...LETTERS],
      gold,
      metadata: { question: stem, question_concept: row.question.question_concept, options: texts, choice_labels: labels, answerKey: row.answerKey },
    };
  });
  return { records };
};
