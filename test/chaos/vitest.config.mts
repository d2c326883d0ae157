import { defineConfig } from 'vitest/config';

// The chaos suite drives real `nx` runs against the stand-in vLLM: one file at a time, one worker, so it
// stays lean on a shared machine. `npm run chaos`; the main config excludes test/chaos/**.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
    globalSetup: ['test/chaos/global-setup.ts'],
  },
});
