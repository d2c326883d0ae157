import { buildGenerationRequests } from '../prompts';
import type { Scorer } from '../types';
import { aggregateScores, scoreGenerations } from './generative-results';
import { InvalidRecordError, requireTarget } from './record-errors';
import { simplePromptTurns } from './simple-prompt';

// A number as people write it: optional sign, thousands separators, decimals ("1,234.5", "-.5").
const NUMBER = /-?(?:\d[\d,]*(?:\.\d+)?|\.\d+)/g;

/** The last number written in a text, as written (commas kept), or null. */
export function lastNumber(text: string): string | null {
  const all = text.match(NUMBER);
  return all ? all[all.length - 1] : null;
}

/** The value of a number as written ("1,234.50" → 1234.5, "$5" → 5); NaN when it is not one. */
export function parseNumber(s: string): number {
  const cleaned = s.replace(/[,$\s]/g, '');
  return cleaned === '' ? NaN : Number(cleaned);
}

/** Numeric equality with a relative tolerance that only absorbs floating-point representation error. */
export function numericEqual(a: number, b: number): boolean {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return false;
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

const METRICS = ['numeric_match'] as const;

function numericTarget(record: { id: string; target?: string }): number {
  const target = requireTarget('numeric', record);
  const value = parseNumber(target);
  if (Number.isNaN(value)) throw new InvalidRecordError('numeric', record.id, `target ${JSON.stringify(target)} is not a number`);
  return value;
}

/** The last number in the response equals the target numerically. */
export const numericScorer: Scorer = {
  name: 'numeric',
  buildRequests(record, ctx) {
    const value = numericTarget(record);
    const gen = buildGenerationRequests(
      { turns: simplePromptTurns(record, ctx), oracle: { answer: `The answer is ${record.target}.`, wrong: `The answer is ${value + 1}.` } },
      ctx,
    );
    return { record, ...gen };
  },
  score(sample, responses, ctx) {
    const value = numericTarget(sample.record);
    return scoreGenerations(sample, responses, {
      metrics: METRICS,
      check(text) {
        const found = lastNumber(text);
        return { extracted: found, scores: { numeric_match: found !== null && numericEqual(parseNumber(found), value) ? 1 : 0 } };
      },
    }, ctx);
  },
  aggregate(results) {
    return aggregateScores(results, METRICS);
  },
};
