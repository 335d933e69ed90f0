import type { HttpEvent } from './types.js';

/** A session id carried in a request header (lower case). */
export const sessionHeader =
  (name: string) =>
  (event: HttpEvent): string | undefined =>
    event.headers?.[name];
