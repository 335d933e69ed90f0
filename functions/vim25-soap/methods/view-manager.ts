import * as z from 'zod';
import { containerViewRef, containerViewSpec, objectNotFound, TenantGraph } from '../../../lib/dialects/vim25-soap/graph.js';
import { sessionOf, soapMethod } from '../../../lib/dialects/vim25-soap/method.js';
import { Bool, many, MoRefParam, one, Text } from '../../../lib/dialects/vim25-soap/params.js';
import { moRef } from '../../../lib/dialects/vim25-soap/encoding.js';
import { requireSingleton } from './service-instance.js';

/** ViewManager.CreateContainerView: a view of the objects of `type` in `container` (its `view` property). */
export const CreateContainerView = soapMethod({
  on: 'ViewManager',
  auth: { kind: 'session' },
  params: z.object({ container: one(MoRefParam), type: many(Text.max(80), 50), recursive: one(Bool) }),
  run: async ({ container, type, recursive }, call) => {
    requireSingleton(call, 'viewManager');
    const containerRef = moRef(container.type, container.value);
    if (!new TenantGraph(sessionOf(call).tenantId).isContainer(containerRef)) throw objectNotFound(containerRef);
    return { type: 'ManagedObjectReference', value: containerViewRef({ container: containerRef, type, recursive }) };
  },
});

/** View.DestroyView: a view keeps nothing on the server; one this service did not make names no object. */
export const DestroyView = soapMethod({
  on: 'ContainerView',
  auth: { kind: 'session' },
  params: z.object({}),
  run: async (_params, call) => {
    if (!containerViewSpec(call.target)) throw objectNotFound(call.target);
    return { type: 'xsd:anyType' };
  },
});
