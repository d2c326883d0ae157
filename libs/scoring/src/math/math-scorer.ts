import { ConfigError } from '@evalgraph/core';
import { aggregateScores, requireTarget, scoreGenerations } from '../exact-match';
import { buildGenerationRequests, buildQaTurns } from '../prompts';
import type { Scorer, ScoringContext } from '../types';
import { extractBoxed, isEquiv } from './normalize';

/** Per-sample metric: the last boxed answer is equivalent to the target after strip_string. */
export const MATH_METRICS = ['exact_match'] as const;

/** What exact_match reproduces, shown next to the metric in reports. */
export const MATH_REFERENCE =
  'lm-evaluation-harness@4e7e0d47 lm_eval/tasks/hendrycks_math/utils.py: is_equiv(remove_boxed(last_boxed_only_string(response)), target)';

/** The instruction Qwen's model cards give for math: reason, then a single boxed final answer. */
export const MATH_INSTRUCTION = 'Please reason step by step, and put your final answer within \\boxed{}.';

/** The chat prompt (the problem, then the instruction) or, for completion style, a Problem/Solution layout. */
export function mathQuestion(problem: string, style: 'chat' | 'completion'): string {
  return style === 'chat' ? `${problem}\n${MATH_INSTRUCTION}` : `Problem:\n${problem}\n${MATH_INSTRUCTION}\n\nSolution:`;
}

function checkZeroShot(ctx: ScoringContext): void {
  const k = ctx.datasetConfig.prompt.fewshot;
  if (k !== 0) {
    throw new ConfigError([
      { file: `configs/datasets/${ctx.dataset}/dataset.yaml`, field: 'prompt.fewshot', expected: '0 (the math scorer is zero-shot with a boxed-answer instruction)', found: String(k) },
    ]);
  }
}

/** A boxed answer that is not equivalent to the target (for the dummy backend's wrong oracle). */
function wrongAnswer(target: string): string {
  return ['\\text{none}', '-1', '0'].find((c) => !isEquiv(c, target)) ?? '\\text{none of these}';
}

/** MATH-500: last `\boxed{}` of the response, equivalent to the target under the hendrycks_math normalization. */
export const mathScorer: Scorer = {
  name: 'math',
  buildRequests(record, ctx) {
    checkZeroShot(ctx);
    const target = requireTarget('math', record);
    const turns = buildQaTurns([], mathQuestion(record.input, ctx.datasetConfig.prompt.style), { targetDelimiter: ' ', fewshotDelimiter: '\n\n' });
    const oracle = { answer: `Working it out gives $\\boxed{${target}}$.`, wrong: `Working it out gives $\\boxed{${wrongAnswer(target)}}$.` };
    return { record, ...buildGenerationRequests({ turns, oracle }, ctx) };
  },
  score(sample, responses, ctx) {
    const target = requireTarget('math', sample.record);
    return scoreGenerations(sample, responses, {
      metrics: MATH_METRICS,
      check(text) {
        const answer = extractBoxed(text);
        return { extracted: answer, scores: { exact_match: answer !== null && isEquiv(answer, target) ? 1 : 0 } };
      },
    }, ctx);
  },
  aggregate(results) {
    return aggregateScores(results, MATH_METRICS, { exact_match: MATH_REFERENCE });
  },
};
