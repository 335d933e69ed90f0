import * as z from 'zod';
import { requireVmState } from '../../lib/core/inventory.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/index.js';
import { powerInfo } from '../../lib/dialects/vcenter/vms.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

const input = z.object({ path: z.object({ vm: z.string() }) });

/** GET /api/vcenter/vm/{vm}/power — `{"state":"POWERED_ON"}` (session and VM in one BatchGetItem). */
export const api = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session', vm: true },
  input,
  handler: async ({ path }, { vm }) => json(200, powerInfo(requireVmState(vm, path.vm))),
});

/** GET /rest/vcenter/vm/{vm}/power — `{"value":{"state":...}}`. */
export const rest = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'session', vm: true },
  input,
  handler: async ({ path }, { vm }) => json(200, { value: powerInfo(requireVmState(vm, path.vm)) }),
});
