import type { HttpResponse } from './types.js';

/** The responses handlers return: a JSON body, or none. */

export const json = (statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

export const noContent = (statusCode = 204, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers,
  body: '',
});
