/**
 * Word-level tokenizers of the IFEval reference:
 * - count_words: nltk RegexpTokenizer(r"\w+"), i.e. runs of Unicode word characters;
 * - word_tokenize (change_case:capital_word_frequency): NLTK's `word_tokenize`, i.e. Punkt
 *   sentences (punkt.ts) then NLTKWordTokenizer (the improved
 *   Treebank tokenizer, nltk/tokenize/destructive.py), ported regex by regex.
 */
import { pyFindall, pySplitWs, pySub } from './py';
import { sentTokenize } from './punkt';

/** instructions_util.count_words: the number of `\w+` runs (Python's Unicode `\w`). */
export function countWords(text: string): number {
  return pyFindall('\\w+', text).length;
}

type Rule = readonly [pattern: string, replacement: string];

const STARTING_QUOTES: readonly Rule[] = [
  ['([«“‘„]|[`]+)', ' \\1 '],
  ['^\\"', '``'],
  ['(``)', ' \\1 '],
  ['([ \\(\\[{<])(\\"|\\\'{2})', '\\1 `` '],
  ["(?i)(\\')(?!re|ve|ll|m|t|s|d|n)(\\w)\\b", '\\1 \\2'],
];

const ENDING_QUOTES: readonly Rule[] = [
  ['([»”’])', ' \\1 '],
  ["''", " '' "],
  ['"', " '' "],
  ["([^' ])('[sS]|'[mM]|'[dD]|') ", '\\1 \\2 '],
  ["([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", '\\1 \\2 '],
];

const PUNCTUATION: readonly Rule[] = [
  ['([^\\.])(\\.)([\\]\\)}>"\\\'»”’ ]*)\\s*$', '\\1 \\2 \\3 '],
  ['([:,])([^\\d])', ' \\1 \\2'],
  ['([:,])$', ' \\1 '],
  ['\\.{2,}', ' \\g<0> '],
  ['[;@#$%&]', ' \\g<0> '],
  ['([^\\.])(\\.)([\\]\\)}>"\\\']*)\\s*$', '\\1 \\2\\3 '],
  ['[?!]', ' \\g<0> '],
  ["([^'])' ", "\\1 ' "],
  ['[*]', ' \\g<0> '],
];

const PARENS_BRACKETS: Rule = ['[\\]\\[\\(\\)\\{\\}\\<\\>]', ' \\g<0> '];
const DOUBLE_DASHES: Rule = ['--', ' -- '];

const CONTRACTIONS2 = [
  '(?i)\\b(can)(?#X)(not)\\b',
  "(?i)\\b(d)(?#X)('ye)\\b",
  '(?i)\\b(gim)(?#X)(me)\\b',
  '(?i)\\b(gon)(?#X)(na)\\b',
  '(?i)\\b(got)(?#X)(ta)\\b',
  '(?i)\\b(lem)(?#X)(me)\\b',
  "(?i)\\b(more)(?#X)('n)\\b",
  '(?i)\\b(wan)(?#X)(na)(?=\\s)',
];
const CONTRACTIONS3 = ["(?i) ('t)(?#X)(is)\\b", "(?i) ('t)(?#X)(was)\\b"];

function applyRules(text: string, rules: readonly Rule[]): string {
  return rules.reduce((t, [p, r]) => pySub(p, r, t), text);
}

/** NLTKWordTokenizer.tokenize (convert_parentheses=False) of one sentence. */
export function treebankTokenize(sentence: string): string[] {
  let text = applyRules(sentence, STARTING_QUOTES);
  text = applyRules(text, PUNCTUATION);
  text = applyRules(text, [PARENS_BRACKETS, DOUBLE_DASHES]);
  text = ` ${text} `;
  text = applyRules(text, ENDING_QUOTES);
  for (const p of CONTRACTIONS2) text = pySub(p, ' \\1 \\2 ', text);
  for (const p of CONTRACTIONS3) text = pySub(p, ' \\1 \\2 ', text);
  return pySplitWs(text);
}

/** nltk.word_tokenize(text): Punkt sentences, each split by the Treebank tokenizer. */
export function wordTokenize(text: string): string[] {
  return sentTokenize(text).flatMap(treebankTokenize);
}
