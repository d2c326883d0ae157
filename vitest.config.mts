import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['libs/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'tools/plugins/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Three workers on two cores: about half of the suite's wall time is spent waiting (stand-in latency, server
    // starts, child nx processes), so a third worker fills the idle CPU.
    maxWorkers: 3,
  },
});
