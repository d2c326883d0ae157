import type { Normalizer } from './types';
import { str } from './source-text';
import { labelledRows } from './labelled-rows';

/** PIQA (valid.jsonl + valid-labels.lst), as the harness's piqa.yaml: "Question: {{goal}}\nAnswer:", choices [sol1, sol2]. */
export const piqa: Normalizer = (input) => {
  const records = labelledRows(input).map(({ row, label: raw, where }, i) => {
    const goal = str(row, 'goal', where);
    const sol1 = str(row, 'sol1', where);
    const sol2 = str(row, 'sol2', where);
    if (raw !== '0' && raw !== '1') throw new Error(`${where}: label ${JSON.stringify(raw)} is not 0 or 1`);
    const label = Number(raw);
    return { id: `piqa-${input.split}-${i}`, input: `Question: ${goal}\nAnswer:`, choices: [sol1, sol2], gold: label, metadata: { goal, sol1, sol2, label } };
  });
  return { records };
};
