import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetConfig, type DatasetRecord, type EvalRequest, type EvalResponse, type LoglikelihoodRequest } from '@evalgraph/core';
import { extractLetter, mc2TrueMass, multipleChoiceScorer } from '../src/multiple-choice';
import type { ScoringContext } from '../src/types';

const DATA = process.env.EVALGRAPH_DATA_MIRROR ?? path.resolve(__dirname, '../../../../shared/datasets');

function ctxFor(mode: 'loglikelihood' | 'generate', scorer_options: Record<string, unknown> = {}, fewshot = 0, fewshotPool?: DatasetRecord[]): ScoringContext {
  const datasetConfig = DatasetConfig.parse({
    source: { kind: 'github', repo: 'o/r', revision: 'a'.repeat(40), files: [{ path: 'x', sha256: 'b'.repeat(64), mirror_path: 'x' }], license: 'MIT' },
    format: 'x',
    split: 'test',
    expected_records: 1,
    scorer: 'multiple-choice',
    mode,
    scorer_options,
    prompt: { style: 'chat', fewshot },
  });
  return { dataset: 'mc', datasetConfig, maxTokens: 64, samplesPerTask: 1, workspaceRoot: '/tmp', services: {}, fewshotPool };
}

const ll = (logprob: number): EvalResponse => ({ kind: 'loglikelihood', logprob, is_greedy: false, continuation_tokens: 2, latency_ms: 1, cached: false });
const gen = (text: string, finish_reason = 'stop'): EvalResponse => ({ kind: 'generate', text, finish_reason, prompt_tokens: 1, completion_tokens: 1, latency_ms: 1, cached: false });

/** What a model "favouring" one choice returns: the oracle's gold request gets the highest log-likelihood. */
function synthetic(requests: EvalRequest[], favourGold: boolean): EvalResponse[] {
  return requests.map((r, i) => {
    const q = r as LoglikelihoodRequest;
    const isGold = q.context + q.continuation === q.oracle?.answer;
    return ll(isGold === favourGold ? -1 - i * 0.001 : -5 - i);
  });
}

const arc: DatasetRecord = { id: 'arc-1', input: 'Question: Which is a planet?\nAnswer:', choices: ['Mars', 'the Sun', 'the Moon'], gold: 0, metadata: { question: 'Which is a planet?' } };

describe('multiple choice, log-likelihood mode', () => {
  it('MMLU: the description, then the first k dev examples of the same subject, then the question (harness fewshot_context)', () => {
    const row = (id: string, subject: string, input: string, gold: number): DatasetRecord => ({ id, input, choices: ['A', 'B', 'C', 'D'], gold, metadata: { subject, fewshot_group: subject, description: `The following are multiple choice questions (with answers) about ${subject.replace('_', ' ')}.\n\n` } });
    const pool = [row('astronomy-dev-0', 'astronomy', 'Q1\nA. a\nB. b\nC. c\nD. d\nAnswer:', 1), row('college_physics-dev-0', 'college_physics', 'P1\nA. a\nB. b\nC. c\nD. d\nAnswer:', 0), row('astronomy-dev-1', 'astronomy', 'Q2\nA. a\nB. b\nC. c\nD. d\nAnswer:', 3), row('astronomy-dev-2', 'astronomy', 'Q3\nA. a\nB. b\nC. c\nD. d\nAnswer:', 2)];
    const test = row('college_physics-0', 'college_physics', 'T\nA. a\nB. b\nC. c\nD. d\nAnswer:', 2);
    expect(() => multipleChoiceScorer.buildRequests(test, ctxFor('loglikelihood', {}, 2, pool))).toThrow(/few-shot pool has 1 examples of fewshot_group "college_physics"/);
    const astro = row('astronomy-0', 'astronomy', 'T\nA. a\nB. b\nC. c\nD. d\nAnswer:', 2);
    const s = multipleChoiceScorer.buildRequests(astro, ctxFor('loglikelihood', {}, 2, pool));
    const context = 'The following are multiple choice questions (with answers) about astronomy.\n\nQ1\nA. a\nB. b\nC. c\nD. d\nAnswer: B\n\nQ2\nA. a\nB. b\nC. c\nD. d\nAnswer: D\n\nT\nA. a\nB. b\nC. c\nD. d\nAnswer:';
    expect((s.requests as LoglikelihoodRequest[]).map((r) => [r.context, r.continuation])).toEqual([[context, ' A'], [context, ' B'], [context, ' C'], [context, ' D']]);
    // Zero-shot keeps the description, as the harness does.
    const zero = multipleChoiceScorer.buildRequests(astro, ctxFor('loglikelihood', {}, 0, pool)).requests[0] as LoglikelihoodRequest;
    expect(zero.context).toBe('The following are multiple choice questions (with answers) about astronomy.\n\nT\nA. a\nB. b\nC. c\nD. d\nAnswer:');
  });

  it('asks for one request per choice with " " + choice as the continuation', () => {
    const s = multipleChoiceScorer.buildRequests(arc, ctxFor('loglikelihood'));
    expect(s.requests).toEqual([
      { kind: 'loglikelihood', context: arc.input, continuation: ' Mars', sample_index: 0, oracle: { gold_index: 0, answer: `${arc.input} Mars` } },
      { kind: 'loglikelihood', context: arc.input, continuation: ' the Sun', sample_index: 0, oracle: { gold_index: 0, answer: `${arc.input} Mars` } },
      { kind: 'loglikelihood', context: arc.input, continuation: ' the Moon', sample_index: 0, oracle: { gold_index: 0, answer: `${arc.input} Mars` } },
    ]);
    expect(s.renderedPrompt).toBe(`${arc.input}\n\n[choice 0] " Mars"\n[choice 1] " the Sun"\n[choice 2] " the Moon"`);
  });

  it('acc is argmax of log-likelihoods; acc_norm divides by the characters of the choice (harness process_results)', async () => {
    const rec: DatasetRecord = { id: 'n', input: 'Q', choices: ['a long correct answer', 'no'], gold: 0, metadata: {} };
    const ctx = ctxFor('loglikelihood');
    const s = multipleChoiceScorer.buildRequests(rec, ctx);
    // numpy: argmax([-8, -3]) = 1; argmax([-8/21, -3/2]) = 0 (lengths without the " " delimiter).
    const [r] = await multipleChoiceScorer.score(s, [ll(-8), ll(-3)], ctx);
    expect(r).toMatchObject({ scores: { acc: 0, acc_norm: 1 }, score: 0, outcome: 'wrong', extracted: '1' });
    const ctxNorm = ctxFor('loglikelihood', { primary: 'acc_norm' });
    const [rn] = await multipleChoiceScorer.score(s, [ll(-8), ll(-3)], ctxNorm);
    expect(rn).toMatchObject({ score: 1, outcome: 'correct', extracted: '0' });
    expect(multipleChoiceScorer.aggregate([rn], ctxNorm).map((m) => m.name)).toEqual(['acc_norm', 'acc']);
  });

  it('ties go to the first choice, as numpy.argmax', async () => {
    const ctx = ctxFor('loglikelihood');
    const s = multipleChoiceScorer.buildRequests({ ...arc, gold: 1 }, ctx);
    const [r] = await multipleChoiceScorer.score(s, [ll(-2), ll(-2), ll(-3)], ctx);
    expect(r.scores.acc).toBe(0);
  });

  it('a server error on any choice fails the sample as server_error', async () => {
    const ctx = ctxFor('loglikelihood');
    const s = multipleChoiceScorer.buildRequests(arc, ctx);
    const [r] = await multipleChoiceScorer.score(s, [ll(-1), { kind: 'error', error: 'HTTP 503', latency_ms: 3 }, ll(-2)], ctx);
    expect(r).toMatchObject({ outcome: 'server_error', score: 0, scores: { acc: 0, acc_norm: 0 } });
  });

  it('WinoGrande: one context per choice, the shared continuation (partial evaluation), acc only', async () => {
    const sentence = 'Sarah was a much better surgeon than Maria so _ always got the easier cases.';
    const rec: DatasetRecord = {
      id: 'wg',
      input: sentence,
      choices: ['Sarah', 'Maria'],
      gold: 1,
      metadata: { sentence, contexts: ['Sarah was a much better surgeon than Maria so Sarah', 'Sarah was a much better surgeon than Maria so Maria'], continuation: 'always got the easier cases.' },
    };
    const ctx = ctxFor('loglikelihood');
    const s = multipleChoiceScorer.buildRequests(rec, ctx);
    expect(s.requests.map((r) => (r.kind === 'loglikelihood' ? [r.context, r.continuation] : null))).toEqual([
      ['Sarah was a much better surgeon than Maria so Sarah', ' always got the easier cases.'],
      ['Sarah was a much better surgeon than Maria so Maria', ' always got the easier cases.'],
    ]);
    const [r] = await multipleChoiceScorer.score(s, synthetic(s.requests, true), ctx);
    expect(r).toMatchObject({ scores: { acc: 1 }, outcome: 'correct' });
  });

  it('TruthfulQA MC2: normalized probability mass on the true answers', async () => {
    // numpy, process_results_mc2 of lm_eval/tasks/truthfulqa/utils.py on ll=[-1.2,-0.7,-3.0,-2.2], labels=[1,1,0,0]:
    // 0.8324339556856479 (computed by running that function).
    expect(mc2TrueMass([-1.2, -0.7, -3.0, -2.2], [1, 1, 0, 0])).toBeCloseTo(0.8324339556856479, 14);
    expect(mc2TrueMass([-2000, -2001], [1, 0])).toBeCloseTo(1 / (1 + Math.exp(-1)), 14);
    const rec: DatasetRecord = { id: 'tqa', input: 'Q: x\nA:', choices: ['t1', 't2', 'f1', 'f2'], gold: 0, metadata: { labels: [1, 1, 0, 0] } };
    const ctx = ctxFor('loglikelihood');
    const s = multipleChoiceScorer.buildRequests(rec, ctx);
    const [r] = await multipleChoiceScorer.score(s, [ll(-1.2), ll(-0.7), ll(-3.0), ll(-2.2)], ctx);
    expect(r.scores.acc).toBeCloseTo(0.8324339556856479, 12);
    expect(r.outcome).toBe('correct');
    const [m] = multipleChoiceScorer.aggregate([r, { ...r, scores: { acc: 0.5 }, score: 0.5 }], ctx);
    expect(m.name).toBe('acc');
    expect(m.value).toBeCloseTo((0.8324339556856479 + 0.5) / 2, 12);
  });

  it('few-shot prefix: question, delimiter, gold answer, blank line', () => {
    const pool: DatasetRecord[] = [{ id: 'p', input: 'Question: 1+1?\nAnswer:', choices: ['3', '2'], gold: 1, metadata: {} }];
    const s = multipleChoiceScorer.buildRequests(arc, ctxFor('loglikelihood', {}, 1, pool));
    expect(s.requests[0]).toMatchObject({ context: `Question: 1+1?\nAnswer: 2\n\n${arc.input}` });
  });

  it('rejects records without a valid gold index', () => {
    expect(() => multipleChoiceScorer.buildRequests({ ...arc, gold: 7 }, ctxFor('loglikelihood'))).toThrow(/gold 7/);
  });

  const arcFile = path.join(DATA, 'arc/ARC-Challenge-Test.jsonl');
  it.skipIf(!existsSync(arcFile))('ARC-Challenge: log-probabilities favouring gold score 100% acc and acc_norm, favouring a wrong choice 0%', async () => {
    const rows = readFileSync(arcFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; question: { stem: string; choices: { text: string; label: string }[] }; answerKey: string });
    const ctx = ctxFor('loglikelihood');
    const right = [];
    const wrong = [];
    for (const row of rows) {
      const rec: DatasetRecord = {
        id: row.id,
        input: `Question: ${row.question.stem}\nAnswer:`,
        choices: row.question.choices.map((c) => c.text),
        gold: row.question.choices.findIndex((c) => c.label === row.answerKey),
        metadata: {},
      };
      const s = multipleChoiceScorer.buildRequests(rec, ctx);
      right.push(...(await multipleChoiceScorer.score(s, synthetic(s.requests, true), ctx)));
      wrong.push(...(await multipleChoiceScorer.score(s, synthetic(s.requests, false), ctx)));
    }
    expect(right).toHaveLength(1172);
    expect(multipleChoiceScorer.aggregate(right, ctx).map((m) => [m.name, m.value])).toEqual([
      ['acc', 1],
      ['acc_norm', 1],
    ]);
    expect(multipleChoiceScorer.aggregate(wrong, ctx).map((m) => m.value)).toEqual([0, 0]);
  });
});

describe('multiple choice, generative letter mode', () => {
  it('lists lettered options in the simple-evals template and scores the extracted letter', async () => {
    const ctx = ctxFor('generate');
    const s = multipleChoiceScorer.buildRequests(arc, ctx);
    const req = s.requests[0];
    if (req.kind !== 'chat') throw new Error('expected chat');
    expect(req.messages[0].content).toBe(
      "Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABC. Think step by step before answering.\n\nWhich is a planet?\n\nA) Mars\nB) the Sun\nC) the Moon",
    );
    const cases: [string, string, number, string][] = [
      ['Mars is a planet.\nAnswer: A', 'stop', 1, 'correct'],
      ['Answer: B', 'stop', 0, 'wrong'],
      ['I am not sure', 'stop', 0, 'no_answer'],
      ['Let me think', 'length', 0, 'truncated'],
    ];
    for (const [text, fr, score, outcome] of cases) {
      const [r] = await multipleChoiceScorer.score(s, [gen(text, fr)], ctx);
      expect([text, r.score, r.outcome, r.target]).toEqual([text, score, outcome, 'A']);
    }
    const o = req.oracle!;
    expect((await multipleChoiceScorer.score(s, [gen(o.answer!)], ctx))[0].score).toBe(1);
    expect((await multipleChoiceScorer.score(s, [gen(o.wrong!)], ctx))[0].score).toBe(0);
    expect(multipleChoiceScorer.aggregate([], ctx).map((m) => m.name)).toEqual(['acc']);
  });

  it.each([
    ['Answer: C', 'C'],
    ['answer: **B**', 'B'],
    ['Answer: $D$', 'D'],
    ['Answer: a lot of thought went into this. Answer: B', 'B'],
    ['The answer is (C).', 'C'],
    ['the answer is B', 'B'],
    ['I pick (D) over (A).', 'A'],
    ['B', 'B'],
    ['B) because it is', 'B'],
    ['**C.** Mars', 'C'],
    ['E is not an option', null],
    ['Answer: E', null],
    ['A planet orbits a star.', null],
    ['', null],
  ])('extractLetter(%j) = %j', (text, letter) => {
    expect(extractLetter(text, 4)).toBe(letter);
  });
});
