import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Prunes .cache/test-projects of projects no test has used in days.
    globalSetup: ['test/support/global-setup.ts'],
  },
});
