import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { LineCounter, parseDocument, isNode, type YAMLError } from 'yaml';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './errors';
import { didYouMean } from './did-you-mean';

/** Parsed YAML plus the means to map a field path back to a line. */
export interface YamlSource {
  file: string;
  data: unknown;
  lineOf(path: PropertyKey[]): number | undefined;
}

/** Reads and parses a YAML file; syntax errors become ConfigError with the line. */
export function readYaml(file: string, displayRoot = process.cwd()): YamlSource {
  const shown = relative(displayRoot, file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([{ file: shown, field: '', expected: 'a readable file', found: (e as NodeJS.ErrnoException).code ?? String(e) }]);
  }
  return parseYaml(text, shown);
}

/** Parses YAML text shown to the user as `shown`; syntax errors become ConfigError with the line. */
export function parseYaml(text: string, shown: string): YamlSource {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError([syntaxProblem(shown, doc.errors, lc)]);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    // yaml refuses a document whose aliases expand too far (a "billion laughs"): bad input, reported like any other.
    throw new ConfigError([{ file: shown, field: '', expected: 'YAML whose aliases expand to at most 100 nodes', found: `a document that expands further (${(e as Error).message.split('\n')[0]})` }]);
  }
  return {
    file: shown,
    data,
    lineOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true);
        if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}

/**
 * One problem for a file's syntax errors: the first, with its line and column. A parser's later errors mostly follow
 * from the first (one tab indent gave 15 near-identical lines), so they are counted, not listed.
 */
function syntaxProblem(file: string, errors: YAMLError[], lc: LineCounter): ConfigProblem {
  const [first] = [...errors].sort((a, b) => a.pos[0] - b.pos[0]);
  const { line, col } = lc.linePos(first.pos[0]);
  const more = errors.length - 1;
  return {
    file,
    field: '',
    line,
    column: col,
    expected: 'valid YAML',
    found: `a syntax error: ${first.message.split('\n')[0]} (${first.code})`,
    ...(more > 0 && { hint: `${more} later syntax error${more > 1 ? 's' : ''} may follow from this one; fix it first` }),
  };
}

function describeFound(v: unknown): string {
  if (v === undefined) return 'nothing (the field is missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (typeof v === 'object') return 'a mapping';
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 60 ? s.slice(0, 57) + '...' : s}`;
}

function valueAt(data: unknown, path: PropertyKey[]): unknown {
  let cur = data;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

/** The object shape a schema expects at a path, to list the keys it knows. */
function keysAt(schema: z.ZodType, path: PropertyKey[]): string[] {
  let s: z.ZodType | undefined = schema;
  for (const k of [...path, null]) {
    for (let guard = 0; s && guard < 10; guard++) {
      const def: Record<string, unknown> = (s as unknown as { def: Record<string, unknown> }).def;
      if (def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'readonly') s = def.innerType as z.ZodType;
      else if (def.type === 'pipe') s = def.in as z.ZodType;
      else if (def.type === 'union') s = (def.options as z.ZodType[]).find((o) => (o as unknown as { def: { type: string } }).def.type === 'object') ?? (def.options as z.ZodType[])[0];
      else break;
    }
    if (!s) return [];
    const def: Record<string, unknown> = (s as unknown as { def: Record<string, unknown> }).def;
    if (k === null) return def.type === 'object' ? Object.keys(def.shape as object) : [];
    if (def.type === 'object') s = (def.shape as Record<string, z.ZodType>)[String(k)];
    else if (def.type === 'array') s = def.element as z.ZodType;
    else if (def.type === 'record') s = def.valueType as z.ZodType;
    else return [];
  }
  return [];
}

function expectedOf(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : issue.expected;
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array' ? `at least ${issue.minimum} item(s)` : `${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array' ? `at most ${issue.maximum} item(s)` : `${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_format':
      return issue.message ?? issue.format;
    case 'invalid_union':
      return 'one of the allowed forms';
    default:
      return issue.message;
  }
}

/** Turns zod issues into one ConfigProblem each, with "did you mean" for near-miss keys and values. */
export function problemsFromZod(src: YamlSource, schema: z.ZodType, error: z.ZodError): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[];
    if (issue.code === 'unrecognized_keys') {
      const known = keysAt(schema, path).filter((k) => k !== '$schema');
      for (const key of issue.keys) {
        const guess = didYouMean(key, known);
        out.push({
          file: src.file,
          field: [...path, key].join('.'),
          line: src.lineOf([...path, key]),
          expected: `no unknown key (known: ${known.join(', ')})`,
          found: `key "${key}"`,
          hint: guess ? `did you mean "${guess}"?` : 'remove it',
        });
      }
      continue;
    }
    const found = valueAt(src.data, path);
    let hint: string | undefined;
    if (issue.code === 'invalid_value' && typeof found === 'string') {
      const guess = didYouMean(found, issue.values.map(String));
      if (guess) hint = `did you mean "${guess}"?`;
    }
    out.push({ file: src.file, field: path.join('.'), line: src.lineOf(path), expected: expectedOf(issue), found: describeFound(found), hint });
  }
  return out;
}

/** Marks a value the user still has to fill in (written by the `nx g` generators): `TODO: what to put here`. */
export const PLACEHOLDER_PREFIX = 'TODO:';

/** One problem per string value still holding a placeholder, so a half-filled config names every field left. */
export function placeholderProblems(src: YamlSource): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  const walk = (v: unknown, path: PropertyKey[]): void => {
    if (typeof v === 'string' && v.startsWith(PLACEHOLDER_PREFIX)) {
      out.push({ file: src.file, field: path.join('.'), line: src.lineOf(path), expected: v.slice(PLACEHOLDER_PREFIX.length).trim(), found: 'a TODO placeholder', hint: 'fill it in' });
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(src.data, []);
  return out;
}

/** Validates parsed YAML against a schema: placeholders first, then the schema's problems on the other fields. */
export function checkSource<S extends z.ZodType>(src: YamlSource, schema: S): { value?: z.output<S>; problems: ConfigProblem[] } {
  const todo = placeholderProblems(src);
  const parsed = schema.safeParse(src.data);
  if (parsed.success && todo.length === 0) return { value: parsed.data, problems: [] };
  const filled = new Set(todo.map((p) => p.field));
  const rest = parsed.success ? [] : problemsFromZod(src, schema, parsed.error).filter((p) => !filled.has(p.field));
  return { problems: [...todo, ...rest] };
}

/** Reads a YAML file and validates it; throws ConfigError listing every problem. */
export function loadConfig<S extends z.ZodType>(file: string, schema: S, displayRoot?: string): z.output<S> {
  const { value, problems } = checkSource(readYaml(file, displayRoot), schema);
  if (problems.length) throw new ConfigError(problems);
  return value as z.output<S>;
}
