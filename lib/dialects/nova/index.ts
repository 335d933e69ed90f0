import type { VmRef } from '../../core/sessions.js';
import type { Dialect, HttpEvent } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';
import { renderNovaError } from './errors.js';

/** The server a compute API path names in `{server_id}` (an instance UUID), fetched together with the session. */
const serverInPath = (event: HttpEvent): VmRef => ({ instanceUuid: event.pathParameters?.server_id ?? '' });

/** The compute API (`/compute/...`): Keystone tokens in `X-Auth-Token`, Nova faults. */
export const nova: Dialect = {
  name: 'nova',
  sessionId: sessionHeader('x-auth-token'),
  vmOf: serverInPath,
  renderError: renderNovaError,
};
