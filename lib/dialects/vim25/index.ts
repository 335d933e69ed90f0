import type { Dialect } from '../../http/types.js';
import { sessionHeader } from '../../http/session-header.js';
import { renderVimError } from './errors.js';
import { requireKnownRelease, vmInVimPath } from './release.js';

/** vSphere's vim25 JSON API (`/sdk/vim25/{release}/...`). */
export const vim25: Dialect = {
  name: 'vim25',
  sessionId: sessionHeader('vmware-api-session-id'),
  checkPath: requireKnownRelease,
  vmOf: vmInVimPath,
  renderError: renderVimError,
};
