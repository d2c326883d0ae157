import { aggregateScores, buildGenerationRequests, INVALID, parseScorerOptions, pyStrip, regexFilter, requireTarget, scoreGenerations, simplePromptTurns, type Scorer } from '@evalgraph/scoring';
import { RegexAnswerOptions } from './options';

const METRICS = ['regex_match'] as const;

/** The answer as compared: stripped, without the ignored characters, lower-cased when asked. */
export function normalizeAnswer(s: string, opts: Pick<RegexAnswerOptions, 'ignore_case' | 'ignore_chars'>): string {
  let out = pyStrip([...s].filter((c) => !opts.ignore_chars.includes(c)).join(''));
  if (opts.ignore_case) out = out.toLowerCase();
  return out;
}

/** Extracts the answer with a regex (the harness's RegexFilter + take_first) and compares it to the record's target. */
export const regexAnswerScorer: Scorer = {
  name: 'regex-answer',
  buildRequests(record, ctx) {
    const opts = parseScorerOptions(RegexAnswerOptions, ctx);
    const target = requireTarget('regex-answer', record);
    const turns = simplePromptTurns(opts.instruction ? { ...record, input: `${record.input}\n${opts.instruction}` } : record, ctx);
    const answer = opts.oracle_template.replaceAll('{target}', target);
    const gen = buildGenerationRequests({ turns, oracle: { answer, wrong: opts.oracle_template.replaceAll('{target}', `${target}1`) } }, ctx);
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    const opts = parseScorerOptions(RegexAnswerOptions, ctx);
    const target = normalizeAnswer(requireTarget('regex-answer', sample.record), opts);
    return scoreGenerations(sample, responses, {
      metrics: METRICS,
      check(text) {
        const found = regexFilter(text, opts.pattern, opts.group_select);
        if (found === INVALID) return { extracted: null, scores: { regex_match: 0 } };
        return { extracted: found, scores: { regex_match: normalizeAnswer(found, opts) === target ? 1 : 0 } };
      },
    }, ctx);
  },
  aggregate(results) {
    return aggregateScores(results, METRICS);
  },
};
