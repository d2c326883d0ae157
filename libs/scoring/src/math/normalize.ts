/**
 * MATH answer extraction and normalization, ported line by line from lm-evaluation-harness
 * lm_eval/tasks/hendrycks_math/utils.py (harness commit 4e7e0d47f33bc71070c1d38394bafbb52b117163),
 * which itself is the normalization of Hendrycks et al.'s MATH release (hendrycks/math
 * modeling/math_equivalence.py). Where the two differ, this follows the harness: `\boxed 64`
 * (a space, no braces) is an answer, and an int() failure inside fix_a_slash_b falls back to raw
 * comparison instead of leaving the string as is. Python's string semantics
 * are kept: indexing and lengths count code points, and every place where the Python code raises
 * (an assert, int() of a non-integer, an index past the end) throws a PythonError, which
 * `isEquiv` turns into a plain string comparison exactly as the reference's `except Exception`.
 */

/** Stands for an exception the Python reference raises at the same point. */
export class PythonError extends Error {
  constructor(kind: string, where: string) {
    super(`${kind} in ${where}`);
    this.name = 'PythonError';
  }
}

const cps = (s: string): string[] => Array.from(s);

/** `last_boxed_only_string`: `\boxed ...` up to `$` when the text has one, else the last `\boxed{...}` (or `\fbox{...}`), or null. */
export function lastBoxedOnlyString(s: string): string | null {
  let idx = s.lastIndexOf('\\boxed');
  if (s.includes('\\boxed ')) return '\\boxed ' + s.split('\\boxed ').pop()!.split('$')[0];
  if (idx < 0) {
    idx = s.lastIndexOf('\\fbox');
    if (idx < 0) return null;
  }
  // Braces are ASCII, so scanning UTF-16 units finds the same positions as Python's code points.
  let open = 0;
  for (let i = idx; i < s.length; i++) {
    if (s[i] === '{') open++;
    if (s[i] === '}') {
      open--;
      if (open === 0) return s.slice(idx, i + 1);
    }
  }
  return null;
}

/** `remove_boxed`: the content of `\boxed{...}` / `\boxed ...`; throws where the reference asserts. */
export function removeBoxed(s: string): string {
  if (s.includes('\\boxed ')) {
    if (!s.startsWith('\\boxed ')) throw new PythonError('AssertionError', 'remove_boxed');
    return s.slice('\\boxed '.length);
  }
  if (!s.startsWith('\\boxed{') || !s.endsWith('}')) throw new PythonError('AssertionError', 'remove_boxed');
  return s.slice('\\boxed{'.length, -1);
}

/** `fix_fracs`: `\frac12` → `\frac{1}{2}`, `\frac1{72}` → `\frac{1}{72}`. */
export function fixFracs(string: string): string {
  const substrs = string.split('\\frac');
  let newStr = substrs[0];
  for (const substr of substrs.slice(1)) {
    newStr += '\\frac';
    const c = cps(substr);
    if (c.length === 0) throw new PythonError('IndexError', 'fix_fracs');
    if (c[0] === '{') {
      newStr += substr;
    } else {
      if (c.length < 2) return string;
      const [a, b] = c;
      const post = c.slice(2).join('');
      if (b !== '{') newStr += '{' + a + '}{' + b + '}' + post;
      else newStr += '{' + a + '}' + b + post;
    }
  }
  return newStr;
}

// Python's int(str): surrounding whitespace (str.isspace() except \x1c-\x1f, which int() refuses), a sign,
// decimal digits with single underscores between them.
const PY_INT = /^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*([+-]?)(\p{Nd}+(?:_\p{Nd}+)*)[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$/u;

/**
 * `str(int(s))` of Python, or a thrown ValueError. Python also accepts non-ASCII decimal digits; their
 * str() is ASCII, so such a number never formats back to its own text: null stands for that.
 */
export function pyIntStr(s: string): string | null {
  const m = PY_INT.exec(s);
  if (!m) throw new PythonError('ValueError', 'int()');
  if (/[^0-9_]/.test(m[2])) return null;
  const v = BigInt(m[2].replace(/_/g, ''));
  return (m[1] === '-' && v !== 0n ? '-' : '') + v.toString();
}

/** `fix_a_slash_b`: "3/4" → `\frac{3}{4}` only when both sides are canonical integers. */
export function fixASlashB(string: string): string {
  const parts = string.split('/');
  if (parts.length !== 2) return string;
  const a = pyIntStr(parts[0]);
  const b = pyIntStr(parts[1]);
  if (a === null || b === null || string !== `${a}/${b}`) return string;
  return '\\frac{' + a + '}{' + b + '}';
}

/** `remove_right_units`: drops everything from `\text{ ` on (units); throws when it occurs twice. */
export function removeRightUnits(string: string): string {
  if (!string.includes('\\text{ ')) return string;
  const splits = string.split('\\text{ ');
  if (splits.length !== 2) throw new PythonError('AssertionError', 'remove_right_units');
  return splits[0];
}

/** `fix_sqrt`: `\sqrt3` → `\sqrt{3}`. */
export function fixSqrt(string: string): string {
  if (!string.includes('\\sqrt')) return string;
  const splits = string.split('\\sqrt');
  let out = splits[0];
  for (const split of splits.slice(1)) {
    const c = cps(split);
    if (c.length === 0) throw new PythonError('IndexError', 'fix_sqrt');
    out += c[0] !== '{' ? '\\sqrt{' + c[0] + '}' + c.slice(1).join('') : '\\sqrt' + split;
  }
  return out;
}

/** `strip_string`: the reference normalization of a MATH answer. */
export function stripString(input: string): string {
  let s = input.replaceAll('\n', '');
  s = s.replaceAll('\\!', '');
  s = s.replaceAll('\\\\', '\\');
  s = s.replaceAll('tfrac', 'frac');
  s = s.replaceAll('dfrac', 'frac');
  s = s.replaceAll('\\left', '');
  s = s.replaceAll('\\right', '');
  s = s.replaceAll('^{\\circ}', '');
  s = s.replaceAll('^\\circ', '');
  s = s.replaceAll('\\$', '');
  s = removeRightUnits(s);
  s = s.replaceAll('\\%', '');
  s = s.replaceAll(' .', ' 0.');
  s = s.replaceAll('{.', '{0.');
  if (s.length === 0) return s;
  if (s[0] === '.') s = '0' + s;
  const eq = s.split('=');
  if (eq.length === 2 && cps(eq[0]).length <= 2) s = eq[1];
  s = fixSqrt(s);
  s = s.replaceAll(' ', '');
  s = fixFracs(s);
  if (s === '0.5') s = '\\frac{1}{2}';
  s = fixASlashB(s);
  return s;
}

/** `is_equiv`: equal after strip_string; when normalization raises, equal as raw strings. */
export function isEquiv(a: string | null, b: string | null): boolean {
  if (a === null && b === null) return true;
  if (a === null || b === null) return false;
  try {
    return stripString(a) === stripString(b);
  } catch (e) {
    if (e instanceof PythonError) return a === b;
    throw e;
  }
}

/**
 * The final boxed answer of a response, `remove_boxed(last_boxed_only_string(text))` as Hendrycks'
 * modeling/eval_math_gpt.py applies it to model output, with the harness port's two functions; null
 * when there is no box or where remove_boxed raises (e.g. a last box written `\fbox{...}`), which
 * Hendrycks' remove_boxed turns into None and is_equiv into a wrong answer.
 */
export function extractBoxed(text: string): string | null {
  const boxed = lastBoxedOnlyString(text);
  if (boxed === null) return null;
  try {
    return removeBoxed(boxed);
  } catch (e) {
    if (e instanceof PythonError) return null;
    throw e;
  }
}
