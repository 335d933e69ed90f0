import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // log-capture.ts comes after the DynamoDB setup, so its teardown (the secret audit) runs before dynalite stops.
    globalSetup: ['test/support/global-setup.ts', 'test/support/log-capture.ts'],
    setupFiles: ['test/support/env.ts', 'test/support/log-capture.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
