import { defineConfig } from 'vitest/config';

/** The unit layer alone (`npx vitest run --config vitest.unit.config.ts`): pure code, no DynamoDB, no log capture. */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
  },
});
