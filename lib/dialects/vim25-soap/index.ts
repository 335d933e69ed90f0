import type { Dialect, HttpEvent } from '../../http/types.js';
import { renderSoapErrorUnversioned } from './errors.js';

/** The cookie vCenter's SOAP endpoint keeps its session in. */
export const SOAP_SESSION_COOKIE = 'vmware_soap_session';

/** The session cookie's value (vCenter quotes it), from API Gateway's `cookies` or a Cookie header. */
export function soapSessionCookie(event: HttpEvent): string | undefined {
  const cookies = event.cookies ?? event.headers?.cookie?.split(';') ?? [];
  for (const cookie of cookies) {
    const [name, ...value] = cookie.trim().split('=');
    if (name === SOAP_SESSION_COOKIE) return value.join('=').replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

/**
 * vSphere's vim25 SOAP API (`POST /sdk`). A session is the `vmware_soap_session` cookie, or the
 * `vmware-api-session-id` header the JSON and REST bindings use: one session works with every binding.
 */
export const vim25Soap: Dialect = {
  name: 'vim25-soap',
  sessionId: (event) => soapSessionCookie(event) ?? event.headers?.['vmware-api-session-id'],
  renderError: renderSoapErrorUnversioned,
};

/** Set-Cookie for a new session: `Secure` whenever the client came over HTTPS (always, behind API Gateway). */
export function sessionCookie(sessionId: string, event: HttpEvent): string {
  const secure = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim() === 'https' ? '; Secure' : '';
  return `${SOAP_SESSION_COOKIE}="${sessionId}"; Path=/; HttpOnly${secure}`;
}
