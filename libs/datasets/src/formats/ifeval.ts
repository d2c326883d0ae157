import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

/** IFEval (google-research instruction_following_eval/data/input_data.jsonl: key, prompt, instruction_id_list, kwargs). */
export const ifeval: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = jsonLines(file).map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    if (typeof row.key !== 'number' && typeof row.key !== 'string') throw new Error(`${where}: key missing`);
    return { id: String(row.key), input: str(row, 'prompt', where), metadata: { instruction_id_list: row.instruction_id_list, kwargs: row.kwargs } };
  });
  return { records };
};
