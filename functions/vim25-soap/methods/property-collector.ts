import * as z from 'zod';
import { userSessionOf } from '../../../lib/dialects/vim25-soap/session.js';
import { TenantGraph } from '../../../lib/dialects/vim25-soap/graph.js';
import { sessionOf, soapMethod, type SoapCall } from '../../../lib/dialects/vim25-soap/method.js';
import { invalidParams, many, maybe, one, Text } from '../../../lib/dialects/vim25-soap/params.js';
import {
  continuationToken,
  FilterSpecSchema,
  readToken,
  retrieve,
  RetrieveOptionsSchema,
  type FilterSpec,
} from '../../../lib/dialects/vim25-soap/property-collector.js';
import { requireSingleton } from './service-instance.js';

const graphOf = (call: SoapCall) => {
  const session = sessionOf(call);
  return new TenantGraph(session.tenantId, () => userSessionOf(session, call.event));
};

/** What RetrievePropertiesEx answers at most at once, whatever `maxObjects` asks (vCenter pages likewise). */
const MAX_PAGE = 1000;
const on = 'PropertyCollector';
const auth = { kind: 'session' } as const;
const SpecSet = z.array(FilterSpecSchema).min(1).max(100);

async function page(call: SoapCall, rawSpecs: unknown[], specs: FilterSpec[], offset: number, maxObjects: number | undefined) {
  requireSingleton(call, 'propertyCollector');
  const limit = Math.min(Math.max(maxObjects ?? MAX_PAGE, 1), MAX_PAGE);
  const { objects, more } = await retrieve(graphOf(call), specs, offset, limit);
  if (objects.length === 0 && !more) return { type: 'RetrieveResult' };
  const token = more ? continuationToken(rawSpecs, offset + limit) : undefined;
  return { type: 'RetrieveResult', value: { _typeName: 'RetrieveResult', token, objects } };
}

/** PropertyCollector.RetrievePropertiesEx: the first page, and a token when more follow. */
export const RetrievePropertiesEx = soapMethod({
  on,
  auth,
  params: z.object({ specSet: z.array(z.unknown()).min(1), options: maybe(RetrieveOptionsSchema) }),
  run: async ({ specSet, options }, call) => {
    const specs = SpecSet.safeParse(specSet);
    if (!specs.success) throw invalidParams(specs.error, ['specSet']);
    return page(call, specSet, specs.data, 0, options?.maxObjects);
  },
});

/** PropertyCollector.ContinueRetrievePropertiesEx: the page a token names. */
export const ContinueRetrievePropertiesEx = soapMethod({
  on,
  auth,
  params: z.object({ token: one(Text) }),
  run: async ({ token }, call) => {
    const { specs: rawSpecs, offset } = readToken(token);
    const specs = SpecSet.safeParse(rawSpecs);
    if (!specs.success) throw invalidParams(specs.error, ['specSet']);
    return page(call, rawSpecs as unknown[], specs.data, offset, undefined);
  },
});

/** PropertyCollector.CancelRetrievePropertiesEx: nothing is kept between pages, so nothing to release. */
export const CancelRetrievePropertiesEx = soapMethod({
  on,
  auth,
  params: z.object({ token: one(Text) }),
  run: async ({ token }, call) => {
    requireSingleton(call, 'propertyCollector');
    readToken(token);
    return { type: 'xsd:anyType' };
  },
});

/** PropertyCollector.RetrieveProperties (deprecated, still what pyVmomi's property reads call): every object at once. */
export const RetrieveProperties = soapMethod({
  on,
  auth,
  params: z.object({ specSet: many(FilterSpecSchema, 100) }),
  run: async ({ specSet }, call) => {
    requireSingleton(call, 'propertyCollector');
    const { objects } = await retrieve(graphOf(call), specSet, 0, Number.MAX_SAFE_INTEGER);
    return { type: 'ObjectContent', value: objects };
  },
});
