import { requirePrivilege, requireVm } from '../../lib/core/access.js';
import * as OpenConsoles from '../../lib/core/open-consoles.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import { vim25 } from '../../lib/dialects/vim25/index.js';
import { DropConnectionsInput, mksConnection, QueryConnectionsInput } from '../../lib/dialects/vim25/connections.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /sdk/vim25/{release}/VirtualMachine/{moId}/QueryConnections — the VM's open consoles, as
 * `VirtualMachineMksConnection` objects. Requires VirtualMachine.Interact.ConsoleInteract, as vSphere does.
 */
export const query = endpoint({
  dialect: vim25,
  auth: { kind: 'session', vm: true },
  input: QueryConnectionsInput,
  handler: async ({ path }, { session, vm }) => {
    const target = requireVm(vm, path.moId);
    requirePrivilege(session, CONSOLE_PRIVILEGE, target);
    return json(200, (await OpenConsoles.openConsolesOfVm(target.tenantId, target.moId)).map(mksConnection));
  },
});

/**
 * POST /sdk/vim25/{release}/VirtualMachine/{moId}/DropConnections — ends the listed connections (by
 * `label`) on whichever proxy holds them; `true` when every one listed was open and is now dropped.
 */
export const drop = endpoint({
  dialect: vim25,
  auth: { kind: 'session', vm: true },
  input: DropConnectionsInput,
  handler: async ({ path, body }, { session, vm }) => {
    const target = requireVm(vm, path.moId);
    requirePrivilege(session, CONSOLE_PRIVILEGE, target);
    const labels = [...new Set((body.listOfConnections ?? []).map((connection) => connection.label))];
    const dropped = await OpenConsoles.endConsolesOfVmNamed(target.tenantId, target.moId, labels);
    return json(200, dropped.length === labels.length);
  },
});
