import { vcenterEndpoint } from '../../lib/dialects/vcenter/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';

/**
 * GET /api/appliance/networking/interfaces, /rest/appliance/networking/interfaces — the appliance's network
 * interfaces (appliance.networking.Interfaces.list). This service is no vCenter appliance and records no
 * interfaces of its own, so the list is empty, for any session of any tenant. (libcloud's vSphere driver
 * reads it in list_nodes, to match interface MACs against each VM's NICs.)
 */
export const handler = vcenterEndpoint({ auth: { kind: 'session' }, input: NoInput, handler: async (_input, _caller, form) => form.answer(200, []) });
