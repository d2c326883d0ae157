import type { Normalizer } from './types';
import { truthfulqaRecords } from './truthfulqa-common';

/**
 * TruthfulQA MC2 (data/v1/mc_task.json): several correct answers; metadata.labels (0/1 per choice) is
 * what the score uses (normalized probability mass on the true answers); gold is the first correct one.
 */
export const truthfulqaMc2: Normalizer = (input) => ({ records: truthfulqaRecords(input, 'mc2_targets') });
