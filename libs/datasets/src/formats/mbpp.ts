import type { DatasetRecord } from '@evalgraph/core';
import type { Normalizer } from './types';
import { fileByRole, jsonLines, str } from './source-text';

/** The MBPP test split: task_ids 11–510 of the full file (Austin et al., 2021). */
export const MBPP_TEST_IDS = { first: 11, last: 510 } as const;
/** The three prompt examples of the standard MBPP 3-shot prompt (lm-evaluation-harness mbpp/utils.py). */
export const MBPP_FEWSHOT_IDS = [2, 3, 4] as const;

function mbppRecord(row: Record<string, unknown>, where: string): DatasetRecord {
  const taskId = row.task_id;
  if (typeof taskId !== 'number') throw new Error(`${where}: task_id is not a number`);
  return {
    id: String(taskId),
    input: str(row, 'text', where),
    metadata: {
      task_id: taskId,
      test_list: row.test_list,
      test_setup_code: str(row, 'test_setup_code', where),
      challenge_test_list: row.challenge_test_list,
      code: str(row, 'code', where),
    },
  };
}

/** MBPP (google-research mbpp/mbpp.jsonl, full file): the 500 test tasks, and the 3-shot pool as `fewshot`. */
export const mbpp: Normalizer = (input) => {
  const file = fileByRole(input, 'data');
  const rows = jsonLines(file).map((row, i) => ({ row, where: `${file.path}:${i + 1}` }));
  const byId = (id: number) => rows.find((r) => r.row.task_id === id);
  const records = rows
    .filter(({ row }) => typeof row.task_id === 'number' && row.task_id >= MBPP_TEST_IDS.first && row.task_id <= MBPP_TEST_IDS.last)
    .map(({ row, where }) => mbppRecord(row, where));
  const fewshot = MBPP_FEWSHOT_IDS.map((id) => {
    const found = byId(id);
    if (!found) throw new Error(`${file.path}: few-shot task_id ${id} not found`);
    return mbppRecord(found.row, found.where);
  });
  return { records, aux: { fewshot } };
};
