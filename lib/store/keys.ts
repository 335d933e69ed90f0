/**
 * Every key of the single table. Nothing outside lib/store knows these prefixes.
 *
 * Layout (pk / sk):
 *   TENANT#<t> / PROFILE              tenant              gsi1: TENANTS / <t>
 *   TENANT#<t> / USER#<userName>      principal
 *   TENANT#<t> / VM#<moId>            virtual machine     gsi1: TENANT#<t>#VMUUID#<uuid> / VM
 *   TENANT#<t> / SESSION#<sha256>     session (TTL)
 *   TENANT#<t> / TICKET#<sha256>      console ticket (TTL)
 * Every key starts with the tenant: two tenants may both own `vm-42`, and no key of one is reachable from
 * another's credentials.
 */
export interface Key {
  pk: string;
  sk: string;
}

const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;

export const SK = {
  profile: 'PROFILE',
  userPrefix: 'USER#',
  vmPrefix: 'VM#',
  sessionPrefix: 'SESSION#',
  ticketPrefix: 'TICKET#',
} as const;

export const keys = {
  tenant: (tenantId: string): Key => ({ pk: tenantPk(tenantId), sk: SK.profile }),
  principal: (tenantId: string, userName: string): Key => ({ pk: tenantPk(tenantId), sk: SK.userPrefix + userName }),
  vm: (tenantId: string, moId: string): Key => ({ pk: tenantPk(tenantId), sk: SK.vmPrefix + moId }),
  session: (tenantId: string, hash: string): Key => ({ pk: tenantPk(tenantId), sk: SK.sessionPrefix + hash }),
  ticket: (tenantId: string, hash: string): Key => ({ pk: tenantPk(tenantId), sk: SK.ticketPrefix + hash }),
  tenantPartition: tenantPk,
};

export const gsi1 = {
  name: 'gsi1',
  tenants: (tenantId: string) => ({ gsi1pk: 'TENANTS', gsi1sk: tenantId }),
  vmByUuid: (tenantId: string, instanceUuid: string) => ({
    gsi1pk: `${tenantPk(tenantId)}#VMUUID#${instanceUuid.toLowerCase()}`,
    gsi1sk: 'VM',
  }),
};

/** Strips the table's own attributes from an item, leaving the record. */
export function recordOf<T>(item: Record<string, unknown> | undefined): T | undefined {
  if (!item) return undefined;
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, ...record } = item;
  return record as T;
}
