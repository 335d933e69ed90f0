/**
 * vCenter REST console ticket types (com.vmware.vcenter.vm.console.tickets.type): the privilege each needs,
 * its readiness rule, and the URI the ticket is answered in.
 */
import { config } from '../../config.js';
import { vsphereReadiness, type ConsoleTicketType } from '../../core/console-tickets.js';
import { CONSOLE_PRIVILEGE } from '../../core/privileges.js';
import { webmksUri } from '../vim25/console-types.js';

export const VCENTER_CONSOLE_TYPES = ['VMRC', 'WEBMKS'] as const;
export type VcenterConsoleType = (typeof VCENTER_CONSOLE_TYPES)[number];

/** What VMRC opens: vCenter's own name, the ticket as the `clone` credential, the VM by moId. */
export const vmrcUri = (ticket: string, vcenterServer: string, moId: string): string =>
  `vmrc://clone:${ticket}@${vcenterServer}/?moid=${encodeURIComponent(moId)}`;

export const VCENTER_CONSOLES: Record<VcenterConsoleType, ConsoleTicketType<string>> = {
  // A VMRC ticket can be had for a powered-off VM (VMRC then shows the VM and can power it on).
  VMRC: {
    name: 'VMRC',
    privilege: CONSOLE_PRIVILEGE,
    requireReady: vsphereReadiness('VMRC', false),
    answer: (ticket, vm) => vmrcUri(ticket, config.vcenterServerName(), vm.moId),
  },
  WEBMKS: {
    name: 'WEBMKS',
    privilege: CONSOLE_PRIVILEGE,
    requireReady: vsphereReadiness('WEBMKS', true),
    answer: (ticket, vm) => webmksUri(ticket, vm.host),
  },
};
