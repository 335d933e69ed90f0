import { DomainError } from '../core/errors.js';
import { json, type Dialect, type HttpResponse } from '../http/types.js';
import { keystone } from './keystone/errors.js';
import { nova } from './nova/errors.js';
import { consoleProxyDialect, operatorDialect } from './operator/errors.js';
import { guestAgentDialect } from './vcenter/guest-agent.js';
import { vcenterApi, vcenterRest } from './vcenter/errors.js';
import { vim25 } from './vim25/errors.js';

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

/** A path that names no resource; vim25 answers it with an empty 404, as it does an unknown release. */
export const noSuchPath = () => new DomainError('not_found', 'The resource could not be found.', { reason: 'no_such_path' });

/**
 * The answer to a path no route serves, in the dialect of its prefix; outside every dialect, what API
 * Gateway itself answers an unmatched route.
 */
export function routeNotFound(path: string): HttpResponse {
  const dialect = dialectOfPath(path);
  return dialect ? dialect.renderError(noSuchPath()) : json(404, { message: 'Not Found' });
}
