import type { Dialect } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';
import { renderApiError } from '../vcenter/errors.js';

/** The console proxy's API (`/console-proxy/...`): ours, its errors in the `/api` vAPI shape. */
export const consoleProxyDialect: Dialect = {
  name: 'console-proxy',
  sessionId: sessionHeader('authorization'),
  renderError: renderApiError,
};
