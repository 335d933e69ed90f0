import { fingerprint } from '../../protocol/secrets.js';
import type { HttpEvent } from '../../http/types.js';
import type { SessionRecord } from '../../records.js';
import { userSession } from '../vim25/bodies.js';

/** The `UserSession` of a session, as Login answers it and SessionManager.currentSession reads it. */
export const userSessionOf = (session: SessionRecord, event: HttpEvent, locale?: string) =>
  userSession(session, fingerprint(session.sessionHash), {
    ipAddress: event.requestContext?.http?.sourceIp ?? '',
    userAgent: event.headers?.['user-agent'] ?? '',
    locale,
  });
