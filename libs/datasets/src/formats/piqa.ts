import type { Normalizer } from './types';
import { assertSameLength, fileByRole, jsonLines, labelLines, str } from './source-text';

/** PIQA (valid.jsonl + valid-labels.lst), as the harness's piqa.yaml: "Question: {{goal}}\nAnswer:", choices [sol1, sol2]. */
export const piqa: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const rows = jsonLines(file);
  const labels = labelLines(fileByRole(input, 'labels'));
  assertSameLength(rows, labels, file.path);
  const records = rows.map((row, i) => {
    const where = `${file.path}:${i + 1}`;
    const goal = str(row, 'goal', where);
    const sol1 = str(row, 'sol1', where);
    const sol2 = str(row, 'sol2', where);
    if (labels[i] !== '0' && labels[i] !== '1') throw new Error(`${where}: label ${JSON.stringify(labels[i])} is not 0 or 1`);
    const label = Number(labels[i]);
    return { id: `piqa-${input.split}-${i}`, input: `Question: ${goal}\nAnswer:`, choices: [sol1, sol2], gold: label, metadata: { goal, sol1, sol2, label } };
  });
  return { records };
};
