import { z } from 'zod';

/** Reusable pieces of request schemas. */
export const anyRecord = z.record(z.string(), z.string().optional());

/** HTTP Basic credentials, decoded; refuses anything that is not `Basic base64(user:password)`. */
export const BasicAuthHeader = z
  .string({ error: (issue) => (issue.input === undefined ? 'HTTP Basic credentials are required' : undefined) })
  .transform((header, context) => {
    const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header);
    const decoded = match ? Buffer.from(match[1]!, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon <= 0) {
      context.addIssue({ code: 'custom', message: 'expected HTTP Basic credentials' });
      return z.NEVER;
    }
    return { userName: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  });

/** A request with nothing to validate beyond its raw parts. */
export const NoInput = z.object({ path: anyRecord, query: anyRecord, headers: anyRecord, body: z.unknown() });
