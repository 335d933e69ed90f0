import { defineConfig } from 'vitest/config';
import { TEST_TABLE } from './test/support/environment.js';

/**
 * The unit layer alone (`npm run test:unit`): pure code, no DynamoDB, no log capture, in seconds. The table
 * name is the suite's, so the store requests it asserts are the ones the full suite sends.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    env: { TABLE_NAME: TEST_TABLE, LOG_LEVEL: 'SILENT' },
  },
});
