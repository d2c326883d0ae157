/**
 * Splits one JSON object into its top-level members, keeping each value's exact source text.
 *
 * EvalPlus inputs hold integers beyond 2^53, floats written like `1.0`, and `Infinity`, which
 * JSON.parse would round, turn into ints or reject. Keeping the source text lets the Python side
 * `json.loads` them exactly as EvalPlus does.
 */
export function rawJsonMembers(text: string, where = '<json>'): Map<string, string> {
  const out = new Map<string, string>();
  let i = skipWs(text, 0);
  if (text[i] !== '{') throw new Error(`${where}: expected a JSON object`);
  i = skipWs(text, i + 1);
  if (text[i] === '}') return out;
  for (;;) {
    if (text[i] !== '"') throw new Error(`${where}: expected a key at offset ${i}`);
    const keyEnd = skipString(text, i, where);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipWs(text, keyEnd);
    if (text[i] !== ':') throw new Error(`${where}: expected ":" at offset ${i}`);
    i = skipWs(text, i + 1);
    const start = i;
    i = skipValue(text, i, where);
    out.set(key, text.slice(start, i));
    i = skipWs(text, i);
    if (text[i] === ',') {
      i = skipWs(text, i + 1);
      continue;
    }
    if (text[i] === '}') return out;
    throw new Error(`${where}: expected "," or "}" at offset ${i}`);
  }
}

function skipWs(text: string, i: number): number {
  while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  return i;
}

/** Index just past the string literal that starts at i. */
function skipString(text: string, i: number, where: string): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === '\\') j++;
    else if (text[j] === '"') return j + 1;
  }
  throw new Error(`${where}: unterminated string at offset ${i}`);
}

/** Index just past the value (string, container, number or bare word such as Infinity) that starts at i. */
function skipValue(text: string, i: number, where: string): number {
  const c = text[i];
  if (c === '"') return skipString(text, i, where);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = skipString(text, j, where) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    throw new Error(`${where}: unterminated container at offset ${i}`);
  }
  let j = i;
  while (j < text.length && !',}] \t\n\r'.includes(text[j])) j++;
  if (j === i) throw new Error(`${where}: expected a value at offset ${i}`);
  return j;
}
