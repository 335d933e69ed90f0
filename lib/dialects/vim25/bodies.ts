import type { SessionRecord } from '../../core/model.js';

/** vim25 `UserSession` for a logged-in session. */
export const userSession = (session: SessionRecord, fingerprint: string) => ({
  _typeName: 'UserSession',
  key: fingerprint,
  userName: session.userName,
  fullName: session.userName,
  loginTime: session.createdAt,
  lastActiveTime: session.lastAccessedAt,
  locale: 'en',
  messageLocale: 'en',
  extensionSession: false,
});
