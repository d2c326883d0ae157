import type { Normalizer } from './types';
import { fileByRole, str } from './source-text';
import { evalPlusRows, type EvalPlusRow } from './evalplus-row';

/** How each metadata field of an EvalPlus record is read from its release row. */
const FIELDS = {
  entry_point: (row: EvalPlusRow, where: string) => str(row.fields, 'entry_point', where),
  test: (row: EvalPlusRow, where: string) => str(row.fields, 'test', where),
  canonical_solution: (row: EvalPlusRow, where: string) => str(row.fields, 'canonical_solution', where),
  base_input_json: (row: EvalPlusRow) => row.rawInputs.base_input,
  plus_input_json: (row: EvalPlusRow) => row.rawInputs.plus_input,
  atol: (row: EvalPlusRow) => row.fields.atol,
  assertion: (row: EvalPlusRow, where: string) => str(row.fields, 'assertion', where),
  contract: (row: EvalPlusRow, where: string) => str(row.fields, 'contract', where),
} satisfies Record<string, (row: EvalPlusRow, where: string) => unknown>;

/** A metadata field an EvalPlus normalizer can keep. */
export type EvalPlusField = keyof typeof FIELDS;

/**
 * A normalizer for an EvalPlus release file (HumanEval+, MBPP+): id and prompt from task_id and prompt,
 * then `metadata` in the order given, since that order is the order of the bytes in data.jsonl.
 */
export function evalPlusNormalizer(metadata: readonly EvalPlusField[]): Normalizer {
  return (input) => {
    const file = fileByRole(input, 'data');
    const records = evalPlusRows(file).map((row, i) => {
      const where = `${file.path} record ${i}`;
      return {
        id: str(row.fields, 'task_id', where),
        input: str(row.fields, 'prompt', where),
        metadata: Object.fromEntries(metadata.map((field) => [field, FIELDS[field](row, where)])),
      };
    });
    return { records };
  };
}
