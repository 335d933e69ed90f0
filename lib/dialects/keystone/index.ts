import type { Dialect } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';
import { renderKeystoneError } from './errors.js';

/** The Identity API (`/identity/...`), Keystone's token issuing. */
export const keystone: Dialect = {
  name: 'keystone',
  sessionId: sessionHeader('x-auth-token'),
  renderError: renderKeystoneError,
};
