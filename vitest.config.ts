import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // log-capture.ts comes after the DynamoDB setup, so its teardown (the secret audit) runs before dynalite stops.
    globalSetup: ['test/support/global-setup.ts', 'test/support/log-capture.ts'],
    setupFiles: ['test/support/env.ts', 'test/support/log-capture.ts'],
    // Generous on purpose: CI machines are busy. Tests wait for conditions, and these only turn a hang into a failure.
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
