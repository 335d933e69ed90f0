import { describe, expectTypeOf, it } from 'vitest';
import type { ConsoleSessionReport } from '../../lib/protocol/console-proxy.js';
import type { ConsoleSessionRecord } from '../../lib/records.js';

describe('records', () => {
  // A type-level check (`npx tsc -p .` fails when it breaks): lib/records.ts spells out the audit record,
  // because the report's schema lives in a module that imports the store.
  it('stores a console session as the proxy reported it, plus when it was recorded and until when it is kept', () => {
    expectTypeOf<Omit<ConsoleSessionRecord, 'recordedAt' | 'expiresAt'>>().toEqualTypeOf<ConsoleSessionReport>();
  });
});
