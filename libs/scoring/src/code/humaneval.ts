import type { DatasetRecord } from '@evalgraph/core';
import { buildGenerationRequests } from '../prompts';
import type { Scorer, ScoringContext } from '../types';
import { definesFunction, extractCode } from './extract';
import { codeOptions } from './options';
import { checkVerdict } from './outcome';
import { passAtKMetrics } from './pass-at-k';
import { evalplusChatPrompt, fenced, HUMANEVAL_STOP, wrongFunction } from './prompts';
import { metaString } from './record-fields';
import { checkLimits, type CodeScorerSpec, scoreCode } from './score-code';

const NAME = 'code-humaneval';

/** human-eval's check program: prompt + completion + "\n" + test + "\n" + f"check({entry_point})". */
export function humanevalProgram(prompt: string, completion: string, test: string, entryPoint: string): string {
  return `${prompt}${completion}\n${test}\ncheck(${entryPoint})`;
}

/**
 * The completion a response stands for. Completion style: the text itself (the reference). Chat:
 * the extracted code; a full definition of the entry point follows the prompt on a new line
 * (redefining the stub, keeping the prompt's imports and helpers), anything else continues it.
 */
export function humanevalCompletion(text: string, entryPoint: string, chat: boolean): { completion: string; source: string } | null {
  if (!chat) return text.trim() ? { completion: text, source: 'completion' } : null;
  const ex = extractCode(text, entryPoint);
  if (!ex) return null;
  return definesFunction(ex.code, entryPoint) ? { completion: `\n${ex.code}`, source: `${ex.source}+def` } : { completion: ex.code, source: `${ex.source}+body` };
}

function isChat(ctx: ScoringContext): boolean {
  return ctx.datasetConfig.prompt.style !== 'completion';
}

const spec = (chat: boolean): CodeScorerSpec => ({
  metrics: ['pass'],
  plan(text, record: DatasetRecord, opts) {
    const entry = metaString(NAME, record, 'entry_point');
    const c = humanevalCompletion(text, entry, chat);
    if (!c) return null;
    const program = humanevalProgram(record.input, c.completion, metaString(NAME, record, 'test'), entry);
    return { extracted: c.completion, job: { mode: 'check', program, timeout: opts.timeout_s }, limits: checkLimits(opts), detail: { code_source: c.source } };
  },
  verdict: checkVerdict,
});

/** HumanEval (openai/human-eval): the model completes the function; the dataset's check() runs in the sandbox; pass@k. */
export const humanevalScorer: Scorer = {
  name: NAME,
  buildRequests(record, ctx) {
    codeOptions(ctx);
    const entry = metaString(NAME, record, 'entry_point');
    const canonical = metaString(NAME, record, 'canonical_solution');
    const chat = isChat(ctx);
    const content = chat ? evalplusChatPrompt(record.input) : record.input;
    const oracle = chat
      ? { answer: fenced(record.input + canonical), wrong: fenced(wrongFunction(entry)) }
      : { answer: canonical, wrong: '    raise NotImplementedError("known wrong answer")\n' };
    const gen = buildGenerationRequests({ turns: [{ role: 'user', content, delimiter: '' }], stop: chat ? undefined : HUMANEVAL_STOP, oracle }, ctx);
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    return scoreCode(sample, responses, ctx, codeOptions(ctx), spec(isChat(ctx)));
  },
  aggregate(results, ctx) {
    return passAtKMetrics(results, 'pass', codeOptions(ctx).k, (k) => `pass@${k}`);
  },
};
