import type { Normalizer } from './types';
import { evalPlusNormalizer } from './evalplus-normalizer';

/**
 * MBPP+ (evalplus/mbppplus_release MbppPlus.jsonl.gz, v0.2.0: 378 tasks). Test inputs are kept as
 * exact JSON text in `base_input_json` / `plus_input_json` (see humanevalplus).
 */
export const mbppplus: Normalizer = evalPlusNormalizer(['entry_point', 'canonical_solution', 'base_input_json', 'plus_input_json', 'atol', 'assertion', 'contract']);
