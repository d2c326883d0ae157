import {
  meanMetric,
  MissingDependencyError,
  type ChatMessage,
  type ChatRequest,
  type DatasetRecord,
  type EvalResponse,
  type GenerateResponse,
  type MetricValue,
  type Outcome,
  type SampleResult,
} from '@evalgraph/core';
import { InvalidRecordError } from '../exact-match';
import { renderMessages } from '../prompts';
import type { SampleRequests, Scorer, ScoringContext } from '../types';
import { NEED_REF_CATS, pyFormat, singleJudges, type JudgePrompt } from './judge-prompts';
import { parseRating } from './rating';

/** An MT-Bench question as libs/datasets normalizes it. */
export interface MtBenchQuestion {
  id: string;
  category: string;
  turns: [string, string];
  reference?: [string, string];
}

/** Reads a record as an MT-Bench question; an InvalidRecordError names what is missing. */
export function toQuestion(record: DatasetRecord): MtBenchQuestion {
  const bad = (why: string) => new InvalidRecordError('mt-bench', record.id, why);
  const { category, turns, reference } = record.metadata;
  if (typeof category !== 'string') throw bad('metadata.category must be a string');
  if (!Array.isArray(turns) || turns.length !== 2 || !turns.every((t) => typeof t === 'string')) throw bad('metadata.turns must hold the two user turns');
  const q: MtBenchQuestion = { id: record.id, category, turns: turns as [string, string] };
  if (reference !== undefined) {
    if (!Array.isArray(reference) || reference.length < 2 || !reference.every((t) => typeof t === 'string')) throw bad('metadata.reference must hold one reference answer per turn');
    q.reference = [reference[0], reference[1]];
  }
  if (NEED_REF_CATS.includes(category) && !q.reference) throw bad(`category ${category} is graded against a reference answer, but metadata.reference is missing`);
  return q;
}

// FastChat's judge calls use max_tokens 2048 (chat_completion_openai in run_judge_single).
const JUDGE_MAX_TOKENS = 2048;

function systemMessages(ctx: ScoringContext): ChatMessage[] {
  const system = ctx.datasetConfig.prompt.system;
  return system ? [{ role: 'system', content: system }] : [];
}

function turnOneMessages(q: MtBenchQuestion, ctx: ScoringContext): ChatMessage[] {
  return [...systemMessages(ctx), { role: 'user', content: q.turns[0] }];
}

function turnTwoMessages(q: MtBenchQuestion, answer1: string, ctx: ScoringContext): ChatMessage[] {
  return [...turnOneMessages(q, ctx), { role: 'assistant', content: answer1 }, { role: 'user', content: q.turns[1] }];
}

function modelRequest(messages: ChatMessage[], sampleIndex: number, ctx: ScoringContext, reference?: string): ChatRequest {
  return {
    kind: 'chat',
    messages,
    max_tokens: ctx.maxTokens,
    sample_index: sampleIndex,
    oracle: { answer: reference ?? 'Here is a careful, complete and helpful answer.', wrong: 'I do not know.' },
  };
}

/** The generations of both turns of each sample_index, aligned with what followUp sent. */
interface Conversation {
  sampleIndex: number;
  turn1: EvalResponse | undefined;
  turn2: EvalResponse | undefined;
}

const isGen = (r: EvalResponse | undefined): r is GenerateResponse => r?.kind === 'generate';

/** Pairs turn-1 responses with the turn-2 responses sent (only for successful turn 1s, in order). */
function conversations(sample: SampleRequests, responses: readonly EvalResponse[]): Conversation[] {
  const n = sample.requests.length;
  let k = n;
  return sample.requests.map((req, i) => {
    const turn1 = responses[i];
    const turn2 = isGen(turn1) ? responses[k++] : undefined;
    return { sampleIndex: req.sample_index ?? i, turn1, turn2 };
  });
}

/** FastChat run_judge_single's judge conversation for one turn (system prompt + formatted user prompt). */
export function judgeMessages(q: MtBenchQuestion, answers: [string, string?], judge: JudgePrompt, multiTurn: boolean): ChatMessage[] {
  const fields: Record<string, string> = {};
  if (q.reference && judge.prompt_template.includes('{ref_answer_1}')) {
    fields.ref_answer_1 = q.reference[0];
    if (multiTurn) fields.ref_answer_2 = q.reference[1];
  }
  const user = multiTurn
    ? pyFormat(judge.prompt_template, { question_1: q.turns[0], question_2: q.turns[1], answer_1: answers[0], answer_2: answers[1] ?? '', ...fields })
    : pyFormat(judge.prompt_template, { question: q.turns[0], answer: answers[0], ...fields });
  return [
    { role: 'system', content: judge.system_prompt },
    { role: 'user', content: user },
  ];
}

function judgeRequest(messages: ChatMessage[]): ChatRequest {
  return { kind: 'chat', messages, max_tokens: JUDGE_MAX_TOKENS, sample_index: 0, oracle: { answer: 'The response is accurate and helpful.\n\nRating: [[8]]', wrong: 'The response is unhelpful.\n\nRating: [[2]]' } };
}

/** One judged turn: its rating (-1 on failure, as FastChat) and what the judge said. */
interface Verdict {
  rating: number;
  judgment: string | null;
  error?: string;
}

function verdictOf(res: EvalResponse | undefined): Verdict {
  if (res === undefined) return { rating: -1, judgment: null, error: 'no judge response' };
  if (res.kind !== 'generate') return { rating: -1, judgment: null, error: res.kind === 'error' ? res.error : `unexpected ${res.kind} response` };
  // Only the judge's output is parsed; a rating the evaluated model wrote into its answer is never read.
  const rating = parseRating(res.text);
  return rating === -1 ? { rating, judgment: res.text, error: 'no [[rating]] in the judgment' } : { rating, judgment: res.text };
}

function outcomeOf(c: Conversation, verdicts: Verdict[]): Outcome {
  if (!isGen(c.turn1) || !isGen(c.turn2)) return 'server_error';
  if (verdicts.some((v) => v.rating === -1)) return 'judge_error';
  if (c.turn1.finish_reason === 'length' || c.turn2.finish_reason === 'length') return 'truncated';
  // MT-Bench has no right answer: "correct" means both turns were answered and graded; quality is the score.
  return 'correct';
}

/**
 * MT-Bench single-answer grading as FastChat's llm_judge: two model turns (turn 2 sees turn 1's
 * answer, through followUp), each graded by the judge with single-v1 / single-math-v1 (reference
 * answers for math, reasoning and coding) and their multi-turn versions, `[[rating]]` extraction.
 */
export const mtBenchScorer: Scorer = {
  name: 'mt-bench',
  buildRequests(record, ctx) {
    const q = toQuestion(record);
    const n = Math.max(1, ctx.samplesPerTask);
    const requests = Array.from({ length: n }, (_, i) => modelRequest(turnOneMessages(q, ctx), i, ctx, q.reference?.[0]));
    const rendered = renderMessages([...turnOneMessages(q, ctx), { role: 'assistant', content: '<turn 1 answer>' }, { role: 'user', content: q.turns[1] }]);
    return { record, requests, renderedPrompt: rendered };
  },
  followUp(sample, responses, ctx) {
    const n = sample.requests.length;
    if (responses.length !== n) return null;
    const q = toQuestion(sample.record);
    const turn2 = sample.requests.flatMap((req, i) => {
      const r = responses[i];
      return isGen(r) ? [modelRequest(turnTwoMessages(q, r.text, ctx), req.sample_index ?? i, ctx, q.reference?.[1])] : [];
    });
    return turn2.length > 0 ? turn2 : null;
  },
  async score(sample, responses, ctx) {
    const judge = ctx.services.judge;
    if (!judge) throw new MissingDependencyError('MT-Bench needs a judge model to grade answers', 'configure a judge for this pipeline so the runner provides services.judge');
    const q = toQuestion(sample.record);
    const judges = singleJudges(ctx);
    const refBased = NEED_REF_CATS.includes(q.category);
    const convs = conversations(sample, responses);
    const pending: { conv: number; turn: 0 | 1; request: ChatRequest }[] = [];
    convs.forEach((c, ci) => {
      if (!isGen(c.turn1) || !isGen(c.turn2)) return;
      const answers: [string, string] = [c.turn1.text, c.turn2.text];
      pending.push({ conv: ci, turn: 0, request: judgeRequest(judgeMessages(q, answers, refBased ? judges.math : judges.default, false)) });
      pending.push({ conv: ci, turn: 1, request: judgeRequest(judgeMessages(q, answers, refBased ? judges.mathMultiTurn : judges.defaultMultiTurn, true)) });
    });
    const judged = pending.length > 0 ? await judge(pending.map((p) => p.request)) : [];
    return convs.map((c, ci): SampleResult => {
      const mine = pending.map((p, k) => ({ p, res: judged[k] })).filter((x) => x.p.conv === ci);
      const verdicts = mine.map((x) => verdictOf(x.res));
      const valid = verdicts.map((v) => v.rating).filter((r) => r !== -1);
      const scores: Record<string, number> = {};
      if (verdicts[0] && verdicts[0].rating !== -1) scores.score_turn1 = verdicts[0].rating;
      if (verdicts[1] && verdicts[1].rating !== -1) scores.score_turn2 = verdicts[1].rating;
      if (valid.length > 0) scores.score = valid.reduce((a, b) => a + b, 0) / valid.length;
      const t1 = isGen(c.turn1) ? c.turn1 : undefined;
      const t2 = isGen(c.turn2) ? c.turn2 : undefined;
      const modelError = [c.turn1, c.turn2].find((r) => r?.kind === 'error');
      const reasoning = [t1?.reasoning, t2?.reasoning].filter((r): r is string => r !== undefined);
      return {
        id: sample.record.id,
        sample_index: c.sampleIndex,
        prompt: t1 ? renderMessages(turnTwoMessages(q, t1.text, ctx)) : sample.renderedPrompt,
        response: t2?.text ?? '',
        ...(reasoning.length > 0 ? { reasoning: reasoning.join('\n\n') } : {}),
        extracted: verdicts.length > 0 && valid.length > 0 ? JSON.stringify(verdicts.map((v) => v.rating)) : null,
        // samples.jsonl keeps the primary score in [0, 1]: the mean rating over 10 (the 1-10 ratings are in `scores`).
        score: scores.score === undefined ? 0 : Math.min(1, Math.max(0, scores.score / 10)),
        scores,
        outcome: outcomeOf(c, verdicts),
        prompt_tokens: (t1?.prompt_tokens ?? 0) + (t2?.prompt_tokens ?? 0),
        completion_tokens: (t1?.completion_tokens ?? 0) + (t2?.completion_tokens ?? 0),
        latency_ms: (c.turn1?.latency_ms ?? 0) + (c.turn2?.latency_ms ?? 0),
        detail: {
          category: q.category,
          judge_prompts: refBased ? [judges.math.name, judges.mathMultiTurn.name] : [judges.default.name, judges.defaultMultiTurn.name],
          turn1_answer: t1?.text ?? null,
          ratings: verdicts.map((v) => v.rating),
          judgments: verdicts.map((v) => v.judgment),
          ...(verdicts.some((v) => v.error) ? { judge_errors: verdicts.map((v) => v.error ?? null) } : {}),
          ...(modelError?.kind === 'error' ? { error: modelError.error } : {}),
        },
      };
    });
  },
  aggregate(results): MetricValue[] {
    const t1 = results.filter((r) => r.scores.score_turn1 !== undefined);
    const t2 = results.filter((r) => r.scores.score_turn2 !== undefined);
    // FastChat show_result.py: the overall score averages every valid (question, turn) rating, judge failures (-1) excluded.
    const pooled = [...t1.map((r) => ({ id: r.id, v: r.scores.score_turn1 })), ...t2.map((r) => ({ id: r.id, v: r.scores.score_turn2 }))];
    return [
      meanMetric('score', pooled.map((x) => x.v), pooled.map((x) => x.id)),
      meanMetric('score_turn1', t1.map((r) => r.scores.score_turn1)),
      meanMetric('score_turn2', t2.map((r) => r.scores.score_turn2)),
      meanMetric('judge_error_rate', results.map((r) => (r.outcome === 'judge_error' ? 1 : 0)), undefined, false),
    ];
  },
};
