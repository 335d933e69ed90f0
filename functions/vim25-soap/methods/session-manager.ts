import * as z from 'zod';
import * as Sessions from '../../../lib/core/sessions.js';
import { fingerprint } from '../../../lib/protocol/secrets.js';
import { userSessionOf } from '../../../lib/dialects/vim25-soap/session.js';
import { sessionCookie, vim25Soap } from '../../../lib/dialects/vim25-soap/index.js';
import { sessionOf, soapMethod } from '../../../lib/dialects/vim25-soap/method.js';
import { maybe, one, Text } from '../../../lib/dialects/vim25-soap/params.js';
import { requireSingleton } from './service-instance.js';

/**
 * SessionManager.Login: a UserSession, and the session in the `vmware_soap_session` cookie. The session is
 * the same as any login's: its id works as `vmware-api-session-id` on the REST and JSON endpoints too.
 */
export const Login = soapMethod({
  on: 'SessionManager',
  auth: { kind: 'none' },
  params: z.object({ userName: one(Text.min(1).max(320)), password: one(Text.max(256)), locale: maybe(Text.max(32)) }),
  run: async ({ userName, password, locale }, call) => {
    requireSingleton(call, 'sessionManager');
    const { sessionId, session } = await Sessions.login(userName, password);
    return {
      type: 'UserSession',
      value: userSessionOf(session, call.event, locale),
      headers: { 'set-cookie': sessionCookie(sessionId, call.event) },
    };
  },
});

/** SessionManager.Logout: the session ends (an ended or unknown one: NotAuthenticated). */
export const Logout = soapMethod({
  on: 'SessionManager',
  auth: { kind: 'none' },
  params: z.object({}),
  run: async (_params, call) => {
    requireSingleton(call, 'sessionManager');
    await Sessions.logout(vim25Soap.sessionId(call.event));
    return { type: 'xsd:anyType' };
  },
});

/**
 * SessionManager.SessionIsActive: whether the session with key `sessionID` (a UserSession's `key`) of
 * `userName` is active. A caller sees only its own session here: any other key answers false.
 */
export const SessionIsActive = soapMethod({
  on: 'SessionManager',
  auth: { kind: 'session' },
  params: z.object({ sessionID: one(Text), userName: one(Text) }),
  run: async ({ sessionID, userName }, call) => {
    requireSingleton(call, 'sessionManager');
    const session = sessionOf(call);
    return { type: 'xsd:boolean', value: sessionID === fingerprint(session.sessionHash) && userName === session.userName };
  },
});
