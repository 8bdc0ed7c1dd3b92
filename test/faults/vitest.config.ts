import { defineConfig } from 'vitest/config';

// Fault tests stop and restart the local PostgreSQL server: one file at a time, never beside the main suite.
export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/faults/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
