import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/helpers/sequencer.mjs';
import { sourceAliases } from './test/helpers/source-aliases.mjs';

const root = new URL('.', import.meta.url).pathname;

export default defineConfig({
  resolve: { alias: sourceAliases(root) },
  test: {
    globalSetup: ['test/helpers/build-setup.ts'],
    include: ['libs/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'tools/plugins/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { sequencer: LongestFirstSequencer },
    // Three workers on two cores: part of the suite's wall time is waiting (stand-in latency, server starts, sleeps
    // between faults). Measured in CI runs of 91 files: 3 workers 612 s, 4 workers 661 s.
    maxWorkers: 3,
  },
});
