import { defineConfig } from 'vitest/config';

// The chaos suite drives real `nx` runs against the stand-in vLLM: two files at a time (each scenario has its own
// scratch workspace, and its process checks look only at processes carrying that workspace's mark), since much of
// each scenario is waiting (latency, kills, restarts). `npm run chaos`; the main config excludes test/chaos/**.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/chaos/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 2,
    globalSetup: ['test/chaos/global-setup.ts'],
  },
});
