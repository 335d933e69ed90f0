import { json, type Dialect } from '../../http/types.js';
import { vapiMessages } from './errors.js';

/** The guest agent's own API (`/agent/v1/...`) answers errors in the `/api` vAPI shape, like our other platform APIs. */
export const guestAgentDialect: Dialect = {
  name: 'guest-agent',
  sessionHeader: 'authorization',
  renderError(error) {
    const { entry, messages } = vapiMessages(error);
    return json(entry.status, { error_type: entry.type.toUpperCase(), messages });
  },
};
