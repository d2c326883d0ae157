import type { DatasetRecord } from '@evalgraph/core';
import { InvalidRecordError } from '../exact-match';

/** A multiple-choice record in the harness's terms (doc_to_text, doc_to_choice, gold index). */
export interface ChoiceItem {
  /** doc_to_text: the shared context (unused by multiple-input tasks). */
  input: string;
  /** doc_to_choice: the answer options as the record lists them. */
  choices: string[];
  gold: number;
  /** Multiple-input tasks (WinoGrande): one context per choice, scored on a shared continuation. */
  contexts?: string[];
  continuation?: string;
  /** TruthfulQA MC2: 1 for every true answer, 0 for every false one. */
  labels?: number[];
}

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

/** Reads a record as a multiple-choice item; an InvalidRecordError names what is missing. */
export function toChoiceItem(record: DatasetRecord): ChoiceItem {
  const bad = (why: string) => new InvalidRecordError('multiple-choice', record.id, why);
  const { choices, gold, metadata } = record;
  if (!choices || choices.length < 2) throw bad('needs at least two choices');
  if (gold === undefined || gold >= choices.length) throw bad(`gold ${gold} is not the index of one of its ${choices.length} choices`);
  const item: ChoiceItem = { input: record.input, choices, gold };
  if (metadata.contexts !== undefined || metadata.continuation !== undefined) {
    if (!stringArray(metadata.contexts) || metadata.contexts.length !== choices.length) throw bad('metadata.contexts must hold one context per choice');
    if (typeof metadata.continuation !== 'string') throw bad('metadata.continuation must be a string');
    item.contexts = metadata.contexts;
    item.continuation = metadata.continuation;
  }
  if (metadata.labels !== undefined) {
    const labels = metadata.labels;
    if (!Array.isArray(labels) || labels.length !== choices.length || !labels.every((l) => l === 0 || l === 1)) throw bad('metadata.labels must hold 0 or 1 per choice');
    item.labels = labels as number[];
  }
  return item;
}

/** Index of the first maximum, as numpy.argmax. */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Python len(): code points. */
export function pyLen(s: string): number {
  return Array.from(s).length;
}
