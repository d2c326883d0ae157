import { pySub } from './python-regex';

/** Options of the harness's exact_match metric (lm_eval/api/metrics.py `exact_match_hf_evaluate`). */
export interface ExactMatchOptions {
  regexesToIgnore?: readonly string[];
  ignoreCase?: boolean;
  ignorePunctuation?: boolean;
  ignoreNumbers?: boolean;
}

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g; // Python string.punctuation
const DIGITS = /[0-9]/g; // Python string.digits

// numpy str arrays drop trailing NULs whenever the reference builds one (after each re.sub, lower, translate).
const npStr = (s: string): string => s.replace(/\0+$/, '');

/** Normalizes one string the way exact_match_hf_evaluate does before comparing. */
export function exactMatchNormalize(s: string, opts: ExactMatchOptions): string {
  let out = s;
  for (const re of opts.regexesToIgnore ?? []) out = npStr(pySub(re, '', out));
  out = npStr(out);
  if (opts.ignoreCase) out = out.toLowerCase();
  if (opts.ignorePunctuation) out = npStr(out.replace(PUNCTUATION, ''));
  if (opts.ignoreNumbers) out = npStr(out.replace(DIGITS, ''));
  return out;
}

/** 1 when prediction equals reference after the harness's normalization, else 0. */
export function exactMatch(prediction: string, reference: string, opts: ExactMatchOptions = {}): 0 | 1 {
  return exactMatchNormalize(prediction, opts) === exactMatchNormalize(reference, opts) ? 1 : 0;
}
