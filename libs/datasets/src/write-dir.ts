import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Writes all files of a preparation into a fresh directory and swaps it in, so readers never see a mix. */
export function writeDirAtomic(dir: string, files: Record<string, string>): void {
  mkdirSync(dirname(dir), { recursive: true });
  const stamp = `${process.pid}-${Date.now()}`;
  const tmp = `${dir}.tmp-${stamp}`;
  mkdirSync(tmp, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
  const old = `${dir}.old-${stamp}`;
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}
