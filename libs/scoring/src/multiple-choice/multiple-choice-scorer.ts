import { meanMetric, type DatasetRecord, type EvalResponse, type MetricValue, type SampleResult } from '@evalgraph/core';
import { z } from 'zod';
import { aggregateScores, failedSampleResult, InvalidRecordError, parseScorerOptions, scoreGenerations } from '../exact-match';
import { buildGenerationRequests, buildQaTurns } from '../prompts';
import type { SampleRequests, Scorer, ScoringContext } from '../types';
import { toChoiceItem, type ChoiceItem } from './choice-item';
import { extractLetter, letterPrompt, letterQuestion, optionLetters } from './letter-choice';
import { choiceVerdict, fewshotPrefix, loglikelihoodRequests, mc2TrueMass, renderChoicePrompt, TARGET_DELIMITER } from './loglikelihood';

/** scorer_options of multiple-choice. */
export const MultipleChoiceOptions = z
  .object({
    primary: z.enum(['acc', 'acc_norm']).default('acc').describe('primary metric in log-likelihood mode (HellaSwag, ARC and OpenBookQA are usually quoted as acc_norm)'),
    target_delimiter: z.string().default(TARGET_DELIMITER).describe("the harness's target_delimiter between context and choice"),
  })
  .strict();

/** Which metrics an item yields in log-likelihood mode, in the harness's task definitions. */
function metricNames(item: ChoiceItem, primary: 'acc' | 'acc_norm'): string[] {
  // truthfulqa_mc2 and winogrande list only acc in their metric_list.
  if (item.labels || item.contexts) return ['acc'];
  return primary === 'acc' ? ['acc', 'acc_norm'] : ['acc_norm', 'acc'];
}

function buildLoglikelihood(sample: DatasetRecord, ctx: ScoringContext): SampleRequests {
  const opts = parseScorerOptions(MultipleChoiceOptions, ctx);
  const item = toChoiceItem(sample);
  const k = ctx.datasetConfig.prompt.fewshot;
  // A record with metadata.fewshot_group (MMLU's subject) takes its examples from its own group, as the harness's
  // per-subject tasks do; metadata.description is the harness's task description, written before the examples.
  const group = sample.metadata.fewshot_group;
  const pool = (ctx.fewshotPool ?? []).filter((r) => r.id !== sample.id && (group === undefined || r.metadata.fewshot_group === group)).slice(0, k);
  if (group !== undefined && pool.length < k) {
    throw new InvalidRecordError('multiple-choice', sample.id, `prompt.fewshot is ${k} but the few-shot pool has ${pool.length} examples of fewshot_group ${JSON.stringify(group)}`);
  }
  const description = typeof sample.metadata.description === 'string' ? sample.metadata.description : '';
  const requests = loglikelihoodRequests(item, description + fewshotPrefix(pool, opts.target_delimiter), opts.target_delimiter);
  return { record: sample, requests, renderedPrompt: renderChoicePrompt(requests) };
}

function scoreLoglikelihood(sample: SampleRequests, responses: readonly EvalResponse[], ctx: ScoringContext): SampleResult[] {
  const opts = parseScorerOptions(MultipleChoiceOptions, ctx);
  const item = toChoiceItem(sample.record);
  const names = metricNames(item, opts.primary);
  const failed = responses.find((r) => r.kind !== 'loglikelihood');
  if (failed || responses.length !== sample.requests.length) return [failedSampleResult(sample, 0, names, failed)];
  const lls = responses.map((r) => (r.kind === 'loglikelihood' ? r.logprob : NaN));
  const v = choiceVerdict(item, lls);
  const scores: Record<string, number> = item.labels ? { acc: mc2TrueMass(lls, item.labels) } : item.contexts ? { acc: v.acc } : { acc: v.acc, acc_norm: v.accNorm };
  const primary = names[0];
  const predForPrimary = primary === 'acc_norm' ? v.predNorm : v.pred;
  // For MC2 the score is a probability mass; the outcome says whether the most likely answer is a true one.
  const correct = item.labels ? item.labels[v.pred] === 1 : scores[primary] === 1;
  const sum = (f: (r: EvalResponse) => number) => responses.reduce((a, r) => a + f(r), 0);
  return [
    {
      id: sample.record.id,
      sample_index: 0,
      prompt: sample.renderedPrompt,
      response: item.choices[predForPrimary],
      extracted: String(predForPrimary),
      target: String(item.gold),
      score: scores[primary],
      scores,
      outcome: correct ? 'correct' : 'wrong',
      prompt_tokens: 0,
      completion_tokens: sum((r) => (r.kind === 'loglikelihood' ? r.continuation_tokens : 0)),
      latency_ms: sum((r) => r.latency_ms),
      detail: { loglikelihoods: lls, pred: v.pred, pred_norm: v.predNorm, gold: item.gold, ...(item.labels ? { labels: item.labels } : {}) },
    },
  ];
}

function buildLetter(record: DatasetRecord, ctx: ScoringContext): SampleRequests {
  const item = toChoiceItem(record);
  const letters = optionLetters(item.choices.length);
  const goldLetter = letters[item.gold];
  const wrongLetter = letters[(item.gold + 1) % letters.length];
  const turns = buildQaTurns([], letterPrompt(letterQuestion(record, item), item.choices), { targetDelimiter: ' ', fewshotDelimiter: '\n\n' });
  const gen = buildGenerationRequests({ turns, oracle: { answer: `Answer: ${goldLetter}`, wrong: `Answer: ${wrongLetter}` } }, ctx);
  return { record, ...gen };
}

function scoreLetter(sample: SampleRequests, responses: readonly EvalResponse[], ctx: ScoringContext): SampleResult[] {
  const item = toChoiceItem(sample.record);
  const letters = optionLetters(item.choices.length);
  const results = scoreGenerations(sample, responses, {
    metrics: ['acc'],
    check(text) {
      const letter = extractLetter(text, item.choices.length);
      const idx = letter === null ? -1 : letters.indexOf(letter);
      const right = idx >= 0 && (item.labels ? item.labels[idx] === 1 : idx === item.gold);
      return { extracted: letter, scores: { acc: right ? 1 : 0 } };
    },
  }, ctx);
  return results.map((r) => ({ ...r, target: letters[item.gold] }));
}

function isLoglikelihood(ctx: ScoringContext): boolean {
  return ctx.datasetConfig.mode === 'loglikelihood';
}

/**
 * Multiple choice as lm-evaluation-harness scores it: in log-likelihood mode one request per
 * choice, acc and acc_norm (TruthfulQA MC2: true-answer probability mass; WinoGrande: partial
 * evaluation over per-choice contexts); in generate mode a lettered question for chat-only
 * endpoints, scored on the extracted letter.
 */
export const multipleChoiceScorer: Scorer = {
  name: 'multiple-choice',
  buildRequests(record, ctx) {
    return isLoglikelihood(ctx) ? buildLoglikelihood(record, ctx) : buildLetter(record, ctx);
  },
  score(sample, responses, ctx) {
    return isLoglikelihood(ctx) ? scoreLoglikelihood(sample, responses, ctx) : scoreLetter(sample, responses, ctx);
  },
  aggregate(results, ctx): MetricValue[] {
    if (!isLoglikelihood(ctx)) return aggregateScores(results, ['acc']);
    const opts = parseScorerOptions(MultipleChoiceOptions, ctx);
    const first = results[0];
    if (!first) return [meanMetric(opts.primary, [])];
    const names = Object.keys(first.scores).sort((a, b) => (a === opts.primary ? -1 : b === opts.primary ? 1 : a.localeCompare(b)));
    // MC2 scores are probability masses, not 0/1: a mean with its normal-approximation interval.
    const continuous = results.some((r) => Object.values(r.scores).some((s) => s !== 0 && s !== 1));
    return continuous ? names.map((n) => meanMetric(n, results.map((r) => r.scores[n] ?? 0))) : aggregateScores(results, names);
  },
};
