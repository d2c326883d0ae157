import { binomialMetric, meanMetric, type DatasetConfig, type EvalResponse, type MetricValue, type ModelMode, type Outcome, type SampleResult } from '@evalgraph/core';
import type { SampleRequests, ScoringContext } from '../types';
import { pyLstrip } from './python-regex';

/** What a generative scorer concludes from one response text. */
export interface AnswerCheck {
  /** The answer extracted for the primary metric; null when nothing could be extracted. */
  extracted: string | null;
  /** Every per-sample metric, 0 or 1 (or a fraction). */
  scores: Record<string, number>;
  detail?: Record<string, unknown>;
}

/** How one generative scorer names and checks its metrics. */
export interface GenerativeCheck {
  /** Metric names; the first is the primary one. */
  metrics: readonly string[];
  check(text: string): AnswerCheck;
}

const THINK_END = '</think>';

/**
 * The text a generation is scored on. strip_thinking on: lm-evaluation-harness's
 * `postprocess_generated_text` with `think_end_token="</think>"` (lm_eval/models/utils.py, commit
 * 4e7e0d47f33bc71070c1d38394bafbb52b117163): what follows the last `</think>`, left-stripped, or
 * the whole text when there is none. Off: the harness reading a generation with no reasoning parser
 * and no think_end_token, so reasoning the inference layer split off is put back in front in Qwen3's
 * own layout (whitespace at the edges of both parts may differ from the raw generation, as both
 * are trimmed when split).
 */
export function scoredText(res: { text: string; reasoning?: string }, stripThinking: boolean): string {
  if (stripThinking) return pyLstrip(res.text.split(THINK_END).pop()!);
  return res.reasoning ? `<think>\n${res.reasoning}\n${THINK_END}\n\n${res.text}` : res.text;
}

/** Whether a cell scores only the answer after thinking: the dataset's strip_thinking, "auto" following the mode's reasoning flag. */
export function resolveStripThinking(config: Pick<DatasetConfig, 'strip_thinking'>, mode: Pick<ModelMode, 'reasoning'> | undefined): boolean {
  const setting = config.strip_thinking ?? 'auto';
  return setting === 'auto' ? (mode?.reasoning ?? false) : setting;
}

/**
 * The outcome of a scored generation: correct when the primary score is 1; otherwise no
 * extracted answer is "truncated" when generation hit the token limit and "no_answer" when it
 * stopped on its own; an extracted but different answer is "wrong".
 */
export function generationOutcome(primaryScore: number, extracted: string | null, finishReason: string): Outcome {
  if (primaryScore >= 1) return 'correct';
  if (extracted === null) return finishReason === 'length' ? 'truncated' : 'no_answer';
  return 'wrong';
}

/** A sample result for a response that carries no generation (server error or a wrong response kind). */
export function failedSampleResult(
  sample: SampleRequests,
  sampleIndex: number,
  metrics: readonly string[],
  response: EvalResponse | undefined,
): SampleResult {
  const error =
    response === undefined ? 'no response for this request' : response.kind === 'error' ? response.error : `unexpected ${response.kind} response to a generation request`;
  return {
    id: sample.record.id,
    sample_index: sampleIndex,
    prompt: sample.renderedPrompt,
    response: '',
    extracted: null,
    ...(sample.record.target !== undefined ? { target: sample.record.target } : {}),
    score: 0,
    scores: Object.fromEntries(metrics.map((m) => [m, 0])),
    outcome: 'server_error',
    prompt_tokens: 0,
    completion_tokens: 0,
    latency_ms: response?.latency_ms ?? 0,
    detail: { error, ...(response?.kind === 'error' && response.status !== undefined ? { status: response.status } : {}) },
  };
}

/**
 * Scores the generations of one record (one per request, in sample_index order): server errors
 * score 0 with outcome "server_error" so they count against accuracy instead of vanishing.
 */
export function scoreGenerations(
  sample: SampleRequests,
  responses: readonly EvalResponse[],
  checker: GenerativeCheck,
  ctx: Pick<ScoringContext, 'datasetConfig' | 'stripThinking'>,
): SampleResult[] {
  const primary = checker.metrics[0];
  const strip = ctx.stripThinking ?? resolveStripThinking(ctx.datasetConfig, undefined);
  return sample.requests.map((req, i) => {
    const sampleIndex = req.sample_index ?? i;
    const res = responses[i];
    if (res === undefined || res.kind !== 'generate') return failedSampleResult(sample, sampleIndex, checker.metrics, res);
    const verdict = checker.check(scoredText(res, strip));
    const score = verdict.scores[primary] ?? 0;
    return {
      id: sample.record.id,
      sample_index: sampleIndex,
      prompt: sample.renderedPrompt,
      response: res.text,
      ...(res.reasoning !== undefined ? { reasoning: res.reasoning } : {}),
      extracted: verdict.extracted,
      ...(sample.record.target !== undefined ? { target: sample.record.target } : {}),
      score,
      scores: verdict.scores,
      outcome: generationOutcome(score, verdict.extracted, res.finish_reason),
      prompt_tokens: res.prompt_tokens,
      completion_tokens: res.completion_tokens,
      latency_ms: res.latency_ms,
      ...(verdict.detail ? { detail: verdict.detail } : {}),
    };
  });
}

/**
 * Aggregates per-sample 0/1 scores into metrics (in the given order, primary first): binomial
 * stderr for one sample per task, cluster-robust stderr over tasks when there are several.
 */
export function aggregateScores(results: readonly SampleResult[], metrics: readonly string[], references: Record<string, string> = {}): MetricValue[] {
  const ids = results.map((r) => r.id);
  const clustered = new Set(ids).size < ids.length;
  return metrics.map((name) => {
    const values = results.map((r) => r.scores[name] ?? 0);
    const m = clustered ? meanMetric(name, values, ids) : binomialMetric(name, values);
    return references[name] ? { ...m, reference: references[name] } : m;
  });
}
