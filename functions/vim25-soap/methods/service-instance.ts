import * as z from 'zod';
import { isoNow } from '../../../lib/core/clock.js';
import { objectNotFound } from '../../../lib/dialects/vim25-soap/graph.js';
import { SINGLETONS } from '../../../lib/dialects/vim25-soap/inventory.js';
import { soapMethod, type SoapCall } from '../../../lib/dialects/vim25-soap/method.js';
import { serviceContent } from '../../../lib/dialects/vim25-soap/service-content.js';

/** A singleton's methods are called on its one id; any other id of its type names no object. */
export function requireSingleton(call: SoapCall, singleton: keyof typeof SINGLETONS): void {
  if (call.target.value !== SINGLETONS[singleton].value) throw objectNotFound(call.target);
}

/** ServiceInstance.RetrieveServiceContent: anonymous, as on vCenter (clients call it before logging in). */
export const RetrieveServiceContent = soapMethod({
  on: 'ServiceInstance',
  auth: { kind: 'none' },
  params: z.object({}),
  run: async (_params, call) => {
    requireSingleton(call, 'serviceInstance');
    return { type: 'ServiceContent', value: serviceContent() };
  },
});

/** ServiceInstance.CurrentTime: anonymous (System.Anonymous); govmomi's keep-alive calls it. */
export const CurrentTime = soapMethod({
  on: 'ServiceInstance',
  auth: { kind: 'none' },
  params: z.object({}),
  run: async (_params, call) => {
    requireSingleton(call, 'serviceInstance');
    return { type: 'xsd:dateTime', value: isoNow() };
  },
});
