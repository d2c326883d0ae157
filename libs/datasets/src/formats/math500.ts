import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

/** MATH-500 (openai/prm800k math_splits/test.jsonl: problem, solution, answer, subject, level, unique_id). */
export const math500: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    return {
      id: str(row, 'unique_id', where),
      input: str(row, 'problem', where),
      target: str(row, 'answer', where),
      metadata: { solution: str(row, 'solution', where), subject: str(row, 'subject', where), level: row.level, unique_id: row.unique_id },
    };
  });
  return { records };
};
