import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import type { ZodTypeAny } from 'zod';
import { endpoint, type Authentication, type CallerOf } from '../../http/endpoint.js';
import type { Dialect, HttpEvent, HttpResponse } from '../../http/types.js';
import { json, noContent } from '../../http/responses.js';
import { vcenterApi, vcenterRest } from './index.js';

/**
 * One of the two URL forms of the same vCenter API: `/api` (the vSphere Automation API) and the older `/rest`.
 * They differ in their error shape, some request bodies, the `{"value": …}` wrapping of `/rest` answers and
 * `/rest`'s 200 where `/api` answers 201 or 204.
 */
export interface VcenterForm {
  name: 'api' | 'rest';
  dialect: Dialect;
  /** An answer with a body: `/api` the value with the operation's own status, `/rest` `{"value": …}` with 200. */
  answer(status: number, value: unknown): HttpResponse;
  /** An answer without one: `/api` the operation's own status (204), `/rest` 200. */
  done(status: number): HttpResponse;
}

const API: VcenterForm = {
  name: 'api',
  dialect: vcenterApi,
  answer: (status, value) => json(status, value),
  done: (status) => noContent(status),
};

const REST: VcenterForm = {
  name: 'rest',
  dialect: vcenterRest,
  answer: (_status, value) => json(200, { value }),
  done: () => noContent(200),
};

/** The form a request came by: the route API Gateway matched (`GET /rest/vcenter/vm`), else its path. */
export const formOf = (event: HttpEvent): VcenterForm =>
  (event.routeKey?.split(' ')[1] ?? event.rawPath ?? '').startsWith('/rest/') ? REST : API;

export interface VcenterEndpointDefinition<S extends ZodTypeAny, A extends Authentication> {
  auth: A;
  /** The schema, or each form's own (their outputs are the handler's input). */
  input: S | ((form: VcenterForm) => S);
  handler: (input: z.output<S>, caller: CallerOf<A>, form: VcenterForm) => Promise<HttpResponse>;
}

/**
 * An operation that exists in both forms: one handler module, one function with a route in each form
 * (functions/vcenter/functions.yml). Each request is served in the form its route names: its dialect's
 * errors and session header, its schema, its answer's shape.
 */
export function vcenterEndpoint<S extends ZodTypeAny, A extends Authentication>(definition: VcenterEndpointDefinition<S, A>) {
  const inForm = (form: VcenterForm) =>
    endpoint({
      dialect: form.dialect,
      auth: definition.auth,
      input: typeof definition.input === 'function' ? definition.input(form) : definition.input,
      handler: (input, caller) => definition.handler(input, caller, form),
    });
  const api = inForm(API);
  const rest = inForm(REST);
  return (event: HttpEvent, context: Context): Promise<HttpResponse> => (formOf(event) === REST ? rest : api)(event, context);
}
