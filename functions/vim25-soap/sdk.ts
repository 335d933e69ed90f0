import * as z from 'zod';
import * as Sessions from '../../lib/core/sessions.js';
import { DomainError, Unsupported } from '../../lib/core/errors.js';
import { soapBody } from '../../lib/dialects/vim25-soap/body.js';
import { soapResponse, type SoapRequest } from '../../lib/dialects/vim25-soap/envelope.js';
import { renderSoapError, soapXml } from '../../lib/dialects/vim25-soap/errors.js';
import { vim25Soap } from '../../lib/dialects/vim25-soap/index.js';
import type { SoapCall, SoapMethod } from '../../lib/dialects/vim25-soap/method.js';
import { invalidParams, paramsOf } from '../../lib/dialects/vim25-soap/params.js';
import { versionOf } from '../../lib/dialects/vim25-soap/versions.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { anyRecord } from '../../lib/http/schemas.js';
import { logger } from '../../lib/log.js';
import { METHODS } from './methods/index.js';

/**
 * POST /sdk (and /sdk/vimService): vim25 over SOAP 1.1. The endpoint is one URL, so the method is picked
 * here from the envelope; each method is its own module (./methods/), a thin call of lib/core.
 */
export const handler = endpoint({
  dialect: vim25Soap,
  auth: { kind: 'none' },
  body: soapBody(),
  input: z.object({ headers: anyRecord, body: z.custom<SoapRequest>() }),
  handler: async ({ headers, body }, { event }) => {
    const version = versionOf(headers.soapaction);
    try {
      const method = methodFor(body);
      const call = await callOf(method, body, version, event);
      const params = method.params.safeParse(paramsOf(body.call));
      if (!params.success) throw invalidParams(params.error);
      const { headers: responseHeaders, ...answer } = await method.run(params.data, call);
      return soapXml(200, soapResponse(body.method, answer, version), responseHeaders);
    } catch (error) {
      if (error instanceof DomainError) return renderSoapError(error, version);
      throw error;
    }
  },
});

function methodFor(request: SoapRequest): SoapMethod {
  const method = Object.hasOwn(METHODS, request.method) ? METHODS[request.method] : undefined;
  if (!method || method.on !== request.target.type) {
    throw Unsupported(`The method ${request.method} of ${request.target.type} is not supported here.`);
  }
  return method;
}

/** The caller as the method's `auth` asks: nobody, a session, or a session with the VM, read together. */
async function callOf(method: SoapMethod, request: SoapRequest, version: SoapCall['version'], event: SoapCall['event']): Promise<SoapCall> {
  const call: SoapCall = { target: request.target, version, event };
  if (method.auth.kind === 'none') return call;
  const vmMoId = method.auth.kind === 'vm' ? vmNamed(request, method.auth.param) : undefined;
  const { session, vm } = await Sessions.authenticateWithVm(vim25Soap.sessionId(event), vmMoId === undefined ? undefined : { moId: vmMoId });
  logger.appendKeys({ tenant: session.tenantId, user: session.userName });
  return { ...call, session, vm, vmMoId };
}

const vmNamed = (request: SoapRequest, param: string | undefined): string =>
  param === undefined ? request.target.value : (request.call.children.find((item) => item.name === param)?.text.trim() ?? '');
