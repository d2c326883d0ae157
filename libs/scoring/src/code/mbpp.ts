import type { DatasetRecord } from '@evalgraph/core';
import { buildGenerationRequests, buildQaTurns } from '../prompts';
import type { Scorer, ScoringContext } from '../types';
import { extractCode, mbppEntryPoint } from './extract';
import { codeOptions } from './options';
import { checkVerdict } from './outcome';
import { passAtKMetrics } from './pass-at-k';
import { fenced, mbppExamples, mbppFewshotAnswer, mbppQuestion, MBPP_STOP, wrongFunction } from './prompts';
import { metaString, metaStrings } from './record-fields';
import { checkLimits, type CodeScorerSpec, scoreCode } from './score-code';

const NAME = 'code-mbpp';

/**
 * The program that checks an MBPP answer: code, the task's test_setup_code, then its test_list
 * asserts (HF code_eval's `candidate + "\n" + test_case`; lm-evaluation-harness omits the setup
 * code, which leaves task 367 unsolvable, so it is kept here). challenge_test_list is not run.
 */
export function mbppProgram(code: string, setup: string, tests: readonly string[]): string {
  return `${code}\n${setup}\n${tests.join('\n')}`;
}

/**
 * The code of an MBPP response: text up to "[DONE]" without a leading "[BEGIN]"; completion style
 * takes it as is (lm-evaluation-harness mbpp), chat style takes a fenced block when there is one.
 */
export function mbppCode(text: string, entryPoint: string | undefined, chat: boolean): { code: string; source: string } | null {
  let body = text;
  const done = body.indexOf('[DONE]');
  if (done >= 0) body = body.slice(0, done);
  body = body.replace(/^\s*\[BEGIN\]\s*\n?/, '');
  if (!chat) return body.trim() ? { code: body, source: 'completion' } : null;
  const ex = extractCode(body, entryPoint);
  return ex ? { code: ex.code, source: ex.source } : null;
}

function isChat(ctx: ScoringContext): boolean {
  return ctx.datasetConfig.prompt.style !== 'completion';
}

function entryOf(record: DatasetRecord): string | undefined {
  return mbppEntryPoint(metaString(NAME, record, 'code'), metaStrings(NAME, record, 'test_list'));
}

const spec = (chat: boolean): CodeScorerSpec => ({
  metrics: ['pass'],
  plan(text, record, opts) {
    const c = mbppCode(text, entryOf(record), chat);
    if (!c) return null;
    const setup = typeof record.metadata.test_setup_code === 'string' ? record.metadata.test_setup_code : '';
    const program = mbppProgram(c.code, setup, metaStrings(NAME, record, 'test_list'));
    return { extracted: c.code, job: { mode: 'check', program, timeout: opts.timeout_s }, limits: checkLimits(opts), detail: { code_source: c.source } };
  },
  verdict: checkVerdict,
});

/** MBPP (lm-evaluation-harness `mbpp`: the 3-shot "[BEGIN] … [DONE]" prompt), test asserts run in the sandbox; pass@k. */
export const mbppScorer: Scorer = {
  name: NAME,
  buildRequests(record, ctx) {
    codeOptions(ctx);
    const tests = metaStrings(NAME, record, 'test_list');
    const code = metaString(NAME, record, 'code');
    const entry = entryOf(record);
    const chat = isChat(ctx);
    const examples = mbppExamples(ctx).map((e) => ({ question: mbppQuestion(e.text, e.test_list), answer: mbppFewshotAnswer(e.code) }));
    const turns = buildQaTurns(examples, mbppQuestion(record.input, tests), { targetDelimiter: '', fewshotDelimiter: '\n\n' });
    const wrong = entry ? wrongFunction(entry) : 'raise NotImplementedError("known wrong answer")\n';
    const oracle = chat ? { answer: fenced(code), wrong: fenced(wrong) } : { answer: mbppFewshotAnswer(code), wrong: mbppFewshotAnswer(wrong) };
    const gen = buildGenerationRequests({ turns, stop: MBPP_STOP, oracle }, ctx);
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    return scoreCode(sample, responses, ctx, codeOptions(ctx), spec(isChat(ctx)));
  },
  aggregate(results, ctx) {
    return passAtKMetrics(results, 'pass', codeOptions(ctx).k, (k) => `pass@${k}`);
  },
};
