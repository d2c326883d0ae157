import type { Normalizer } from './types';
import { fileByRole, str } from './source-text';
import { evalPlusRows } from './evalplus-row';

/**
 * HumanEval+ (evalplus/humanevalplus_release HumanEvalPlus.jsonl.gz). `base_input_json` and
 * `plus_input_json` are the release's exact JSON text of the test inputs: parse them with Python's
 * json.loads (big ints, 1.0 vs 1 and Infinity survive only that way).
 */
export const humanevalplus: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const records = evalPlusRows(file).map(({ fields: row, rawInputs }, i) => {
    const where = `${file.path} record ${i}`;
    return {
      id: str(row, 'task_id', where),
      input: str(row, 'prompt', where),
      metadata: {
        entry_point: str(row, 'entry_point', where),
        test: str(row, 'test', where),
        canonical_solution: str(row, 'canonical_solution', where),
        base_input_json: rawInputs.base_input,
        plus_input_json: rawInputs.plus_input,
        atol: row.atol,
        contract: str(row, 'contract', where),
      },
    };
  });
  return { records };
};
