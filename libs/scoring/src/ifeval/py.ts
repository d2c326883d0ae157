/**
 * Python `str` and `re` semantics the IFEval reference relies on, for JavaScript.
 *
 * The checks are written as the reference's Python patterns and translated here, so that each
 * check reads like the line it ports. Python's `\w`, `\d`, `\s` and `\b` are Unicode-aware
 * (JavaScript's are ASCII-only even with the `u` flag), `.` excludes only `\n` (JavaScript's also
 * excludes `\r`, U+2028, U+2029), and `$` without MULTILINE also matches before a final newline.
 */

/** A Python pattern this translator cannot express in JavaScript. */
export class PyPatternError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`cannot translate Python regex ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'PyPatternError';
  }
}

/** Characters for which Python's `str.isspace()` is true (what `\s`, `strip()` and `split()` use). */
export const PY_WHITESPACE = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

const WS_CLASS_BODY = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
// Python's \w: str.isalnum() (letters of any category L*, numbers of any category N*) or "_".
const WORD_CLASS_BODY = '\\p{L}\\p{N}_';
const W = `[${WORD_CLASS_BODY}]`;

const OUTSIDE_CLASS: Record<string, string> = {
  d: '\\p{Nd}',
  D: '\\P{Nd}',
  w: W,
  W: `[^${WORD_CLASS_BODY}]`,
  s: `[${WS_CLASS_BODY}]`,
  S: `[^${WS_CLASS_BODY}]`,
  b: `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`,
  B: `(?:(?<=${W})(?=${W})|(?<!${W})(?!${W}))`,
  A: '(?<![\\s\\S])',
  Z: '(?![\\s\\S])',
};
const INSIDE_CLASS: Record<string, string> = { d: '\\p{Nd}', D: '\\P{Nd}', w: WORD_CLASS_BODY, s: WS_CLASS_BODY, b: '\\x08' };
const PLAIN_ESCAPES = new Set(['n', 't', 'r', 'f', 'v', '0']);
// Characters JavaScript's `u` mode accepts after a backslash; other punctuation is written bare.
const JS_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

/** Python flags the translator understands: I (IGNORECASE), M (MULTILINE), S (DOTALL). */
export interface PyFlags {
  ignoreCase?: boolean;
  multiline?: boolean;
  dotAll?: boolean;
}

function escapeLiteral(c: string, inClass: boolean): string {
  if (JS_SYNTAX.has(c) || (inClass && c === '-')) return `\\${c}`;
  return c;
}

function translate(pattern: string, flags: PyFlags): { source: string; ignoreCase: boolean } {
  let ignoreCase = flags.ignoreCase ?? false;
  let multiline = flags.multiline ?? false;
  let dotAll = flags.dotAll ?? false;
  let src = pattern;
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'i') ignoreCase = true;
      else if (f === 'm') multiline = true;
      else if (f === 's') dotAll = true;
      else if (f !== 'u') throw new PyPatternError(pattern, `inline flag ${f}`);
    }
    src = src.slice(inline[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new PyPatternError(pattern, 'trailing backslash');
      i++;
      const table = inClass ? INSIDE_CLASS : OUTSIDE_CLASS;
      if (table[n] !== undefined) out += table[n];
      else if (PLAIN_ESCAPES.has(n) || /[1-9]/.test(n)) out += `\\${n}`;
      else if (n === 'x') { out += `\\x${src.slice(i + 1, i + 3)}`; i += 2; }
      else if (n === 'u') { out += `\\u${src.slice(i + 1, i + 5)}`; i += 4; }
      else if (/[A-Za-z]/.test(n)) throw new PyPatternError(pattern, `escape \\${n}${inClass ? ' inside a character class' : ''}`);
      else out += escapeLiteral(n, inClass);
      continue;
    }
    if (inClass) {
      if (c === ']') { inClass = false; out += c; }
      else out += c === '[' ? '\\[' : c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += '[';
      if (src[i + 1] === '^') { out += '^'; i++; }
      // A leading ']' is literal in a Python class.
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      if (src[i + 2] === '#') {
        const end = src.indexOf(')', i);
        if (end < 0) throw new PyPatternError(pattern, 'unterminated comment');
        i = end;
        continue;
      }
      if (src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
      if (src.startsWith('(?P=', i)) {
        const end = src.indexOf(')', i);
        out += `\\k<${src.slice(i + 4, end)}>`;
        i = end;
        continue;
      }
      out += c;
      continue;
    }
    if (c === '{') {
      const q = /^\{(\d*)(?:(,)(\d*))?\}/.exec(src.slice(i));
      if (q && (q[1] !== '' || q[2] !== undefined) && !(q[1] === '' && q[3] === '')) {
        out += `{${q[1] === '' ? '0' : q[1]}${q[2] ?? ''}${q[3] ?? ''}}`;
        i += q[0].length - 1;
      } else out += '\\{';
      continue;
    }
    if (c === '}' || c === ']') { out += `\\${c}`; continue; }
    if (c === '.') { out += dotAll ? '[\\s\\S]' : '[^\\n]'; continue; }
    if (c === '^') { out += multiline ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])'; continue; }
    if (c === '$') { out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))'; continue; }
    out += c;
  }
  if (inClass) throw new PyPatternError(pattern, 'unterminated character class');
  return { source: out, ignoreCase };
}

const cache = new Map<string, RegExp>();

/** Compiles a Python regex into a global JavaScript RegExp with Python's matching semantics. */
export function pyRe(pattern: string, flags: PyFlags = {}): RegExp {
  const key = `${flags.ignoreCase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotAll ? 's' : ''}:${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const t = translate(pattern, flags);
    re = new RegExp(t.source, `gud${t.ignoreCase ? 'i' : ''}`);
    cache.set(key, re);
  }
  // A fresh object: global RegExps carry lastIndex state.
  return new RegExp(re.source, re.flags);
}

/** Python `re.findall` for a pattern without groups: the matched strings. */
export function pyFindall(pattern: string, text: string, flags?: PyFlags): string[] {
  return Array.from(text.matchAll(pyRe(pattern, flags)), (m) => m[0]);
}

/** Python `re.search(...) is not None`. */
export function pySearch(pattern: string, text: string, flags?: PyFlags): boolean {
  return pyRe(pattern, flags).test(text);
}

/** Python `re.split` for a pattern without groups. */
export function pySplit(pattern: string, text: string, flags?: PyFlags): string[] {
  return text.split(pyRe(pattern, flags));
}

/**
 * Python `re.sub` with a template replacement (`\1`, `\g<0>`, `\g<name>`); groups that did not
 * participate are replaced by "" as in Python 3.5+.
 */
export function pySub(pattern: string, repl: string, text: string, flags?: PyFlags): string {
  const parts = repl.split(/(\\g<\w+>|\\\d)/);
  return text.replace(pyRe(pattern, flags), (...args: unknown[]) => {
    const last = args[args.length - 1];
    const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : undefined;
    const groupEnd = args.length - (named ? 3 : 2);
    const groups = args.slice(0, groupEnd) as (string | undefined)[];
    return parts
      .map((p) => {
        const g = /^\\g<(\w+)>$/.exec(p) ?? /^\\(\d)$/.exec(p);
        if (!g) return p;
        const ref = g[1];
        return (/^\d+$/.test(ref) ? groups[Number(ref)] : named?.[ref]) ?? '';
      })
      .join('');
  });
}

function isPyWs(c: string): boolean {
  return PY_WHITESPACE.includes(c);
}

/** Python `str.strip(chars)`; without `chars`, Python whitespace. */
export function pyStrip(s: string, chars?: string): string {
  return pyRstrip(pyLstrip(s, chars), chars);
}

/** Python `str.lstrip(chars)`. */
export function pyLstrip(s: string, chars?: string): string {
  const drop = chars === undefined ? isPyWs : (c: string) => chars.includes(c);
  let a = 0;
  while (a < s.length && drop(s[a])) a++;
  return s.slice(a);
}

/** Python `str.rstrip(chars)`. */
export function pyRstrip(s: string, chars?: string): string {
  const drop = chars === undefined ? isPyWs : (c: string) => chars.includes(c);
  let b = s.length;
  while (b > 0 && drop(s[b - 1])) b--;
  return s.slice(0, b);
}

/** Python `str.split()` with no argument: runs of whitespace, no empty strings. */
export function pySplitWs(s: string): string[] {
  return pyStrip(s).split(new RegExp(`[${WS_CLASS_BODY}]+`, 'u')).filter((w) => w !== '');
}

/** Python `str.removeprefix`. */
export function removePrefix(s: string, prefix: string): string {
  return s.startsWith(prefix) ? s.slice(prefix.length) : s;
}

/** Python `str.removesuffix`. */
export function removeSuffix(s: string, suffix: string): string {
  return suffix !== '' && s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
}

// CPython's str.isupper/islower use the Unicode Uppercase/Lowercase properties and category Lt.
const LOWER_OR_TITLE = /[\p{Lowercase}\p{Lt}]/u;
const UPPER_OR_TITLE = /[\p{Uppercase}\p{Lt}]/u;
const UPPER = /\p{Uppercase}/u;
const LOWER = /\p{Lowercase}/u;

/** Python `str.isupper()`: at least one cased character and no lowercase or titlecase one. */
export function pyIsUpper(s: string): boolean {
  return UPPER.test(s) && !LOWER_OR_TITLE.test(s);
}

/** Python `str.islower()`: at least one cased character and no uppercase or titlecase one. */
export function pyIsLower(s: string): boolean {
  return LOWER.test(s) && !UPPER_OR_TITLE.test(s);
}
