import { ConfigError, type DatasetRecord } from '@evalgraph/core';
import { aggregateScores, requireTarget, scoreGenerations } from '../exact-match';
import { buildGenerationRequests, buildQaTurns, type QaTurn } from '../prompts';
import type { Scorer, ScoringContext } from '../types';
import { extractGsm8k, gsm8kExactMatch, validOrNull } from './extract';
import { GSM8K_TEMPLATES, type Gsm8kTemplate, type Gsm8kTemplateName } from './templates';

/**
 * Metric names. flexible_extract is primary: it scores the final number wherever the model puts
 * it, while strict_match also demands the variant's answer format ("#### N", "The answer is N."),
 * which zero-shot chat models rarely follow; both are reported.
 */
export const GSM8K_METRICS = ['flexible_extract', 'strict_match'] as const;

const HARNESS = 'lm-evaluation-harness@4e7e0d47 lm_eval/tasks/gsm8k/';

function configError(ctx: ScoringContext, field: string, expected: string, found: string): ConfigError {
  return new ConfigError([{ file: `configs/datasets/${ctx.dataset}/dataset.yaml`, field, expected, found }]);
}

/**
 * The variant a dataset config selects: prompt.template when set, else plain `gsm8k` for zero-shot
 * and the 8-shot chain-of-thought `gsm8k-cot` for few-shot.
 */
export function gsm8kTemplate(ctx: ScoringContext): Gsm8kTemplate {
  const { template, fewshot } = ctx.datasetConfig.prompt;
  const name = (template ?? (fewshot > 0 ? 'gsm8k-cot' : 'gsm8k')) as Gsm8kTemplateName;
  const t = GSM8K_TEMPLATES[name];
  if (!t) throw configError(ctx, 'prompt.template', `one of ${Object.keys(GSM8K_TEMPLATES).join(', ')}`, JSON.stringify(template));
  return t;
}

/** The reference the harness compares with: the full solution ("... #### N") when known, else the target. */
function reference(record: DatasetRecord): string {
  const solution = record.metadata.solution;
  return typeof solution === 'string' && solution.includes('####') ? solution : requireTarget('gsm8k', record);
}

function fewshotExamples(t: Gsm8kTemplate, record: DatasetRecord, ctx: ScoringContext): QaTurn[] {
  const k = ctx.datasetConfig.prompt.fewshot;
  if (k === 0) return [];
  if (t.exemplars) {
    if (k > t.exemplars.length) throw configError(ctx, 'prompt.fewshot', `at most ${t.exemplars.length} for template ${t.name}`, String(k));
    return t.exemplars.slice(0, k).map((e) => ({ question: t.question(e.question), answer: e.target }));
  }
  // Plain gsm8k samples its few-shot from train at random (seed 1234); we take the first k of the
  // pool instead, so the prompt is fixed and documented, not the harness's exact draw.
  const pool = (ctx.fewshotPool ?? []).filter((r) => r.id !== record.id).slice(0, k);
  if (pool.length < k) throw configError(ctx, 'prompt.fewshot', `a few-shot pool of at least ${k} records for template ${t.name}`, `${pool.length} records`);
  return pool.map((r) => ({ question: t.question(r.input), answer: String(r.metadata.solution ?? r.target ?? '') }));
}

/** lm-evaluation-harness GSM8K: strict-match and flexible-extract with exact_match normalization. */
export const gsm8kScorer: Scorer = {
  name: 'gsm8k',
  buildRequests(record, ctx) {
    const t = gsm8kTemplate(ctx);
    const target = requireTarget('gsm8k', record);
    const turns = buildQaTurns(fewshotExamples(t, record, ctx), t.question(record.input), { targetDelimiter: t.targetDelimiter, fewshotDelimiter: t.fewshotDelimiter });
    const wrong = Number.isFinite(Number(target)) ? String(Number(target) + 1) : `${target}1`;
    const gen = buildGenerationRequests({ turns, stop: [...t.stop], oracle: { answer: t.answerIn(target), wrong: t.answerIn(wrong) } }, ctx);
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    const t = gsm8kTemplate(ctx);
    const ref = reference(sample.record);
    return scoreGenerations(sample, responses, {
      metrics: GSM8K_METRICS,
      check(text) {
        const x = extractGsm8k(text, t);
        return {
          extracted: validOrNull(x.flexible),
          scores: { flexible_extract: gsm8kExactMatch(x.flexible, ref), strict_match: gsm8kExactMatch(x.strict, ref) },
          detail: { template: t.name, strict_match_extracted: validOrNull(x.strict), flexible_extract_extracted: validOrNull(x.flexible) },
        };
      },
    }, ctx);
  },
  aggregate(results, ctx) {
    const t = gsm8kTemplate(ctx);
    return aggregateScores(results, GSM8K_METRICS, {
      flexible_extract: `${HARNESS}${t.file} flexible-extract + exact_match`,
      strict_match: `${HARNESS}${t.file} strict-match + exact_match`,
    });
  },
};
