import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// Two `nx` runs of one workspace may prepare the same dataset at once (both miss the cache); each swap can lose the
// race to the other's, so a swap is retried this many times before the error is real.
const SWAP_ATTEMPTS = 20;

/** Whether `dir` holds exactly these files with this content (so there is nothing to write). */
function holds(dir: string, files: Record<string, string>): boolean {
  try {
    const names = readdirSync(dir);
    if (names.length !== Object.keys(files).length) return false;
    return names.every((n) => Object.hasOwn(files, n) && readFileSync(join(dir, n), 'utf8') === files[n]);
  } catch {
    return false; // absent, or swapped away while being read
  }
}

const lostRace = (e: unknown) => ['ENOTEMPTY', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * Writes all files of a preparation into a fresh directory and swaps it in, so readers never see a mix. A
 * directory that already holds the same files is left in place, so concurrent writers of one preparation all succeed.
 */
export function writeDirAtomic(dir: string, files: Record<string, string>): void {
  mkdirSync(dirname(dir), { recursive: true });
  if (holds(dir, files)) return;
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(tmp, name), text);
    for (let attempt = 1; ; attempt++) {
      if (holds(dir, files)) return; // a concurrent writer placed the same preparation first
      const old = `${tmp.replace('.tmp-', '.old-')}-${attempt}`;
      try {
        renameSync(dir, old);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      try {
        renameSync(tmp, dir);
        return;
      } catch (e) {
        if (!lostRace(e) || attempt >= SWAP_ATTEMPTS) throw e;
      } finally {
        rmSync(old, { recursive: true, force: true });
      }
    }
  } finally {
    if (existsSync(tmp)) rmSync(tmp, { recursive: true, force: true });
  }
}
