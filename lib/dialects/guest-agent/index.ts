import { renderApiError } from '../vcenter/errors.js';
import { sessionHeader, type Dialect } from '../../http/types.js';

/**
 * The guest agent's own API (`/agent/v1/...`): agents authenticate with a bearer credential, not a session;
 * its errors are vAPI's, which the agent (our "VMware Tools") reads.
 */
export const guestAgentDialect: Dialect = {
  name: 'guest-agent',
  sessionId: sessionHeader('authorization'),
  renderError: renderApiError,
};
