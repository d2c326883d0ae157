import { parseDocument, stringify } from 'yaml';

/** One mutation of a config file: what was done (for the failure message) and the new text. */
export interface Mutation {
  what: string;
  text: string;
}

type Rng = () => number;
const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

const HUGE = [1e308, -1e308, 9007199254740993, 2 ** 64, -1, 0, -0.5, 1.5, Number.MAX_SAFE_INTEGER, 1e-320];
const UNICODE = ['qwen3‐4b', 'ｑｗｅｎ３', 'модель', '模型', '🦙🦙', 'a\u200bb', 'x\u202eevil', 'é'.normalize('NFD'), 'tab\there', 'nul\u0000byte', 'x'.repeat(5000)];
const ODD_KEYS = ['sampel_limit', 'modles', 'dataset', 'Models', 'max-tokens', '__proto__', 'constructor', 'prototype', 'toString', '🦙', '', ' models'];

/** Every path (list of keys) to a scalar or container inside a parsed YAML value. */
function paths(v: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = prefix.length ? [prefix] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function getAt(v: unknown, p: (string | number)[]): unknown {
  return p.reduce<unknown>((cur, k) => (cur as Record<string | number, unknown>)?.[k], v);
}

function setAt(v: unknown, p: (string | number)[], value: unknown): void {
  const parent = getAt(v, p.slice(0, -1)) as Record<string | number, unknown>;
  parent[p[p.length - 1]] = value;
}

function deleteAt(v: unknown, p: (string | number)[]): void {
  const parent = getAt(v, p.slice(0, -1));
  const k = p[p.length - 1];
  if (Array.isArray(parent)) parent.splice(Number(k), 1);
  else delete (parent as Record<string | number, unknown>)[k];
}

function otherType(rng: Rng, v: unknown): unknown {
  const options: unknown[] = [null, true, 'a string', 42, [], {}, [1, 'two'], { nested: { deeper: 1 } }, '', '42', 'true', 'null'];
  let out = pick(rng, options);
  for (let i = 0; i < 5 && JSON.stringify(out) === JSON.stringify(v); i++) out = pick(rng, options);
  return out;
}

function typo(rng: Rng, s: string): string {
  if (s.length < 2) return s + 'x';
  const i = Math.floor(rng() * (s.length - 1));
  const ops = [
    () => s.slice(0, i) + s.slice(i + 1), // drop a char
    () => s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2), // swap two
    () => s.slice(0, i) + 'q' + s.slice(i), // insert
    () => s.toUpperCase(),
  ];
  return pick(rng, ops)();
}

/** Structural mutations: the YAML stays well-formed, the content does not. */
function structural(rng: Rng, text: string, refs: Record<string, string[]>): Mutation {
  const data = parseDocument(text).toJS() as Record<string, unknown>;
  const all = paths(data);
  const p = pick(rng, all);
  const cur = getAt(data, p);
  const where = p.join('.');
  const kind = pick(rng, ['type', 'delete', 'unknown-key', 'rename-key', 'reference', 'huge', 'unicode', 'root-type', 'empty-list'] as const);
  let what: string;
  switch (kind) {
    case 'type': {
      const v = otherType(rng, cur);
      setAt(data, p, v);
      what = `${where}: value replaced by ${JSON.stringify(v)}`;
      break;
    }
    case 'delete':
      deleteAt(data, p);
      what = `${where}: deleted`;
      break;
    case 'unknown-key': {
      const objs = all.filter((q) => { const x = getAt(data, q); return x && typeof x === 'object' && !Array.isArray(x); });
      const target = objs.length ? pick(rng, objs) : [];
      const obj = (target.length ? getAt(data, target) : data) as Record<string, unknown>;
      const key = pick(rng, ODD_KEYS);
      Object.defineProperty(obj, key, { value: pick(rng, [1, 'x', true, null]), enumerable: true, configurable: true, writable: true });
      what = `${target.join('.') || '(root)'}: unknown key ${JSON.stringify(key)} added`;
      break;
    }
    case 'rename-key': {
      const k = p[p.length - 1];
      if (typeof k !== 'string') return structural(rng, text, refs);
      const parent = getAt(data, p.slice(0, -1)) as Record<string, unknown>;
      const nk = typo(rng, k);
      parent[nk] = parent[k];
      if (nk !== k) delete parent[k];
      what = `${where}: key renamed to ${JSON.stringify(nk)}`;
      break;
    }
    case 'reference': {
      const refPaths = all.filter((q) => typeof getAt(data, q) === 'string' && Object.values(refs).some((names) => names.includes(getAt(data, q) as string)));
      if (!refPaths.length) return structural(rng, text, refs);
      const q = pick(rng, refPaths);
      const name = getAt(data, q) as string;
      const v = pick(rng, [typo(rng, name), `${name}-missing`, '', '../../etc/passwd', name.toUpperCase(), pick(rng, Object.values(refs).flat())]);
      setAt(data, q, v);
      what = `${q.join('.')}: reference ${JSON.stringify(name)} changed to ${JSON.stringify(v)}`;
      break;
    }
    case 'huge': {
      const nums = all.filter((q) => typeof getAt(data, q) === 'number');
      const q = nums.length ? pick(rng, nums) : p;
      const v = pick(rng, HUGE);
      setAt(data, q, v);
      what = `${q.join('.')}: number set to ${v}`;
      break;
    }
    case 'unicode': {
      const strs = all.filter((q) => typeof getAt(data, q) === 'string');
      const q = strs.length ? pick(rng, strs) : p;
      const v = pick(rng, UNICODE);
      setAt(data, q, v);
      what = `${q.join('.')}: string set to ${JSON.stringify(v.slice(0, 30))}${v.length > 30 ? '…' : ''}`;
      break;
    }
    case 'root-type': {
      const v = pick(rng, [[1, 2, 3], 'just a string', 42, null]);
      return { what: `(document): replaced by ${JSON.stringify(v)}`, text: stringify(v) };
    }
    case 'empty-list': {
      const lists = all.filter((q) => Array.isArray(getAt(data, q)));
      if (!lists.length) return structural(rng, text, refs);
      const q = pick(rng, lists);
      setAt(data, q, []);
      what = `${q.join('.')}: emptied`;
      break;
    }
  }
  return { what, text: stringify(data) };
}

/** Syntax-level mutations of the text itself. */
function syntactic(rng: Rng, text: string): Mutation {
  const lines = text.split('\n');
  const i = Math.floor(rng() * Math.max(1, lines.length - 1));
  const kind = pick(rng, ['truncate', 'drop-char', 'tab-indent', 'unbalanced', 'duplicate-key', 'colon', 'alias-bomb', 'binary', 'bom', 'empty', 'bad-indent', 'quote'] as const);
  switch (kind) {
    case 'truncate': {
      const at = Math.floor(rng() * text.length);
      return { what: `truncated at byte ${at}`, text: text.slice(0, at) };
    }
    case 'drop-char': {
      const at = Math.floor(rng() * text.length);
      return { what: `character ${at} (${JSON.stringify(text[at])}) deleted`, text: text.slice(0, at) + text.slice(at + 1) };
    }
    case 'tab-indent':
      lines[i] = `\t${lines[i]}`;
      return { what: `line ${i + 1} indented with a tab`, text: lines.join('\n') };
    case 'unbalanced':
      lines[i] = `${lines[i]} [unclosed, {`;
      return { what: `line ${i + 1}: unbalanced brackets appended`, text: lines.join('\n') };
    case 'duplicate-key': {
      const top = lines.filter((l) => /^[a-z_]+:/.test(l));
      return { what: 'a top-level key duplicated', text: `${text}\n${top.length ? pick(rng, top) : 'x: 1\nx: 2'}\n` };
    }
    case 'colon':
      lines[i] = `${lines[i]}: : :`;
      return { what: `line ${i + 1}: stray colons`, text: lines.join('\n') };
    case 'alias-bomb': {
      const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
      for (let k = 1; k < 9; k++) bomb.push(`${String.fromCharCode(97 + k)}: &${String.fromCharCode(97 + k)} [${Array(9).fill(`*${String.fromCharCode(96 + k)}`).join(',')}]`);
      return { what: 'billion-laughs alias bomb appended', text: `${text}\n${bomb.join('\n')}\n` };
    }
    case 'binary': {
      const bytes = Array.from({ length: 64 }, () => String.fromCharCode(Math.floor(rng() * 256))).join('');
      return { what: '64 random bytes inserted', text: lines.slice(0, i).join('\n') + bytes + lines.slice(i).join('\n') };
    }
    case 'bom':
      return { what: 'byte-order mark and a NUL prepended', text: `\ufeff\u0000${text}` };
    case 'empty':
      return { what: 'emptied', text: pick(rng, ['', '\n', '---\n', '# only a comment\n', '~\n']) };
    case 'bad-indent':
      lines[i] = `   ${lines[i]}`;
      return { what: `line ${i + 1} indented by 3 spaces`, text: lines.join('\n') };
    case 'quote':
      lines[i] = `${lines[i]} "unterminated`;
      return { what: `line ${i + 1}: unterminated quote`, text: lines.join('\n') };
  }
}

/** A seeded random mutation of a YAML config: two in three keep the syntax and break the content. */
export function mutateConfig(rng: Rng, text: string, refs: Record<string, string[]>): Mutation {
  return rng() < 0.67 ? structural(rng, text, refs) : syntactic(rng, text);
}
