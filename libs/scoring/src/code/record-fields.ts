import type { DatasetRecord } from '@evalgraph/core';
import { InvalidRecordError } from '../exact-match';

/** A string field of record.metadata, or InvalidRecordError. */
export function metaString(scorer: string, record: DatasetRecord, key: string): string {
  const v = record.metadata[key];
  if (typeof v !== 'string') throw new InvalidRecordError(scorer, record.id, `metadata.${key} is not a string`);
  return v;
}

/** A string-array field of record.metadata, or InvalidRecordError. */
export function metaStrings(scorer: string, record: DatasetRecord, key: string): string[] {
  const v = record.metadata[key];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new InvalidRecordError(scorer, record.id, `metadata.${key} is not a list of strings`);
  return v;
}

/** A number field of record.metadata (default when absent), or InvalidRecordError. */
export function metaNumber(scorer: string, record: DatasetRecord, key: string, fallback: number): number {
  const v = record.metadata[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new InvalidRecordError(scorer, record.id, `metadata.${key} is not a number`);
  return v;
}

/**
 * EvalPlus test inputs as exact JSON text. The datasets lib keeps them verbatim in `<key>_json`
 * (JSON.parse would round big ints, turn 1.0 into 1 and reject Infinity); a parsed array under
 * `<key>` is accepted too, re-serialized, and flagged as lossy.
 */
export function evalplusInputs(scorer: string, record: DatasetRecord, key: 'base_input' | 'plus_input'): { json: string; lossy: boolean } {
  const raw = record.metadata[`${key}_json`];
  if (typeof raw === 'string') return { json: raw, lossy: false };
  const v = record.metadata[key];
  if (typeof v === 'string') return { json: v, lossy: false };
  if (Array.isArray(v)) return { json: JSON.stringify(v), lossy: true };
  throw new InvalidRecordError(scorer, record.id, `metadata.${key}_json (exact JSON text of the test inputs) is missing`);
}
