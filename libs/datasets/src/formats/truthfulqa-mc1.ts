import type { Normalizer } from './types';
import { truthfulqaRecords } from './truthfulqa-common';

/** TruthfulQA MC1 (data/v1/mc_task.json): one correct answer, listed first (harness doc_to_target 0). */
export const truthfulqaMc1: Normalizer = (input) => ({ records: truthfulqaRecords(input, 'mc1_targets') });
