import * as z from 'zod';

/** Privileges named exactly as vSphere names them. */
export const PRIVILEGES = [
  'VirtualMachine.Interact.ConsoleInteract',
  'VirtualMachine.Interact.DeviceConnection',
  'VirtualMachine.Interact.GuestControl',
  'VirtualMachine.Interact.DnD',
  'VirtualMachine.Interact.ConsoleAudit',
  'VirtualMachine.GuestOperations.Execute',
  'VirtualMachine.GuestOperations.Query',
  'VirtualMachine.GuestOperations.Modify',
] as const;

export type Privilege = (typeof PRIVILEGES)[number];

/** vSphere asks this privilege for every interactive console (mks, webmks, VMRC, WEBMKS); Nova's consoles need it too. */
export const CONSOLE_PRIVILEGE: Privilege = 'VirtualMachine.Interact.ConsoleInteract';
export const PrivilegeSchema = z.enum(PRIVILEGES);

/**
 * System.Read, which vCenter asks for every inventory read, is not in this list: vCenter's Read-only role is
 * the least any principal holds on its own objects, so every principal of a tenant may read the tenant's
 * inventory, and inventory reads check the tenant only (a foreign VM is simply not found).
 */
