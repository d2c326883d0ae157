import { existsSync, readFileSync } from 'node:fs';

/**
 * The complete JSON lines of a log another process is still appending to: text after the last newline is a line
 * being written, and a reader can see part of it (servers.test.ts once read 966 bytes of a longer request line).
 */
export function completeJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}
