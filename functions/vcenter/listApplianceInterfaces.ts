import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/types.js';

/**
 * GET /api/appliance/networking/interfaces — the appliance's network interfaces (appliance.networking.Interfaces.list). This service is no vCenter
 * appliance and records no interfaces of its own, so the list is empty, for any session of any tenant.
 * (libcloud's vSphere driver reads it in list_nodes, to match interface MACs against each VM's NICs.)
 */
export const api = endpoint({ dialect: vcenterApi, auth: { kind: 'session' }, input: NoInput, handler: async () => json(200, []) });

/** GET /rest/appliance/networking/interfaces — the same, `{"value":[]}`. */
export const rest = endpoint({ dialect: vcenterRest, auth: { kind: 'session' }, input: NoInput, handler: async () => json(200, { value: [] }) });
