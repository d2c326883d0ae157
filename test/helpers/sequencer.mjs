// Starts the longest test files first (longest processing time first): on a fresh CI clone vitest has no timings
// of its own and orders by file size, so a long file could start last and finish minutes after the rest.
// Plain .mjs: Vite loads its config's imports natively.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer } from 'vitest/node';

const SECONDS = JSON.parse(readFileSync(new URL('./durations.json', import.meta.url), 'utf8')).files;

/** vitest sequencer: files in test/helpers/durations.json by their measured time, longest first; the rest after. */
export class LongestFirstSequencer extends BaseSequencer {
  async sort(files) {
    const root = this.ctx.config.root;
    const seconds = (f) => SECONDS[relative(root, f.moduleId)] ?? 0;
    return [...files].sort((a, b) => seconds(b) - seconds(a));
  }
}
