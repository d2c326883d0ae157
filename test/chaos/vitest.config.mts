import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from '../helpers/sequencer.mjs';
import { sourceAliases } from '../helpers/source-aliases.mjs';

const root = new URL('../..', import.meta.url).pathname;

// The chaos suite drives real `nx` runs against the stand-in vLLM: two files at a time (each scenario has its own
// scratch workspace, and its process checks look only at processes carrying that workspace's mark), since much of
// each scenario is waiting (latency, kills, restarts). `npm run chaos`; the main config excludes test/chaos/**.
export default defineConfig({
  resolve: { alias: sourceAliases(root) },
  test: {
    root,
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    sequence: { sequencer: LongestFirstSequencer },
    maxWorkers: 2,
    globalSetup: ['test/helpers/build-setup.ts', 'test/chaos/global-setup.ts'],
  },
});
