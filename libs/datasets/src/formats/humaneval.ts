import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

/** HumanEval (openai/human-eval HumanEval.jsonl.gz: task_id, prompt, entry_point, canonical_solution, test). */
export const humaneval: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    return {
      id: str(row, 'task_id', where),
      input: str(row, 'prompt', where),
      metadata: { entry_point: str(row, 'entry_point', where), test: str(row, 'test', where), canonical_solution: str(row, 'canonical_solution', where) },
    };
  });
  return { records };
};
