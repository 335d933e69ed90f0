import { NoSuchPath } from '../core/errors.js';
import type { Dialect, HttpResponse } from '../http/types.js';
import { json } from '../http/responses.js';
import { keystone } from './keystone/index.js';
import { nova } from './nova/index.js';
import { consoleProxyDialect } from './console-proxy/index.js';
import { operatorDialect } from './operator/index.js';
import { guestAgentDialect } from './guest-agent/index.js';
import { vcenterApi, vcenterRest } from './vcenter/index.js';
import { vim25 } from './vim25/index.js';

/** Which dialect the paths under each prefix speak: the prefixes of the routes in serverless.yml. */
export const DIALECT_OF_PREFIX: Record<string, Dialect> = {
  '/api': vcenterApi,
  '/rest': vcenterRest,
  '/sdk': vim25,
  '/compute': nova,
  '/identity': keystone,
  '/operator': operatorDialect,
  '/console-proxy': consoleProxyDialect,
  '/agent': guestAgentDialect,
};

/** The dialect of a request path (`/compute/v2.1/…` → Nova), or undefined outside every dialect. */
export function dialectOfPath(path: string): Dialect | undefined {
  const prefix = /^\/[^/]+/.exec(path)?.[0] ?? '';
  return Object.hasOwn(DIALECT_OF_PREFIX, prefix) ? DIALECT_OF_PREFIX[prefix] : undefined;
}

/**
 * The answer to a path no route serves, in the dialect of its prefix (vim25: an empty 404, as for an unknown
 * release); outside every dialect, what API Gateway itself answers an unmatched route.
 */
export function routeNotFound(path: string): HttpResponse {
  const dialect = dialectOfPath(path);
  return dialect ? dialect.renderError(NoSuchPath()) : json(404, { message: 'Not Found' });
}
