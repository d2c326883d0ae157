/**
 * Strict and loose instruction following of one response, as evaluation_lib.py's
 * test_instruction_following_strict / _loose (and lm-evaluation-harness ifeval/utils.py) compute it.
 */
import { z } from 'zod';
import type { DatasetRecord } from '@evalgraph/core';
import { InvalidRecordError } from '../exact-match';
import { buildCheck, InstructionArgsError, type Check } from './instructions';
import { pyStrip } from './py';

/** The IFEval fields a canonical record carries in `metadata`. */
export const IfevalMetadata = z.object({
  instruction_id_list: z.array(z.string().min(1)).min(1),
  kwargs: z.array(z.record(z.string(), z.unknown())),
});
export type IfevalMetadata = z.infer<typeof IfevalMetadata>;

/** A record's instructions with their checks bound to the record's kwargs. */
export interface BoundInstructions {
  ids: string[];
  checks: Check[];
}

/** Parses and binds a record's instructions; an InvalidRecordError names what is wrong. */
export function bindInstructions(record: DatasetRecord): BoundInstructions {
  const parsed = IfevalMetadata.safeParse(record.metadata);
  if (!parsed.success) throw new InvalidRecordError('ifeval', record.id, `metadata needs instruction_id_list and kwargs: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const { instruction_id_list: ids, kwargs } = parsed.data;
  if (kwargs.length !== ids.length) throw new InvalidRecordError('ifeval', record.id, `${ids.length} instructions but ${kwargs.length} kwargs dicts`);
  try {
    return { ids, checks: ids.map((id, i) => buildCheck(id, kwargs[i])) };
  } catch (e) {
    if (e instanceof InstructionArgsError) throw new InvalidRecordError('ifeval', record.id, e.message);
    throw e;
  }
}

/** Per-instruction verdicts of one response. */
export interface FollowResult {
  strict: boolean[];
  loose: boolean[];
}

/**
 * The eight variants the loose test tries, in the reference's order: the response, without "*",
 * without its first line, last line, or both (stripped), and those three without "*".
 */
export function looseVariants(response: string): string[] {
  const r = response.split('\n');
  const removeFirst = pyStrip(r.slice(1).join('\n'));
  const removeLast = pyStrip(r.slice(0, -1).join('\n'));
  const removeBoth = pyStrip(r.slice(1, -1).join('\n'));
  const noStars = (s: string) => s.replaceAll('*', '');
  return [response, noStars(response), removeFirst, removeLast, removeBoth, noStars(removeFirst), noStars(removeLast), noStars(removeBoth)];
}

// The reference tests `response.strip() and check(response)`: an empty variant never follows.
function follows(check: Check, response: string): boolean {
  return pyStrip(response) !== '' && check(response);
}

/** Strict and loose verdicts for each of the record's instructions. */
export function followInstructions(bound: BoundInstructions, response: string): FollowResult {
  const variants = looseVariants(response);
  return {
    strict: bound.checks.map((c) => follows(c, response)),
    loose: bound.checks.map((c) => variants.some((v) => follows(c, v))),
  };
}
