import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Parses JSONL text; a malformed line is an error naming the file and line. */
export function parseJsonl<T = unknown>(text: string, file = '<jsonl>'): T[] {
  const out: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message}) — the file is truncated or corrupted; delete it and re-run`);
    }
  }
  return out;
}

/** Reads a JSONL file. */
export function readJsonl<T = unknown>(file: string): T[] {
  return parseJsonl<T>(readFileSync(file, 'utf8'), file);
}

/** Writes a file atomically (temp file + rename), so readers never see half a file. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Serializes records as JSONL text (one JSON object a line, trailing newline). */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}
