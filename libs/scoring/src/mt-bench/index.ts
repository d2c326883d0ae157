export { mtBenchScorer, toQuestion, judgeMessages, type MtBenchQuestion } from './mt-bench-scorer';
export { parseRating, ONE_SCORE_PATTERN, ONE_SCORE_PATTERN_BACKUP } from './rating';
export { singleJudges, pyFormat, JudgePrompt, NEED_REF_CATS, type SingleJudges } from './judge-prompts';
