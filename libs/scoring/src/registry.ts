import type { ScorerName } from '@evalgraph/core';
import type { Scorer } from './types';

// Loaded lazily: a gsm8k cell should not load the sandbox or IFEval code.
const LOADERS: Record<ScorerName, () => Scorer> = {
  'exact-match': () => require('./exact-match').exactMatchScorer,
  numeric: () => require('./exact-match').numericScorer,
  gsm8k: () => require('./gsm8k').gsm8kScorer,
  math: () => require('./math').mathScorer,
  'code-humaneval': () => require('./code').humanevalScorer,
  'code-mbpp': () => require('./code').mbppScorer,
  'code-evalplus': () => require('./code').evalplusScorer,
  'multiple-choice': () => require('./multiple-choice').multipleChoiceScorer,
  ifeval: () => require('./ifeval').ifevalScorer,
  'mt-bench': () => require('./mt-bench').mtBenchScorer,
};

/** The scorer a dataset config names. */
export function getScorer(name: ScorerName): Scorer {
  const scorer = LOADERS[name]();
  if (!scorer) throw new Error(`scorer "${name}" is registered but its module exports nothing under the expected name`);
  return scorer;
}
