import type * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import type { EndpointMiddleware } from '../../http/context.js';
import { endpoint, type Authentication, type CallerOf } from '../../http/endpoint.js';
import type { HttpResponse } from '../../http/types.js';
import { nova } from './index.js';
import { negotiateVersion, requireVersion, versionHeaders, type Microversion } from './microversions.js';

export interface NovaEndpointDefinition<S extends ZodTypeAny, A extends Authentication> {
  auth: A;
  input: S;
  /** The first microversion that has this method; below it Nova answers 404. */
  since?: [major: number, minor: number];
  handler: (input: z.output<S>, caller: CallerOf<A>, version: Microversion) => Promise<HttpResponse>;
}

/**
 * Microversion negotiation in Nova's order — after authentication (keystonemiddleware runs first) and body
 * parsing, before schema validation — and the version headers Nova puts on every response once the version
 * is known, faults too.
 */
export function negotiateMicroversion(since?: [major: number, minor: number]): EndpointMiddleware {
  return {
    before: async ({ event, context }) => {
      const version = negotiateVersion(event.headers);
      context.endpoint.responseHeaders = versionHeaders(version);
      if (since) requireVersion(version, ...since);
    },
  };
}

/** A compute API endpoint: the shared endpoint chain in the Nova dialect, with its microversion. */
export function novaEndpoint<S extends ZodTypeAny, A extends Authentication>(definition: NovaEndpointDefinition<S, A>) {
  return endpoint({
    dialect: nova,
    auth: definition.auth,
    input: definition.input,
    steps: [negotiateMicroversion(definition.since)],
    // The negotiation succeeded before the handler runs; repeating it (pure, a header read) keeps no state.
    handler: (input, caller) => definition.handler(input, caller, negotiateVersion(caller.event.headers)),
  });
}
