/**
 * Python 3 `re` semantics (str patterns) the reference implementations rely on, for JavaScript:
 * pattern translation, `findall`, `sub` and `str.strip`.
 *
 * JavaScript and Python disagree on most shorthands even when the source text is identical:
 * Python's `.` (without DOTALL) refuses only `\n` where JavaScript's also refuses `\r`, U+2028 and
 * U+2029; Python's `$` (without MULTILINE) also matches before a final `\n`; Python's `\d`, `\w`,
 * `\s` and `\b` are Unicode-aware (any decimal digit, `str.isalnum()` or `_`, `str.isspace()`),
 * where JavaScript's `\d`/`\w` are ASCII and its `\s` is a different set. The translator writes
 * every such construct out explicitly and compiles with the `u` flag, so JavaScript matches by
 * code point as Python does.
 */

/** A pattern the translator cannot express in JavaScript (the caller's config names it). */
export class UnsupportedPatternError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`cannot translate Python regex ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'UnsupportedPatternError';
  }
}

/** Python `re` flags, as passed to `re.compile` or written inline at the start of a pattern. */
export interface PyRegexFlags {
  ignoreCase?: boolean;
  multiline?: boolean;
  dotAll?: boolean;
  /** re.ASCII: `\d`, `\w`, `\s`, `\b` match ASCII only. */
  ascii?: boolean;
}

// Characters for which Python's str.isspace() is true: the set of `\s` and of str.strip().
const PY_WS = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

interface ClassBodies {
  d: string;
  w: string;
  s: string;
}
// Python's Unicode \w is str.isalnum() (letters L*, numbers N*) or "_".
const UNICODE: ClassBodies = { d: '\\p{Nd}', w: '\\p{L}\\p{N}_', s: '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000' };
const ASCII: ClassBodies = { d: '0-9', w: 'A-Za-z0-9_', s: '\\t\\n\\x0b\\x0c\\r ' };

function outsideClass(b: ClassBodies): Record<string, string> {
  const w = `[${b.w}]`;
  return {
    d: `[${b.d}]`,
    D: `[^${b.d}]`,
    w,
    W: `[^${b.w}]`,
    s: `[${b.s}]`,
    S: `[^${b.s}]`,
    b: `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`,
    B: `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`,
    A: '(?<![\\s\\S])',
    Z: '(?![\\s\\S])',
  };
}

const CONTROL_ESCAPES: Record<string, string> = { n: '\\n', t: '\\t', r: '\\r', f: '\\f', v: '\\v', a: '\\x07' };
// Characters JavaScript's `u` mode accepts after a backslash; any other escaped punctuation is a literal.
const JS_SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);

function literal(c: string, inClass: boolean): string {
  return JS_SYNTAX.has(c) || (inClass && c === '-') ? `\\${c}` : c;
}

/** `\xhh`, `\uhhhh`, `\Uhhhhhhhh` starting at src[i] (the letter); returns the JS escape and its length. */
function hexEscape(pattern: string, src: string, i: number): [string, number] {
  const len = { x: 2, u: 4, U: 8 }[src[i] as 'x' | 'u' | 'U'];
  const hex = src.slice(i + 1, i + 1 + len);
  if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) throw new UnsupportedPatternError(pattern, `bad escape \\${src[i]}${hex}`);
  return [`\\u{${hex}}`, len];
}

function leadingFlags(pattern: string, flags: PyRegexFlags): { src: string; flags: PyRegexFlags } {
  const f = { ...flags };
  const inline = /^\(\?([aiLmsux]+)\)/.exec(pattern);
  if (!inline) return { src: pattern, flags: f };
  for (const c of inline[1]) {
    if (c === 'i') f.ignoreCase = true;
    else if (c === 'm') f.multiline = true;
    else if (c === 's') f.dotAll = true;
    else if (c === 'a') f.ascii = true;
    else if (c !== 'u') throw new UnsupportedPatternError(pattern, `inline flag ${c}`);
  }
  return { src: pattern.slice(inline[0].length), flags: f };
}

/** The JavaScript source (for the `u` flag) and whether it needs `i`. */
function translate(pattern: string, given: PyRegexFlags): { source: string; ignoreCase: boolean } {
  const { src, flags } = leadingFlags(pattern, given);
  const bodies = flags.ascii ? ASCII : UNICODE;
  const outside = outsideClass(bodies);
  const inside: Record<string, string> = { d: bodies.d, w: bodies.w, s: bodies.s, D: '\\P{Nd}', b: '\\x08' };
  if (flags.ascii) delete inside.D;
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new UnsupportedPatternError(pattern, 'trailing backslash');
      i++;
      const table = inClass ? inside : outside;
      if (table[n] !== undefined) out += table[n];
      else if (CONTROL_ESCAPES[n] !== undefined) out += CONTROL_ESCAPES[n];
      else if (n === 'x' || n === 'u' || n === 'U') {
        const [esc, len] = hexEscape(pattern, src, i);
        out += esc;
        i += len;
      } else if (!inClass && /[1-9]/.test(n)) out += `\\${n}`;
      else if (/[0-9A-Za-z]/.test(n)) throw new UnsupportedPatternError(pattern, `escape \\${n}${inClass ? ' inside a character class' : ''}`);
      else out += literal(n, inClass);
      continue;
    }
    if (inClass) {
      if (c === ']') {
        inClass = false;
        out += c;
      } else out += c === '[' ? '\\[' : c;
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
      const rest = src.slice(i + 2);
      if (rest.startsWith('#')) {
        const end = src.indexOf(')', i);
        if (end < 0) throw new UnsupportedPatternError(pattern, 'unterminated comment');
        i = end;
        continue;
      }
      if (rest.startsWith('P<')) { out += '(?<'; i += 3; continue; }
      if (rest.startsWith('P=')) {
        const end = src.indexOf(')', i);
        out += `\\k<${src.slice(i + 4, end)}>`;
        i = end;
        continue;
      }
      if (!/^(?::|=|!|<=|<!)/.test(rest)) throw new UnsupportedPatternError(pattern, `group (?${rest.slice(0, 3)}`);
      out += c;
      continue;
    }
    if (c === '{') {
      // Python reads {m}, {m,}, {,n}, {m,n} as repeats and any other brace as a literal.
      const q = /^\{(\d*)(?:(,)(\d*))?\}/.exec(src.slice(i));
      if (q && (q[1] !== '' || (q[2] !== undefined && q[3] !== ''))) {
        out += `{${q[1] === '' ? '0' : q[1]}${q[2] ?? ''}${q[3] ?? ''}}`;
        i += q[0].length - 1;
      } else out += '\\{';
      continue;
    }
    if (c === '}' || c === ']') { out += `\\${c}`; continue; }
    if (c === '.') { out += flags.dotAll ? '[\\s\\S]' : '[^\\n]'; continue; }
    if (c === '^') { out += flags.multiline ? '(?:(?<![\\s\\S])|(?<=\\n))' : '(?<![\\s\\S])'; continue; }
    if (c === '$') { out += flags.multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))'; continue; }
    out += c;
  }
  if (inClass) throw new UnsupportedPatternError(pattern, 'unterminated character class');
  return { source: out, ignoreCase: flags.ignoreCase ?? false };
}

const cache = new Map<string, RegExp>();

/** Compiles a Python regex into a global JavaScript RegExp that matches as Python's `re` does. */
export function pyRegex(pattern: string, flags: PyRegexFlags = {}): RegExp {
  const key = `${flags.ignoreCase ? 'i' : ''}${flags.multiline ? 'm' : ''}${flags.dotAll ? 's' : ''}${flags.ascii ? 'a' : ''}:${pattern}`;
  let re = cache.get(key);
  if (!re) {
    const t = translate(pattern, flags);
    try {
      re = new RegExp(t.source, `gu${t.ignoreCase ? 'i' : ''}`);
    } catch (e) {
      throw new UnsupportedPatternError(pattern, (e as Error).message);
    }
    cache.set(key, re);
  }
  // A fresh object: global RegExps carry lastIndex state.
  return new RegExp(re.source, re.flags);
}

/** Number of capturing groups of a compiled pattern. */
function groupCount(re: RegExp): number {
  const m = new RegExp(`${re.source}|`, re.flags.replace('g', '')).exec('');
  return m ? m.length - 1 : 0;
}

/** Python `re.findall`: whole matches without groups, group 1 with one group, tuples ('' for unset groups) with several. */
export function pyFindall(pattern: string, text: string, flags?: PyRegexFlags): (string | string[])[] {
  const re = pyRegex(pattern, flags);
  const groups = groupCount(re);
  const out: (string | string[])[] = [];
  for (const m of text.matchAll(re)) {
    if (groups === 0) out.push(m[0]);
    else if (groups === 1) out.push(m[1] ?? '');
    else out.push(m.slice(1).map((g) => g ?? ''));
  }
  return out;
}

/** Python `re.sub(pattern, repl, text)` with a literal replacement. */
export function pySub(pattern: string, repl: string, text: string, flags?: PyRegexFlags): string {
  return text.replace(pyRegex(pattern, flags), () => repl);
}

/** Python `str.strip()` with no argument (JavaScript's trim() differs on \x1c-\x1f, \x85 and \ufeff). */
export function pyStrip(s: string): string {
  return pyRstrip(pyLstrip(s));
}

/** Python `str.lstrip()` with no argument. */
export function pyLstrip(s: string): string {
  let a = 0;
  while (a < s.length && PY_WS.includes(s[a])) a++;
  return s.slice(a);
}

/** Python `str.rstrip()` with no argument. */
export function pyRstrip(s: string): string {
  let b = s.length;
  while (b > 0 && PY_WS.includes(s[b - 1])) b--;
  return s.slice(0, b);
}
