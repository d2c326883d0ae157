/**
 * The parameters of NLTK's pre-trained English Punkt model (tokenizers/punkt/english.pickle, the
 * model IFEval's count_sentences loads): 156 abbreviations, 39 frequent sentence starters,
 * 37 collocations and the orthographic contexts of 20,366 word types. punkt-english-model.json holds
 * them as compiled from NLTK by the rust-punkt project (provenance and sha256 in its `_source`).
 */
import data from './punkt-english-model.json';

/** Abbreviation types (lowercase, without the final period). */
export const ABBREVIATIONS: ReadonlySet<string> = new Set(data.abbrev_types);

/** Frequent sentence starters (lowercase). */
export const SENT_STARTERS: ReadonlySet<string> = new Set(data.sentence_starters);

/** Collocations as "first\u0000second" keys. */
export const COLLOCATIONS: ReadonlySet<string> = new Set(data.collocations.map(([a, b]) => `${a}\u0000${b}`));

const ortho = new Map<string, number>();
for (const [flag, types] of Object.entries(data.ortho_context)) for (const t of types.split(' ')) ortho.set(t, Number(flag));

/** The orthographic context flags of a word type (0 when the model never saw it). */
export function orthoContext(type: string): number {
  return ortho.get(type) ?? 0;
}
