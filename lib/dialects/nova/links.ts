import { config } from '../../config.js';
import type { HttpEvent } from '../../http/types.js';

/**
 * This API's public base URL, as Nova builds links from the request's application URL: the configured
 * PUBLIC_BASE_URL, else the Host header with X-Forwarded-Proto (API Gateway sets it; absent locally: http).
 */
export function publicBaseUrl(event: HttpEvent): string {
  const configured = config.publicBaseUrl();
  if (configured) return configured.replace(/\/+$/, '');
  const host = event.headers?.host ?? event.requestContext?.domainName ?? 'localhost';
  // Only the two schemes API Gateway sets: anything else did not come from the front door.
  const proto = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim() === 'https' ? 'https' : 'http';
  return `${proto}://${host}`;
}

/** The compute endpoint's root (unversioned) and v2.1 URLs. */
export const computeRoot = (event: HttpEvent): string => `${publicBaseUrl(event)}/compute`;
export const computeV21 = (event: HttpEvent): string => `${computeRoot(event)}/v2.1`;
