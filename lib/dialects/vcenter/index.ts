import type { VmRef } from '../../core/sessions.js';
import type { Dialect, HttpEvent } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';
import { renderApiError, renderRestError } from './errors.js';

/** The VM a vCenter path names in `{vm}` (a moId), fetched together with the session. */
const vmInPath = (event: HttpEvent): VmRef => ({ moId: event.pathParameters?.vm ?? '' });

/** `/api/...`, the vSphere Automation API. */
export const vcenterApi: Dialect = {
  name: 'vcenter-api',
  sessionId: sessionHeader('vmware-api-session-id'),
  vmOf: vmInPath,
  renderError: renderApiError,
};

/** `/rest/...`, the older form of the same API. */
export const vcenterRest: Dialect = {
  name: 'vcenter-rest',
  sessionId: sessionHeader('vmware-api-session-id'),
  vmOf: vmInPath,
  renderError: renderRestError,
};
