import type { ScorerName } from '@evalgraph/core';
import type { Scorer } from './types';
import { exactMatchScorer, numericScorer } from './exact-match';
import { gsm8kScorer } from './gsm8k';
import { mathScorer } from './math';
import { humanevalScorer, mbppScorer, evalplusScorer } from './code';
import { multipleChoiceScorer } from './multiple-choice';
import { ifevalScorer } from './ifeval';
import { mtBenchScorer } from './mt-bench';

const SCORERS: Record<ScorerName, Scorer> = {
  'exact-match': exactMatchScorer,
  numeric: numericScorer,
  gsm8k: gsm8kScorer,
  math: mathScorer,
  'code-humaneval': humanevalScorer,
  'code-mbpp': mbppScorer,
  'code-evalplus': evalplusScorer,
  'multiple-choice': multipleChoiceScorer,
  ifeval: ifevalScorer,
  'mt-bench': mtBenchScorer,
};

/** The scorer a dataset config names. */
export function getScorer(name: ScorerName): Scorer {
  return SCORERS[name];
}
