import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

/**
 * BoolQ (original release format: question, title, answer, passage). SuperGLUE's passage, which the
 * harness (super_glue/boolq/default.yaml) reads, is `title + " -- " + passage`; the prompt is
 * "{{passage}}\nQuestion: {{question}}?\nAnswer:" with choices ["no", "yes"].
 */
export const boolq: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const question = str(row, 'question', where);
    const title = str(row, 'title', where);
    const passage = str(row, 'passage', where);
    if (typeof row.answer !== 'boolean') throw new Error(`${where}: answer is not a boolean`);
    const context = `${title} -- ${passage}\nQuestion: ${question}?`;
    return {
      id: `boolq-${input.split}-${i}`,
      input: `${context}\nAnswer:`,
      choices: ['no', 'yes'],
      gold: row.answer ? 1 : 0,
      // metadata.question is what a letter-mode prompt shows: without the passage it is unanswerable.
      metadata: { question: context, boolq_question: question, title, passage, answer: row.answer },
    };
  });
  return { records };
};
