import type { Normalizer } from './types';
import { fileByRole, str } from './source-text';
import { evalPlusRows } from './evalplus-row';

/**
 * MBPP+ (evalplus/mbppplus_release MbppPlus.jsonl.gz, v0.2.0: 378 tasks). Test inputs are kept as
 * exact JSON text in `base_input_json` / `plus_input_json` (see humanevalplus).
 */
export const mbppplus: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = evalPlusRows(file).map(({ fields: row, rawInputs }, i) => {
    const where = `${file.path} record ${i}`;
    return {
      id: str(row, 'task_id', where),
      input: str(row, 'prompt', where),
      metadata: {
        entry_point: str(row, 'entry_point', where),
        canonical_solution: str(row, 'canonical_solution', where),
        base_input_json: rawInputs.base_input,
        plus_input_json: rawInputs.plus_input,
        atol: row.atol,
        assertion: str(row, 'assertion', where),
        contract: str(row, 'contract', where),
      },
    };
  });
  return { records };
};
