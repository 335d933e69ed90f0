import * as z from 'zod';
import { requireStateReadable } from '../../lib/core/inventory.js';
import type { VmRecord } from '../../lib/core/model.js';
import { requireVm } from '../../lib/core/tickets.js';
import { vmInPath } from '../../lib/dialects/vcenter/consoles.js';
import { vcenterApi, vcenterRest } from '../../lib/dialects/vcenter/errors.js';
import { powerInfo } from '../../lib/dialects/vcenter/vms.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/types.js';

const input = z.object({ path: z.object({ vm: z.string() }) });

const readPower = (vm: VmRecord | undefined, moId: string) => {
  const target = requireVm(vm, moId);
  requireStateReadable(target);
  return powerInfo(target);
};

/** GET /api/vcenter/vm/{vm}/power — `{"state":"POWERED_ON"}`. */
export const api = endpoint({
  dialect: vcenterApi,
  auth: { kind: 'session', vm: vmInPath },
  input,
  handler: async ({ path }, { vm }) => json(200, readPower(vm, path.vm)),
});

/** GET /rest/vcenter/vm/{vm}/power — `{"value":{"state":...}}`. */
export const rest = endpoint({
  dialect: vcenterRest,
  auth: { kind: 'session', vm: vmInPath },
  input,
  handler: async ({ path }, { vm }) => json(200, { value: readPower(vm, path.vm) }),
});
