import { sessionHeader, type Dialect } from '../../http/types.js';
import { renderApiError } from '../vcenter/errors.js';

/** The operator API is ours; it answers errors in the `/api` vAPI shape. */
export const operatorDialect: Dialect = {
  name: 'operator',
  sessionId: sessionHeader('authorization'),
  renderError: renderApiError,
};

/** The console proxy's API (`/console-proxy/...`), ours too, in the same shape. */
export const consoleProxyDialect: Dialect = {
  name: 'console-proxy',
  sessionId: sessionHeader('authorization'),
  renderError: renderApiError,
};
