/**
 * vim25 faults over SOAP: the same fault types and properties as the JSON binding (lib/dialects/vim25/errors.ts,
 * one table for both), as a SOAP 1.1 fault with HTTP 500, as vCenter answers. A body that is not a vim25 SOAP
 * request is InvalidRequest.
 */
import type { DomainError } from '../../core/errors.js';
import type { HttpResponse } from '../../http/types.js';
import { VIM_FAULTS, vimFault } from '../vim25/errors.js';
import { soapFault } from './envelope.js';
import { VIM_VERSIONS, type VimVersion } from './versions.js';

export const XML_CONTENT_TYPE = 'text/xml; charset=utf-8';

export const soapXml = (statusCode: number, body: string, headers: Record<string, string> = {}): HttpResponse => ({
  statusCode,
  headers: { 'content-type': XML_CONTENT_TYPE, ...headers },
  body,
});

function faultType(error: DomainError): string {
  if (error.details.reason === 'invalid_login') return 'InvalidLogin';
  if (error.details.reason === 'invalid_request') return 'InvalidRequest';
  if (error.details.reason === 'invalid_guest_login') return 'InvalidGuestLogin';
  if (error.details.reason === 'guest_operations_unavailable') return 'GuestOperationsUnavailable';
  if (error.kind === 'not_found' && error.details.object?.type === 'GuestProcess') return 'GuestProcessNotFound';
  // A path no route serves has no fault of its own in SOAP: the call itself was not understood.
  return VIM_FAULTS[error.kind] ?? 'InvalidRequest';
}

/** The fault for `error`, with the properties the client's release knows. */
export function renderSoapError(error: DomainError, version: VimVersion): HttpResponse {
  const typeName = faultType(error);
  const { faultstring, ...properties } = vimFault(error, typeName);
  const guestProcess = typeName === 'GuestProcessNotFound' ? { pid: Number(error.details.object?.id) } : {};
  return soapXml(500, soapFault(typeName, faultstring, { ...properties, ...guestProcess }, version));
}

/** Failures before the client's release is known (a body too large or not SOAP): properties every release knows. */
export const renderSoapErrorUnversioned = (error: DomainError): HttpResponse => renderSoapError(error, VIM_VERSIONS[0]);
