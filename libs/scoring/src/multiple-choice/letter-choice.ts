import type { DatasetRecord } from '@evalgraph/core';
import type { ChoiceItem } from './choice-item';

/** Option letters A, B, C, ... for n choices. */
export function optionLetters(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String.fromCharCode(65 + i));
}

/**
 * The question text shown in letter mode: metadata.question when the normalizer kept the raw
 * question, else the harness input without its trailing "Answer:" cue (the options follow it).
 */
export function letterQuestion(record: DatasetRecord, item: ChoiceItem): string {
  const raw = record.metadata.question ?? record.metadata.sentence;
  if (typeof raw === 'string' && raw.trim() !== '') return raw.trim();
  if (item.contexts && typeof record.metadata.sentence !== 'string') return item.input;
  return item.input.replace(/\s*Answer:\s*$/, '').trim();
}

/**
 * openai/simple-evals QUERY_TEMPLATE_MULTICHOICE (common.py), generalized from four options to
 * as many as the item has.
 */
export function letterPrompt(question: string, choices: readonly string[]): string {
  const letters = optionLetters(choices.length);
  const list = letters.length === 1 ? letters[0] : letters.join('');
  return (
    `Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ${list}. Think step by step before answering.\n\n` +
    `${question}\n\n${choices.map((c, i) => `${letters[i]}) ${c}`).join('\n')}`
  );
}

function lastGroup(re: RegExp, text: string): string | null {
  let found: string | null = null;
  for (const m of text.matchAll(re)) found = m[1];
  return found;
}

/**
 * The chosen letter, or null. In order: the last "Answer: X" (simple-evals'
 * ANSWER_PATTERN_MULTICHOICE, letters upper-case only so "Answer: a ..." is not read as A), the
 * last "answer is (X)", the last "(X)", then a response that starts with the letter ("B", "B.", "B) ..."; not "A planet ...").
 */
export function extractLetter(text: string, n: number): string | null {
  const set = optionLetters(n).join('');
  const L = `[${set}]`;
  const patterns = [
    new RegExp(`[Aa][Nn][Ss][Ww][Ee][Rr][ \\t]*:[ \\t]*\\$?\\**\\(?(${L})\\)?\\**\\$?(?![A-Za-z])`, 'g'),
    new RegExp(`[Aa]nswer is:?[ \\t]*\\**\\(?(${L})\\)?(?![A-Za-z])`, 'g'),
    new RegExp(`\\((${L})\\)`, 'g'),
  ];
  for (const re of patterns) {
    const hit = lastGroup(re, text);
    if (hit) return hit;
  }
  const lead = new RegExp(`^\\s*\\**(${L})(?:[).:\\]]|\\**[ \\t]*(?:\\n|$))`).exec(text);
  return lead ? lead[1] : null;
}
