import type { DatasetRecord } from '@evalgraph/core';

// lm-evaluation-harness decontamination (janitor.py): ASCII letters lower-cased, ASCII punctuation deleted, split on whitespace.
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** The words of a text as the harness's janitor normalizes them before taking n-grams. */
export function normalizedWords(text: string): string[] {
  return text
    .replace(/[A-Z]/g, (c) => c.toLowerCase())
    .replace(PUNCTUATION, '')
    .split(/\s+/)
    .filter((w) => w !== '');
}

/** Every n-gram of the words (none when there are fewer than n), as space-joined strings. */
export function ngrams(words: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i + n <= words.length; i++) out.push(words.slice(i, i + n).join(' '));
  return out;
}

/** The text of an evaluation record a model could have memorized: question, answer, choices and string metadata (solutions, code, tests). */
export function evalRecordText(r: DatasetRecord): string {
  const parts = [r.input, r.target ?? '', ...(r.choices ?? [])];
  for (const v of Object.values(r.metadata)) {
    if (typeof v === 'string') parts.push(v);
    else if (Array.isArray(v)) parts.push(...v.filter((x): x is string => typeof x === 'string'));
  }
  return parts.join('\n');
}
