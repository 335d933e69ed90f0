import * as z from 'zod';
import { toolsStatus } from '../../lib/core/guest/tools.js';
import { requireVmState } from '../../lib/core/inventory.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { toolsInfo } from '../../lib/dialects/vcenter/vms.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

const input = z.object({ path: z.object({ vm: z.string() }) });

/** GET /api/vcenter/vm/{vm}/tools — run_state RUNNING while the VM's guest agent heartbeats. */
export const api = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session', vm: true },
  input,
  handler: async ({ path }, { vm }) => json(200, toolsInfo(await toolsStatus(requireVmState(vm, path.vm)))),
});

/** GET /rest/vcenter/vm/{vm}/tools — the same, `{"value":{...}}`. */
export const rest = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'session', vm: true },
  input,
  handler: async ({ path }, { vm }) => json(200, { value: toolsInfo(await toolsStatus(requireVmState(vm, path.vm))) }),
});
