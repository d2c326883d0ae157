import { pyFindall, pyStrip } from './python-regex';

/** The harness's RegexFilter fallback when nothing matches. */
export const INVALID = '[invalid]';

/**
 * lm-evaluation-harness `RegexFilter` followed by `take_first` (lm_eval/filters/extraction.py):
 * `findall`, pick match `groupSelect` (negative counts from the end), for tuples the first
 * non-empty group, then strip; `fallback` when nothing matched.
 */
export function regexFilter(text: string, pattern: string, groupSelect = 0, fallback = INVALID): string {
  const matches = pyFindall(pattern, text);
  if (matches.length === 0) return fallback;
  const idx = groupSelect < 0 ? matches.length + groupSelect : groupSelect;
  // Python raises IndexError here; an out-of-range select is a config bug, not a model failure.
  if (idx < 0 || idx >= matches.length) throw new RangeError(`group_select ${groupSelect} out of range for ${matches.length} matches`);
  let match = matches[idx];
  if (Array.isArray(match)) {
    const nonEmpty = match.filter((g) => g !== '');
    match = nonEmpty.length > 0 ? nonEmpty[0] : fallback;
  }
  return pyStrip(match);
}
