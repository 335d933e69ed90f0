import * as z from 'zod';
import * as store from '../store/index.js';
import { isoNow } from './clock.js';
import { InvalidArgument, NotAllowedInCurrentState, NotFound } from './errors.js';
import {
  PrincipalSpecSchema,
  tenantOfUserName,
} from './model.js';
import { hashPassword } from '../protocol/secrets.js';
import type { PrincipalRecord, TenantRecord } from '../records.js';
import { ConsolePolicySpecSchema } from './console-policy.js';
import { RecordingPolicySpecSchema } from './recording-policy.js';
import { endConsolesOf, EndReasons } from './open-consoles.js';
import { privilegesOf } from './privileges.js';

/** What the operator says a tenant is: its name and, optionally, its console policy (docs/sessions.md). */
export const TenantSpecSchema = z
  .object({
    displayName: z.string().min(1).max(200),
    consolePolicy: ConsolePolicySpecSchema.optional(),
    /** Whether and how its consoles are recorded (docs/recording.md). */
    recordingPolicy: RecordingPolicySpecSchema.optional(),
  })
  .strict();
export type TenantSpec = z.infer<typeof TenantSpecSchema>;


/** What callers may see of a principal: never the password hash. */
export type PrincipalView = Omit<PrincipalRecord, 'passwordHash'>;
const viewOf = ({ passwordHash: _hidden, ...view }: PrincipalRecord): PrincipalView => view;

export const tenantNotFound = (tenantId: string) =>
  NotFound(`Tenant ${tenantId} not found.`, { object: { type: 'Tenant', id: tenantId } });

const beingDeleted = (tenantId: string) =>
  NotAllowedInCurrentState(`Tenant ${tenantId} is being deleted.`, { object: { type: 'Tenant', id: tenantId }, state: 'deleting' });

/**
 * Creates or replaces a tenant (its name, its console policy); one being deleted can be neither until it is
 * gone. A new policy applies to consoles opened from then on.
 */
export async function putTenant(tenantId: string, spec: TenantSpec): Promise<TenantRecord> {
  const existing = await store.getTenant(tenantId);
  if (existing?.deletingSince) throw beingDeleted(tenantId);
  const tenant: TenantRecord = {
    tenantId,
    displayName: spec.displayName,
    ...(spec.consolePolicy ? { consolePolicy: spec.consolePolicy } : {}),
    ...(spec.recordingPolicy ? { recordingPolicy: spec.recordingPolicy } : {}),
    createdAt: existing?.createdAt ?? isoNow(),
  };
  // Conditional: a delete marked between the read and the write wins.
  if (!(await store.putTenant(tenant))) throw beingDeleted(tenantId);
  return tenant;
}

/** The tenant, also while it is being deleted (`deletingSince`): reads show the deletion under way. */
export async function getTenant(tenantId: string): Promise<TenantRecord> {
  const tenant = await store.getTenant(tenantId);
  if (!tenant) throw tenantNotFound(tenantId);
  return tenant;
}

export const listTenants = (page: store.PageRequest): Promise<store.Page<TenantRecord>> => store.listTenants(page);


/** The tenant, when it may still receive users and VMs: not one being deleted. */
export async function requireLiveTenant(tenantId: string): Promise<TenantRecord> {
  const tenant = await getTenant(tenantId);
  if (tenant.deletingSince) throw beingDeleted(tenantId);
  return tenant;
}

export async function putPrincipal(
  tenantId: string,
  userName: string,
  spec: z.input<typeof PrincipalSpecSchema>,
): Promise<PrincipalView> {
  if (tenantOfUserName(userName) !== tenantId) {
    throw InvalidArgument(`User name ${userName} must end in @${tenantId}.`, { field: 'userName' });
  }
  await requireLiveTenant(tenantId);
  const principal: PrincipalRecord = {
    tenantId,
    userName,
    fullName: spec.fullName,
    passwordHash: await hashPassword(spec.password),
    privileges: privilegesOf(spec.privileges ?? [], spec.roles ?? []),
    updatedAt: isoNow(),
  };
  await store.putPrincipal(principal);
  // Sessions hold the privileges granted at login: a changed user logs in again, and its tickets go too.
  await revokeUser(tenantId, userName);
  return viewOf(principal);
}

export async function getPrincipal(tenantId: string, userName: string): Promise<PrincipalView> {
  const principal = await store.getPrincipal(tenantId, userName);
  if (!principal) throw NotFound(`User ${userName} not found.`, { object: { type: 'User', id: userName } });
  return viewOf(principal);
}

export const listPrincipals = async (tenantId: string, page: store.PageRequest): Promise<store.Page<PrincipalView>> => {
  await getTenant(tenantId);
  const { items, more } = await store.listPrincipals(tenantId, page);
  return { items: items.map(viewOf), more };
};

export async function deletePrincipal(tenantId: string, userName: string): Promise<void> {
  if (!(await store.deletePrincipal(tenantId, userName))) {
    throw NotFound(`User ${userName} not found.`, { object: { type: 'User', id: userName } });
  }
  await revokeUser(tenantId, userName);
}

/**
 * Ends the user's sessions and revokes the tickets it was issued (an exact query of its own partition), and
 * closes its open consoles on every proxy.
 */
async function revokeUser(tenantId: string, userName: string): Promise<void> {
  await Promise.all([store.revokeUser(tenantId, userName), endConsolesOf({ tenantId, userName }, EndReasons.userRevoked)]);
}
