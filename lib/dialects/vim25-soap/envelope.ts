/**
 * SOAP 1.1 envelopes of vim25: a request is `Envelope/Body/<Method xmlns="urn:vim25">` with `_this` (the
 * managed object called) and the method's parameters; an answer is `<MethodResponse>` with `returnval`
 * elements (one per item of an array), or a SOAP fault whose `detail` carries the vim25 fault.
 */
import { DomainError } from '../../core/errors.js';
import { encodeElement, encodeFields, type MoRef } from './encoding.js';
import type { FieldType } from './types.js';
import type { VimVersion } from './versions.js';
import { child, escapeXml, parseXml, XmlRefused, type XmlElement } from './xml.js';

export const SOAP_ENVELOPE = 'http://schemas.xmlsoap.org/soap/envelope/';
export const VIM25 = 'urn:vim25';

export interface SoapRequest {
  method: string;
  /** The managed object the method is called on. */
  target: MoRef;
  /** The method element: its children are the parameters. */
  call: XmlElement;
}

export const invalidRequest = (message: string) => new DomainError('invalid_argument', message, { reason: 'invalid_request' });

/** A request body as a vim25 call, or InvalidRequest for anything that is not one. */
export function parseSoapRequest(text: string): SoapRequest {
  let envelope: XmlElement;
  try {
    envelope = parseXml(text);
  } catch (error) {
    if (error instanceof XmlRefused) throw invalidRequest(`The request is not well-formed XML: ${error.message}`);
    throw error;
  }
  if (envelope.ns !== SOAP_ENVELOPE || envelope.name !== 'Envelope') throw invalidRequest('The request is not a SOAP 1.1 envelope.');
  const body = envelope.children.find((element) => element.ns === SOAP_ENVELOPE && element.name === 'Body');
  const call = body?.children[0];
  if (!call) throw invalidRequest('The SOAP envelope has no body.');
  if (call.ns !== VIM25) throw invalidRequest(`The method ${call.name} is not in the urn:vim25 namespace.`);
  const self = child(call, '_this');
  if (!self || !self.attributes.type) throw invalidRequest(`The method ${call.name} names no managed object (_this).`);
  return { method: call.name, target: { _typeName: 'ManagedObjectReference', type: self.attributes.type, value: self.text.trim() }, call };
}

const ENVELOPE_OPEN =
  '<?xml version="1.0" encoding="UTF-8"?>\n<soapenv:Envelope xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" ' +
  'xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" ' +
  'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n<soapenv:Body>\n';
const ENVELOPE_CLOSE = '</soapenv:Body>\n</soapenv:Envelope>';

/** What a method answers: nothing (void), one value, or an array (one `returnval` per item). */
export interface SoapAnswer {
  type: FieldType;
  value?: unknown;
}

export function soapResponse(method: string, answer: SoapAnswer, version: VimVersion): string {
  const returnval = encodeElement('returnval', answer.type, answer.value, version);
  return `${ENVELOPE_OPEN}<${method}Response xmlns="${VIM25}">${returnval}</${method}Response>\n${ENVELOPE_CLOSE}`;
}

/**
 * A SOAP fault with the vim25 fault `<XFault xsi:type="X">` in its detail, as vCenter writes it (and govmomi's
 * vcsim: `ServerFaultCode` for every fault, InvalidRequest included).
 */
export function soapFault(typeName: string, faultString: string, properties: Record<string, unknown>, version: VimVersion): string {
  const detail = `<${typeName}Fault xmlns="${VIM25}" xsi:type="${typeName}">${encodeFields(typeName, properties, version)}</${typeName}Fault>`;
  return (
    `${ENVELOPE_OPEN}<soapenv:Fault>\n<faultcode>ServerFaultCode</faultcode>\n<faultstring>${escapeXml(faultString)}</faultstring>\n` +
    `<detail>${detail}</detail>\n</soapenv:Fault>\n${ENVELOPE_CLOSE}`
  );
}
