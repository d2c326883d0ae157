/**
 * Python `re` semantics the reference implementations rely on, for JavaScript: pattern
 * translation, `findall`, `sub` and `str.strip`.
 */

/** A pattern the translator cannot express in JavaScript. */
export class UnsupportedPatternError extends Error {
  constructor(readonly pattern: string, reason: string) {
    super(`cannot translate Python regex ${JSON.stringify(pattern)}: ${reason}`);
    this.name = 'UnsupportedPatternError';
  }
}

const cache = new Map<string, RegExp>();

/**
 * Compiles a Python regex into a global JavaScript RegExp. Handles leading inline flags
 * (`(?s)`, `(?i)`, `(?m)`), `(?P<name>`, `\A`, `\Z`, and Python's `$`, which without MULTILINE
 * also matches just before a final newline.
 */
export function pyRegex(pattern: string): RegExp {
  const hit = cache.get(pattern);
  if (hit) return new RegExp(hit.source, hit.flags);
  let src = pattern;
  let flags = 'g';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (inline) {
    for (const f of inline[1]) {
      if (f === 'i' || f === 'm' || f === 's') flags += f;
      else if (f !== 'u' && f !== 'a') throw new UnsupportedPatternError(pattern, `inline flag ${f}`);
    }
    src = src.slice(inline[0].length);
  }
  const multiline = flags.includes('m');
  let out = '';
  let inClass = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (!inClass && next === 'A') out += '(?<![\\s\\S])';
      else if (!inClass && next === 'Z') out += '(?![\\s\\S])';
      else out += c + next;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      // A leading ']' (or '^]') is literal in Python classes; escape it for JS.
      if (src[i + 1] === '^') { out += '^'; i++; }
      if (src[i + 1] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && src.startsWith('(?P<', i)) { out += '(?<'; i += 3; continue; }
    if (c === '(' && src.startsWith('(?P=', i)) throw new UnsupportedPatternError(pattern, 'named backreference (?P=');
    if (c === '$' && !multiline) { out += '(?=\\n?(?![\\s\\S]))'; continue; }
    out += c;
  }
  const re = new RegExp(out, flags);
  cache.set(pattern, re);
  return new RegExp(re.source, re.flags);
}

/** Number of capturing groups of a compiled pattern. */
function groupCount(re: RegExp): number {
  const m = new RegExp(`${re.source}|`, re.flags.replace('g', '')).exec('');
  return m ? m.length - 1 : 0;
}

/** Python `re.findall`: whole matches without groups, group 1 with one group, tuples with several. */
export function pyFindall(pattern: string, text: string): (string | string[])[] {
  const re = pyRegex(pattern);
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
export function pySub(pattern: string, repl: string, text: string): string {
  return text.replace(pyRegex(pattern), () => repl);
}

// Characters for which Python's str.isspace() is true (str.strip() removes them); differs from
// JavaScript's trim() on \x1c-\x1f, \x85 and \ufeff.
const PY_WS = '\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';

/** Python `str.strip()` with no argument. */
export function pyStrip(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && PY_WS.includes(s[a])) a++;
  while (b > a && PY_WS.includes(s[b - 1])) b--;
  return s.slice(a, b);
}
