import type * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { InvalidArgument, type DomainError } from '../core/errors.js';
import type { EndpointMiddleware } from './context.js';
import type { Dialect } from './types.js';
import './validation-messages.js';

/** The raw parts of a request that an endpoint's zod schema validates. */
export interface RawInput {
  path: Record<string, string | undefined>;
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body: unknown;
}

/** The endpoint's schema over `{ path, query, headers, body }`; its output is what the handler receives. */
export function validate(schema: ZodTypeAny, dialect: Dialect): EndpointMiddleware {
  return {
    before: async ({ event, context }) => {
      dialect.checkPath?.(event);
      const raw: RawInput = {
        path: event.pathParameters ?? {},
        query: event.queryStringParameters ?? {},
        headers: event.headers ?? {},
        body: context.endpoint.body,
      };
      const parsed = schema.safeParse(raw);
      if (!parsed.success) throw invalidInput(parsed.error);
      context.endpoint.input = parsed.data;
    },
  };
}

export function invalidInput(error: z.ZodError): DomainError {
  const issue = error.issues[0]!;
  // The first path element is the request part (path/query/headers/body); clients know fields, not parts.
  const [part, ...fieldPath] = issue.path;
  const field = fieldPath.join('.') || String(part ?? '');
  const where = part === 'body' && fieldPath.length === 0 ? 'the request body' : field;
  return InvalidArgument(`Invalid value for ${where}: ${issue.message}.`, { field });
}
