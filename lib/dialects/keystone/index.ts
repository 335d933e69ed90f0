import { sessionHeader, type Dialect } from '../../http/types.js';
import { renderKeystoneError } from './errors.js';

/** The Identity API (`/identity/...`), Keystone's token issuing. */
export const keystone: Dialect = {
  name: 'keystone',
  sessionId: sessionHeader('x-auth-token'),
  renderError: renderKeystoneError,
};
