import { routeNotFound } from '../lib/dialects/by-path.js';
import type { HttpEvent, HttpResponse } from '../lib/http/types.js';
import { logger } from '../lib/log.js';

/**
 * ANY /<dialect prefix>/{proxy+} — every path under a dialect's prefix that no other route serves: a 404 in
 * that dialect's shape. Nothing is parsed, authenticated or read: no path exists to be allowed into.
 */
export const handler = async (event: HttpEvent): Promise<HttpResponse> => {
  const response = routeNotFound(event.rawPath ?? '');
  logger.info('request', {
    requestId: event.requestContext?.requestId,
    route: event.routeKey,
    method: event.requestContext?.http?.method,
    status: response.statusCode,
    errorKind: 'no_such_path',
  });
  return response;
};
