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

/** Tenant auditors: list and play back the tenant's console recordings, and watch its open consoles read-only. */
export const CONSOLE_AUDIT_PRIVILEGE: Privilege = 'VirtualMachine.Interact.ConsoleAudit';

/**
 * Roles, as vSphere's sample roles: named sets of privileges an operator grants a user with (`roles` in the
 * user's spec), beside or instead of single privileges. `ConsoleAuditor` is the auditor's: it holds no
 * interactive console, only the audit privilege.
 */
export const ROLES = {
  VirtualMachineConsoleUser: ['VirtualMachine.Interact.ConsoleInteract', 'VirtualMachine.Interact.DeviceConnection'],
  ConsoleAuditor: ['VirtualMachine.Interact.ConsoleAudit'],
  GuestOperationsUser: ['VirtualMachine.GuestOperations.Execute', 'VirtualMachine.GuestOperations.Query', 'VirtualMachine.GuestOperations.Modify'],
} as const satisfies Record<string, readonly Privilege[]>;
export const RoleSchema = z.enum(Object.keys(ROLES) as [keyof typeof ROLES, ...(keyof typeof ROLES)[]]);

/** The privileges a user holds: those granted one by one and those of its roles. */
export const privilegesOf = (privileges: readonly Privilege[], roles: readonly (keyof typeof ROLES)[]): Privilege[] => [
  ...new Set([...privileges, ...roles.flatMap((role) => ROLES[role])]),
];

/**
 * System.Read, which vCenter asks for every inventory read, is not in this list: vCenter's Read-only role is
 * the least any principal holds on its own objects, so every principal of a tenant may read the tenant's
 * inventory, and inventory reads check the tenant only (a foreign VM is simply not found).
 */
