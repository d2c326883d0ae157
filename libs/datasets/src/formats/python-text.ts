// Python's str.isspace() set, which differs from JS's \s (Python adds \x1c-\x1f and \x85; JS adds \ufeff).
const PY_WS = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEAD = new RegExp(`^[${PY_WS}]+`);
const TRAIL = new RegExp(`[${PY_WS}]+$`);

/** Python's `s.strip()`: the harness strips with it, so prompts must match it exactly. */
export function pyStrip(s: string): string {
  return s.replace(LEAD, '').replace(TRAIL, '');
}

/** Python's `s.lstrip()`. */
export function pyLstrip(s: string): string {
  return s.replace(LEAD, '');
}

/** Python's `s.capitalize()`: first character upper-cased, the rest lower-cased. */
export function pyCapitalize(s: string): string {
  if (s === '') return s;
  const first = String.fromCodePoint(s.codePointAt(0) as number);
  return first.toUpperCase() + s.slice(first.length).toLowerCase();
}
