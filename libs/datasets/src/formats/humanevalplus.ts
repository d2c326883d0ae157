import type { Normalizer } from './types';
import { evalPlusNormalizer } from './evalplus-normalizer';

/**
 * HumanEval+ (evalplus/humanevalplus_release HumanEvalPlus.jsonl.gz). `base_input_json` and
 * `plus_input_json` are the release's exact JSON text of the test inputs: parse them with Python's
 * json.loads (big ints, 1.0 vs 1 and Infinity survive only that way).
 */
export const humanevalplus: Normalizer = evalPlusNormalizer(['entry_point', 'test', 'canonical_solution', 'base_input_json', 'plus_input_json', 'atol', 'contract']);
