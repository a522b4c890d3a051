import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Builds and servers in tests are real processes: give them room, but bound every test.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // 2-core CI machines: two files at a time keeps the real builds in tests from starving.
    maxWorkers: 2,
    reporters: ['default', './test/support/count-reporter.ts'],
  },
});
