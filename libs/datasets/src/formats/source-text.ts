import type { NormalizeInput, SourceText } from './types';

/** The single source file with a role; a config without it is an error naming the role. */
export function fileByRole(input: NormalizeInput, role: string): SourceText {
  const found = input.files.filter((f) => f.role === role);
  if (found.length !== 1) {
    throw new Error(`dataset ${input.dataset}: expected exactly one source file with role "${role}", found ${found.length} (roles: ${input.files.map((f) => f.role).join(', ')})`);
  }
  return found[0];
}

/** Parses JSON Lines strictly: a bad line is an error naming the file and line. */
export function jsonLines<T = Record<string, unknown>>(file: SourceText): T[] {
  const out: T[] = [];
  const lines = file.text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new Error(`${file.path}:${i + 1}: not valid JSON (${(e as Error).message})`);
    }
  }
  return out;
}

/** Non-empty lines of a labels file (`*.lst`: one label per line), trimmed. */
export function labelLines(file: SourceText): string[] {
  return file.text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

/** Asserts that a data file and its labels file line up one to one. */
export function assertSameLength(a: unknown[], b: unknown[], what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} records but ${b.length} labels`);
}

/** A string field of a source record; anything else is an error naming the record. */
export function str(rec: Record<string, unknown>, key: string, where: string): string {
  const v = rec[key];
  if (typeof v !== 'string') throw new Error(`${where}: field "${key}" is ${v === undefined ? 'missing' : typeof v}, expected a string`);
  return v;
}
