/**
 * The proxy's last resort: an error no input should cause (a bug) still gets the client an answer and is
 * logged as a summary that holds no ticket — unlike the error itself, whose properties can.
 */
import { describe, expect, it } from 'vitest';
import { captureOutput } from '../support/console-fixtures.js';

// The unit run silences logs; this test reads the proxy's (its logger takes the level when first imported).
process.env.LOG_LEVEL = 'INFO';
const { guarded } = await import('../../proxy/guard.js');
const { errorSummary } = await import('../../proxy/log.js');

const SECRET = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5';
const TICKET = `acme.${SECRET.slice(0, 43)}`;

function urlError(): Error {
  try {
    new URL(`//?token=${TICKET}`);
  } catch (error) {
    return error as Error;
  }
  throw new Error('new URL did not throw');
}

describe('errorSummary', () => {
  it("keeps an error's name, code and frames but no ticket from its message or properties", () => {
    const error = urlError();
    expect(JSON.stringify({ ...error, message: error.message })).toContain(TICKET.slice(5)); // what Node's crash dump would print
    const summary = errorSummary(error);
    expect(summary).toMatchObject({ name: 'TypeError', message: 'Invalid URL', code: 'ERR_INVALID_URL' });
    expect(summary.stack).toMatch(/^ {4}at /);
    expect(JSON.stringify(summary)).not.toContain(SECRET.slice(0, 43));
  });

  it('masks a ticket that is in the message itself', () => {
    expect(errorSummary(new Error(`cannot redeem ${TICKET}`)).message).toBe('cannot redeem acme.***');
  });
});

describe('guarded', () => {
  it.each([
    ['throws', (_who: string): void => { throw urlError(); }],
    ['rejects', async (_who: string): Promise<void> => { throw urlError(); }],
  ])('answers with the fallback and logs no ticket when the handler %s', async (_case, handler) => {
    const lines: string[] = [];
    const answered: string[] = [];
    const restore = captureOutput((text) => lines.push(text));
    try {
      guarded('request', handler, (who: string) => void answered.push(who))('client');
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      restore();
    }
    expect(answered).toEqual(['client']);
    const log = lines.join('');
    expect(log).toContain('"message":"console proxy request failed"');
    expect(log).toContain('"entry":"request"');
    expect(log).not.toContain(SECRET.slice(0, 43));
  });
});
