import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetConfig, type DatasetRecord, type EvalResponse } from '@evalgraph/core';

type PromptSpec = DatasetConfig['prompt'];
import { extractBoxed, isEquiv, lastBoxedOnlyString, mathScorer, PythonError, removeBoxed, stripString } from '../src/math';
import type { ScoringContext } from '../src/types';

/**
 * Normalization edge cases: [a, b, strip_string(a), strip_string(b), is_equiv(a, b)], where
 * "EXC:<Error>" means the reference raises (and is_equiv falls back to a == b).
 *
 * Expected values were computed by running the reference code itself: strip_string and is_equiv
 * of lm-evaluation-harness lm_eval/tasks/hendrycks_math/utils.py (harness commit
 * 4e7e0d47f33bc71070c1d38394bafbb52b117163; the same functions as Hendrycks et al.'s MATH code).
 */
const EQUIV: [string, string, string, string, boolean][] = [
  ["\\frac{1}{2}", "0.5", "\\frac{1}{2}", "\\frac{1}{2}", true],
  ["\\dfrac{1}{2}", "\\frac12", "\\frac{1}{2}", "\\frac{1}{2}", true],
  ["\\tfrac{3}{4}", "3/4", "\\frac{3}{4}", "\\frac{3}{4}", true],
  ["\\frac{3}{4}", "03/4", "\\frac{3}{4}", "03/4", false],
  ["\\left( 3, \\frac{\\pi}{2} \\right)", "(3,\\frac{\\pi}{2})", "(3,\\frac{\\pi}{2})", "(3,\\frac{\\pi}{2})", true],
  ["10\\text{ cm}", "10", "10", "10", true],
  ["10\\text{cm}", "10", "10\\text{cm}", "10", false],
  ["5\\text{ cm}\\text{ m}", "5", "EXC:AssertionError", "5", false],
  ["90^\\circ", "90", "90", "90", true],
  ["90^{\\circ}", "90", "90", "90", true],
  ["\\$18.90", "18.90", "18.90", "18.90", true],
  ["50\\%", "50", "50", "50", true],
  [".5", "\\frac{1}{2}", "\\frac{1}{2}", "\\frac{1}{2}", true],
  ["x = 5", "5", "5", "5", true],
  ["abc = 5", "5", "abc=5", "5", false],
  ["k=3", "3", "3", "3", true],
  ["\\sqrt3", "\\sqrt{3}", "\\sqrt{3}", "\\sqrt{3}", true],
  ["2\\sqrt 3", "2\\sqrt{3}", "2\\sqrt{}3", "2\\sqrt{3}", false],
  ["\\frac1{72}", "\\frac{1}{72}", "\\frac{1}{72}", "\\frac{1}{72}", true],
  ["\\frac{72}1", "72", "\\frac{72}1", "72", false],
  ["1,000", "1000", "1,000", "1000", false],
  ["\\{1,2\\}", "\\{1, 2\\}", "\\{1,2\\}", "\\{1,2\\}", true],
  ["x/y", "\\frac{x}{y}", "EXC:ValueError", "\\frac{x}{y}", false],
  ["x/y", "x/y", "EXC:ValueError", "EXC:ValueError", true],
  ["-3/4", "\\frac{-3}{4}", "\\frac{-3}{4}", "\\frac{-3}{4}", true],
  ["+3/4", "\\frac{3}{4}", "+3/4", "\\frac{3}{4}", false],
  ["1_000/2", "1_000/2", "1_000/2", "1_000/2", true],
  ["\\sqrt", "\\sqrt", "EXC:IndexError", "EXC:IndexError", true],
  ["\\frac", "\\frac", "EXC:IndexError", "EXC:IndexError", true],
  ["\\frac1", "\\frac1", "\\frac1", "\\frac1", true],
  ["0.50", "\\frac{1}{2}", "0.50", "\\frac{1}{2}", false],
  ["\\pi", "3.14", "\\pi", "3.14", false],
  ["(-\\infty, 3]", "(-\\infty,3]", "(-\\infty,3]", "(-\\infty,3]", true],
  ["\\!\\!4", "4", "4", "4", true],
  ["1\\\\2", "1\\2", "1\\2", "1\\2", true],
  ["3\n", "3", "3", "3", true],
  ["", "", "", "", true],
  ["a = b = c", "b = c", "a=b=c", "c", false],
  ["\\text{(C)}", "(C)", "\\text{(C)}", "(C)", false],
  ["\\textbf{(C)}", "\\text{(C)}", "\\textbf{(C)}", "\\text{(C)}", false],
  ["1/2", "0.5", "\\frac{1}{2}", "\\frac{1}{2}", true],
  ["{.5}", "{0.5}", "{0.5}", "{0.5}", true],
  ["y = .5", "0.5", "\\frac{1}{2}", "\\frac{1}{2}", true],
  ["٣/4", "٣/4", "٣/4", "٣/4", true],];

/**
 * Extraction edge cases: [text, last_boxed_only_string(text), remove_boxed(of that)], computed by
 * running the same reference file; "EXC:AssertionError" where remove_boxed asserts.
 */
const EXTRACT: [string, string | null, string | null][] = [
  ["So the answer is $\\boxed{\\frac{1}{2}}$.", "\\boxed{\\frac{1}{2}}", "\\frac{1}{2}"],
  ["First \\boxed{1} then \\boxed{2}.", "\\boxed{2}", "2"],
  ["\\boxed{\\left(3, \\frac{\\pi}{2}\\right)}", "\\boxed{\\left(3, \\frac{\\pi}{2}\\right)}", "\\left(3, \\frac{\\pi}{2}\\right)"],
  ["The answer is $\\boxed 5$.", "\\boxed 5", "5"],
  ["\\boxed 5 and later \\boxed{6}", "\\boxed 5 and later \\boxed{6}", "5 and later \\boxed{6}"],
  ["\\fbox{7}", "\\fbox{7}", "EXC:AssertionError"],
  ["no box here", null, null],
  ["\\boxed{unclosed", null, null],
  ["\\boxed{a}{b}", "\\boxed{a}", "a"],
  ["\\boxed{}", "\\boxed{}", ""],
  ["\\boxed{\\text{Evelyn}}", "\\boxed{\\text{Evelyn}}", "\\text{Evelyn}"],
  ["\\boxedx{3}", "\\boxedx{3}", "EXC:AssertionError"],];

function pyStripString(s: string): string {
  try {
    return stripString(s);
  } catch (e) {
    if (e instanceof PythonError) return `EXC:${e.message.split(' ')[0]}`;
    throw e;
  }
}

const DATA = process.env.EVALGRAPH_DATA_MIRROR ?? path.resolve(__dirname, '../../../../shared/datasets');

function ctxFor(prompt: Partial<PromptSpec> = {}): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'openai/prm800k', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: 'math500',
    split: 'test',
    expected_records: 500,
    scorer: 'math',
    prompt: { style: 'chat', fewshot: 0, ...prompt },
  });
  return { dataset: 'math500', datasetConfig, maxTokens: 1024, samplesPerTask: 1, workspaceRoot: '/tmp', services: {} };
}
const gen = (text: string, finish_reason = 'stop'): EvalResponse => ({ kind: 'generate', text, finish_reason, prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });

describe('MATH normalization matches hendrycks_math utils.py', () => {
  it.each(EQUIV)('%j ~ %j', (a, b, sa, sb, eq) => {
    expect([pyStripString(a), pyStripString(b), isEquiv(a, b)]).toEqual([sa, sb, eq]);
  });
  it('has at least 30 normalization cases', () => expect(EQUIV.length).toBeGreaterThanOrEqual(30));
});

describe('MATH boxed extraction matches hendrycks_math utils.py', () => {
  it.each(EXTRACT)('%j', (text, last, removed) => {
    const got = lastBoxedOnlyString(text);
    expect(got).toBe(last);
    if (got === null) return;
    let r: string;
    try {
      r = removeBoxed(got);
    } catch (e) {
      if (!(e instanceof PythonError)) throw e;
      r = 'EXC:AssertionError';
    }
    expect(r).toBe(removed);
  });
  it('has no answer where remove_boxed asserts (\\fbox, \\boxedx) or there is no box', () => {
    expect(extractBoxed('\\fbox{7}')).toBeNull();
    expect(extractBoxed('\\boxed{6} and \\fbox{7}')).toBe('6');
    expect(extractBoxed('\\boxed 5 and later \\boxed{6}')).toBe('5 and later \\boxed{6}');
    expect(extractBoxed('$\\boxed 64$')).toBe('64');
    expect(extractBoxed('\\boxedx{3}')).toBeNull();
    expect(extractBoxed('no box')).toBeNull();
  });
});

describe('math scorer', () => {
  const rec: DatasetRecord = { id: 'test/algebra/1.json', input: 'What is 1/2 + 1/4?', target: '\\frac{3}{4}', metadata: {} };
  it('asks for a boxed answer and scores the last box', async () => {
    const ctx = ctxFor();
    const s = mathScorer.buildRequests(rec, ctx);
    expect(s.requests[0]).toMatchObject({ kind: 'chat', messages: [{ role: 'user', content: 'What is 1/2 + 1/4?\nPlease reason step by step, and put your final answer within \\boxed{}.' }] });
    const out = await mathScorer.score(s, [gen('So $\\boxed{\\dfrac34}$.')], ctx);
    expect(out[0]).toMatchObject({ score: 1, outcome: 'correct', extracted: '\\dfrac34' });
    const cases: [string, string, number, string][] = [
      ['\\boxed{0.75}', 'stop', 0, 'wrong'],
      ['I give up', 'stop', 0, 'no_answer'],
      ['Let me', 'length', 0, 'truncated'],
      ['\\boxed{3/4}', 'stop', 1, 'correct'],
    ];
    for (const [text, fr, score, outcome] of cases) {
      const [r] = await mathScorer.score(s, [gen(text, fr)], ctx);
      expect([text, r.score, r.outcome]).toEqual([text, score, outcome]);
    }
  });
  it('renders a completion prompt and rejects few-shot', () => {
    const s = mathScorer.buildRequests(rec, ctxFor({ style: 'completion' }));
    expect(s.requests[0]).toMatchObject({ kind: 'completion', prompt: 'Problem:\nWhat is 1/2 + 1/4?\nPlease reason step by step, and put your final answer within \\boxed{}.\n\nSolution:' });
    expect(() => mathScorer.buildRequests(rec, ctxFor({ fewshot: 4 }))).toThrow(/prompt.fewshot/);
  });

  const file = path.join(DATA, 'math500/test.jsonl');
  it.skipIf(!existsSync(file))('every MATH-500 reference solution scores 100%, oracles right and wrong as labelled', async () => {
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { problem: string; solution: string; answer: string; unique_id: string });
    expect(rows).toHaveLength(500);
    const ctx = ctxFor();
    const gold = [];
    const oracleRight = [];
    const oracleWrong = [];
    for (const row of rows) {
      const record: DatasetRecord = { id: row.unique_id, input: row.problem, target: row.answer, metadata: { solution: row.solution } };
      const s = mathScorer.buildRequests(record, ctx);
      gold.push(...(await mathScorer.score(s, [gen(row.solution)], ctx)));
      oracleRight.push(...(await mathScorer.score(s, [gen(s.requests[0].oracle!.answer!)], ctx)));
      oracleWrong.push(...(await mathScorer.score(s, [gen(s.requests[0].oracle!.wrong!)], ctx)));
    }
    // The reference itself agrees on all 500 (checked by running utils.py on test.jsonl).
    expect(gold.filter((r) => r.score !== 1).map((r) => [r.id, r.extracted, r.target])).toEqual([]);
    expect(mathScorer.aggregate(oracleRight, ctx)[0].value).toBe(1);
    expect(mathScorer.aggregate(oracleWrong, ctx)[0].value).toBe(0);
  });
});
