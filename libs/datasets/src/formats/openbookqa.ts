import type { Normalizer } from './types';
import { fileByRole, jsonLines } from './source-text';
import { pyLstrip } from './python-text';

interface ObqaRow {
  id: string;
  answerKey: string;
  question: { stem: string; choices: { label: string; text: string }[] };
}

/** OpenBookQA (Main/test.jsonl), as the harness's openbookqa.yaml: the bare question stem, choices the option texts. */
export const openbookqa: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines<ObqaRow>(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const labels = row.question.choices.map((c) => c.label);
    const gold = labels.indexOf(pyLstrip(row.answerKey));
    if (gold < 0) throw new Error(`${where}: answerKey ${JSON.stringify(row.answerKey)} is not one of ${labels.join(', ')}`);
    return {
      id: row.id,
      input: row.question.stem,
      choices: row.question.choices.map((c) => c.text),
      gold,
      metadata: { question: row.question.stem, choice_labels: labels, answerKey: row.answerKey },
    };
  });
  return { records };
};
