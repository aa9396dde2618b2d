import { defineConfig } from 'vitest/config';

/**
 * The fault suite (`npm run test:faults`): processes killed and started against one SQLite file, locks held
 * from other processes, values the database refuses. Slower than the unit suite and timing-sensitive, so
 * its files run one at a time with generous timeouts.
 */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
