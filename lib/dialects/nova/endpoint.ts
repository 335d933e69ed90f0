import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { endpoint, type Authentication } from '../../http/endpoint.js';
import type { HttpEvent, HttpResponse, RequestContext } from '../../http/types.js';
import { nova } from './errors.js';
import { negotiateVersion, requireVersion, versionHeaders, type Microversion } from './microversions.js';

export interface NovaEndpointDefinition<S extends ZodTypeAny> {
  auth: Authentication;
  input: S;
  /** An authentication of its own, run where `auth` would be (e.g. os-console-auth-tokens' proxy key). */
  authorize?: (event: HttpEvent) => Promise<void>;
  /** The first microversion that has this method; below it Nova answers 404. */
  since?: [major: number, minor: number];
  handler: (input: z.output<S>, request: RequestContext, version: Microversion) => Promise<HttpResponse>;
}

/**
 * A compute API endpoint: the shared endpoint chain in the Nova dialect, plus microversion negotiation in
 * Nova's order — after authentication (keystonemiddleware runs first) and body parsing, before schema
 * validation — and the version headers Nova puts on every response once the version is known, faults too.
 */
export function novaEndpoint<S extends ZodTypeAny>(definition: NovaEndpointDefinition<S>) {
  const negotiated = new WeakMap<HttpEvent, Microversion>();
  const chain = endpoint({
    dialect: nova,
    auth: definition.auth,
    input: definition.input,
    prepare: async (event) => {
      await definition.authorize?.(event);
      const version = negotiateVersion(event.headers);
      negotiated.set(event, version);
      if (definition.since) requireVersion(version, ...definition.since);
    },
    handler: (input, request) => definition.handler(input, request, negotiated.get(request.event)!),
  });
  return async (event: HttpEvent, context: Context): Promise<HttpResponse> => {
    const response = await chain(event, context);
    const version = negotiated.get(event);
    return version ? { ...response, headers: { ...response.headers, ...versionHeaders(version) } } : response;
  };
}

export { sessionOf } from '../../http/endpoint.js';
