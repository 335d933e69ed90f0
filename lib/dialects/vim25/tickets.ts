import * as z from 'zod';
import { webmksUri } from '../../core/consoles.js';
import { VIM_TICKET_TYPES, type VimTicketType } from '../../core/vim-tickets.js';
import { ReleaseSchema } from './release.js';
import type { VmRecord } from '../../records.js';

const path = z.object({ release: ReleaseSchema, moId: z.string() });

/**
 * `AcquireTicketRequestType`. Clients such as govmomi also send the request's own `_typeName`
 * (`{"_typeName":"AcquireTicket","ticketType":"webmks"}`), which is accepted and ignored. A missing body
 * is a missing `ticketType`, so the fault names that parameter.
 */
export const AcquireTicketInput = z.object({
  path,
  body: z.preprocess(
    (body) => body ?? {},
    z.object({ ticketType: z.enum(VIM_TICKET_TYPES) }),
  ),
});

/** `AcquireMksTicket` takes no parameters; a body (govmomi sends `{"_typeName":"AcquireMksTicket"}`) is ignored. */
export const AcquireMksTicketInput = z.object({ path });

/** The ESX host the client connects to, and the SHA-1 thumbprint of its certificate. */
const hostIdentity = (vm: VmRecord) => ({
  host: vm.host.address,
  port: vm.host.port,
  sslThumbprint: vm.host.sslThumbprintSha1,
});

/**
 * `VirtualMachineTicket`. `certThumbprintList` carries the SHA-1 and the SHA-256 thumbprint, as the issue
 * asks (vSphere 8.0.3's `VirtualMachineCertThumbprintHashAlgorithm` names only `sha256`; clients that know
 * only that value skip the `sha1` entry, and clients pinning SHA-1 find it there as in `sslThumbprint`).
 * Only `webmks` is documented as a WebSocket URL (`wss://{host}/ticket/{ticket}`), so only it carries `url`.
 */
export const virtualMachineTicket = (ticket: string, vm: VmRecord, type: VimTicketType) => ({
  _typeName: 'VirtualMachineTicket',
  ticket,
  cfgFile: vm.vmxPath,
  ...hostIdentity(vm),
  certThumbprintList: [
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: vm.host.sslThumbprintSha1, hashAlgorithm: 'sha1' },
    { _typeName: 'VirtualMachineCertThumbprint', thumbprint: vm.host.sslThumbprintSha256, hashAlgorithm: 'sha256' },
  ],
  ...(type === 'webmks' ? { url: webmksUri(ticket, vm.host) } : {}),
});

/** `VirtualMachineMksTicket` (deprecated since 4.1, still served). */
export const virtualMachineMksTicket = (ticket: string, vm: VmRecord) => ({
  _typeName: 'VirtualMachineMksTicket',
  ticket,
  cfgFile: vm.vmxPath,
  ...hostIdentity(vm),
});
