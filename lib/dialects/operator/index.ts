import type { Dialect } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';
import { renderApiError } from '../vcenter/errors.js';

/** The operator API is ours; it answers errors in the `/api` vAPI shape. */
export const operatorDialect: Dialect = {
  name: 'operator',
  sessionId: sessionHeader('authorization'),
  renderError: renderApiError,
};
