import { z } from 'zod';
import { buildGenerationRequests } from '../prompts';
import type { Scorer } from '../types';
import { exactMatch } from './hf-exact-match';
import { aggregateScores, scoreGenerations } from './generative-results';
import { pyStrip } from './python-regex';
import { requireTarget } from './record-errors';
import { parseScorerOptions } from './scorer-options';
import { simplePromptTurns } from './simple-prompt';

/** scorer_options of exact-match: the harness's exact_match knobs (Python regex syntax). */
export const ExactMatchScorerOptions = z
  .object({
    ignore_case: z.boolean().default(false),
    ignore_punctuation: z.boolean().default(false),
    regexes_to_ignore: z.array(z.string()).default([]),
  })
  .strict();

const METRICS = ['exact_match'] as const;

/** Exact match of the stripped response against the stripped target (with the harness's optional normalization). */
export const exactMatchScorer: Scorer = {
  name: 'exact-match',
  buildRequests(record, ctx) {
    const target = requireTarget('exact-match', record);
    const gen = buildGenerationRequests({ turns: simplePromptTurns(record, ctx), oracle: { answer: target, wrong: `${target} (not the answer)` } }, ctx);
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    const opts = parseScorerOptions(ExactMatchScorerOptions, ctx);
    const target = pyStrip(requireTarget('exact-match', sample.record));
    const emOpts = { ignoreCase: opts.ignore_case, ignorePunctuation: opts.ignore_punctuation, regexesToIgnore: opts.regexes_to_ignore };
    return scoreGenerations(sample, responses, {
      metrics: METRICS,
      check(text) {
        const answer = pyStrip(text);
        return { extracted: answer === '' ? null : answer, scores: { exact_match: exactMatch(answer, target, emOpts) } };
      },
    }, ctx);
  },
  aggregate(results) {
    return aggregateScores(results, METRICS);
  },
};
