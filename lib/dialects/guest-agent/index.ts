import { renderApiError } from '../vcenter/errors.js';
import type { Dialect } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';

/**
 * The guest agent's own API (`/agent/v1/...`): agents authenticate with a bearer credential, not a session;
 * its errors are vAPI's, which the agent (our "VMware Tools") reads.
 */
export const guestAgentDialect: Dialect = {
  name: 'guest-agent',
  sessionId: sessionHeader('authorization'),
  renderError: renderApiError,
};
