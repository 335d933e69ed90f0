import type * as z from 'zod';
import type { HttpEvent } from '../../http/types.js';
import type { SessionRecord, VmRecord } from '../../records.js';
import type { MoRef } from './encoding.js';
import type { SoapAnswer } from './envelope.js';
import type { VimVersion } from './versions.js';

/**
 * One vim25 method served over SOAP: the managed object type it is called on, what its caller must present
 * (nothing, a session, or a session and the VM a parameter names, read together in one round trip), its
 * parameters' schema, and a thin call of the core rendered as the method's answer.
 */
export interface SoapMethod<S extends z.ZodType = z.ZodType> {
  on: string;
  auth: SoapAuth;
  params: S;
  run: (params: z.output<S>, call: SoapCall) => Promise<SoapResult>;
}

export type SoapAuth =
  | { kind: 'none' }
  | { kind: 'session' }
  /** A session and the VM: `_this` (`param` unset) or the MOR in parameter `param`. */
  | { kind: 'vm'; param?: string };

export interface SoapCall {
  target: MoRef;
  version: VimVersion;
  event: HttpEvent;
  /** Set for every method but `auth: none`. */
  session?: SessionRecord;
  /** Set for `auth: vm`, when the VM is the caller's own. */
  vm?: VmRecord;
  /** The VM's moId the request named (for `auth: vm`). */
  vmMoId?: string;
}

export interface SoapResult extends SoapAnswer {
  headers?: Record<string, string>;
}

export const soapMethod = <S extends z.ZodType>(method: SoapMethod<S>): SoapMethod => method as unknown as SoapMethod;

/** A call that needs a session: its session, as `auth` guarantees. */
export const sessionOf = (call: SoapCall): SessionRecord => {
  if (!call.session) throw new Error('a session method was called without a session');
  return call.session;
};
