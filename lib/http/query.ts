import type { HttpEvent } from './types.js';

/**
 * The query's (name, value) pairs in order, repeated keys included. API Gateway joins repeated keys with
 * commas in queryStringParameters, which a value may contain, so the raw query string is read.
 */
export function queryPairs(event: HttpEvent): [string, string][] {
  if (event.rawQueryString !== undefined) return [...new URLSearchParams(event.rawQueryString)];
  return Object.entries(event.queryStringParameters ?? {}).flatMap(([key, value]) =>
    (value ?? '').split(',').map((entry) => [key, entry] as [string, string]),
  );
}
