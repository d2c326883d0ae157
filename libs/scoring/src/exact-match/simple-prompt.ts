import type { DatasetRecord } from '@evalgraph/core';
import { buildQaTurns, type PromptTurn } from '../prompts';
import type { ScoringContext } from '../types';

/**
 * The prompt of a scorer without a reference template: the record's input as the question,
 * preceded by the first `prompt.fewshot` records of the few-shot pool with their targets
 * (target delimiter " ", few-shot delimiter "\n\n", as the harness defaults).
 */
export function simplePromptTurns(record: DatasetRecord, ctx: ScoringContext): PromptTurn[] {
  const k = ctx.datasetConfig.prompt.fewshot;
  const pool = (ctx.fewshotPool ?? []).filter((r) => r.id !== record.id).slice(0, k);
  const examples = pool.map((r) => ({ question: r.input, answer: r.target ?? '' }));
  return buildQaTurns(examples, record.input, { targetDelimiter: ' ', fewshotDelimiter: '\n\n' });
}
