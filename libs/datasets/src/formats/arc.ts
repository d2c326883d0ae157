import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

interface ArcRow {
  id: string;
  question: { stem: string; choices: { label: string; text: string }[] };
  answerKey: string;
}

/**
 * ARC (AI2 jsonl: {id, question: {stem, choices: [{label, text}]}, answerKey}), as lm-evaluation-harness
 * arc_easy.yaml: "Question: {{question}}\nAnswer:", choices = the texts, gold = label index of answerKey
 * (labels may be "1".."4"). The option labels are kept as metadata.choice_labels: metadata.labels means
 * 0/1 truth per choice (TruthfulQA MC2) to the multiple-choice scorer.
 */
export const arc: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines<ArcRow>(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const stem = str(row.question as unknown as Record<string, unknown>, 'stem', where);
    const labels = row.question.choices.map((c) => c.label);
    const gold = labels.indexOf(row.answerKey);
    if (gold < 0) throw new Error(`${where}: answerKey ${JSON.stringify(row.answerKey)} is not one of ${labels.join(', ')}`);
    return {
      id: row.id,
      input: `Question: ${stem}\nAnswer:`,
      choices: row.question.choices.map((c) => c.text),
      gold,
      metadata: { question: stem, choice_labels: labels, answerKey: row.answerKey },
    };
  });
  return { records };
};
