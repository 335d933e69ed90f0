import * as z from 'zod';
import { requireVm } from '../../lib/core/access.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { vmInfo } from '../../lib/dialects/vcenter/vms.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

const input = z.object({ path: z.object({ vm: z.string() }) });

/** GET /api/vcenter/vm/{vm} — `vcenter.VM.Info` of a VM of the tenant (session and VM in one BatchGetItem). */
export const api = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session', vm: true },
  input,
  handler: async ({ path }, { vm }) => json(200, vmInfo(requireVm(vm, path.vm), 'api')),
});

/** GET /rest/vcenter/vm/{vm} — the same, `{"value":{...}}`. */
export const rest = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'session', vm: true },
  input,
  handler: async ({ path }, { vm }) => json(200, { value: vmInfo(requireVm(vm, path.vm), 'rest') }),
});
