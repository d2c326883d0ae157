import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['libs/*/test/**/*.test.ts', 'tools/*/test/**/*.test.ts', 'tools/plugins/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Four workers on two cores: much of the suite's wall time is spent waiting (stand-in latency, server starts,
    // sleeps between faults), so extra workers fill the idle CPU. Measured on 2 cores: 2 workers used ~1.1 cores.
    maxWorkers: 4,
  },
});
