import * as z from 'zod';
import { toolsStatus } from '../../lib/core/guest.js';
import { requireStateReadable } from '../../lib/core/inventory.js';
import type { VmRecord } from '../../lib/core/model.js';
import { requireVm } from '../../lib/core/tickets.js';
import { vmInPath } from '../../lib/dialects/vcenter/consoles.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/errors.js';
import { toolsInfo } from '../../lib/dialects/vcenter/vms.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

const input = z.object({ path: z.object({ vm: z.string() }) });

const readTools = async (vm: VmRecord | undefined, moId: string) => {
  const target = requireVm(vm, moId);
  requireStateReadable(target);
  return toolsInfo(await toolsStatus(target));
};

/** GET /api/vcenter/vm/{vm}/tools — run_state RUNNING while the VM's guest agent heartbeats. */
export const api = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session', vm: vmInPath },
  input,
  handler: async ({ path }, { vm }) => json(200, await readTools(vm, path.vm)),
});

/** GET /rest/vcenter/vm/{vm}/tools — the same, `{"value":{...}}`. */
export const rest = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'session', vm: vmInPath },
  input,
  handler: async ({ path }, { vm }) => json(200, { value: await readTools(vm, path.vm) }),
});
