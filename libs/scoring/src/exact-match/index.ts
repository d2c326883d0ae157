export { exactMatchScorer, ExactMatchScorerOptions } from './exact-match-scorer';
export { numericScorer, lastNumber, parseNumber, numericEqual } from './numeric-scorer';
export { exactMatch, exactMatchNormalize, type ExactMatchOptions } from './hf-exact-match';
export { regexFilter, INVALID } from './regex-filter';
export { pyRegex, pyFindall, pySub, pyStrip, pyLstrip, pyRstrip, UnsupportedPatternError, type PyRegexFlags } from './python-regex';
export { scoreGenerations, failedSampleResult, generationOutcome, aggregateScores, scoredText, resolveStripThinking, type AnswerCheck, type GenerativeCheck } from './generative-results';
export { InvalidRecordError, requireTarget } from './record-errors';
export { parseScorerOptions } from './scorer-options';
export { simplePromptTurns } from './simple-prompt';
