import type { SessionRecord } from '../../records.js';

/** Where a login came from, for the `UserSession` fields vSphere marks required. */
export interface LoginOrigin {
  ipAddress: string;
  userAgent: string;
  locale?: string;
}

/** vim25 `UserSession` for a logged-in session. */
export const userSession = (session: SessionRecord, fingerprint: string, origin: LoginOrigin) => ({
  _typeName: 'UserSession',
  key: fingerprint,
  userName: session.userName,
  fullName: session.userName,
  loginTime: session.createdAt,
  lastActiveTime: session.lastAccessedAt,
  locale: origin.locale ?? 'en',
  messageLocale: origin.locale ?? 'en',
  extensionSession: false,
  ipAddress: origin.ipAddress,
  userAgent: origin.userAgent,
  callCount: 0,
});
