import type { ShadowAuditRecord } from '../records.js';
import { putItems } from './items.js';
import { keys, SK } from './keys.js';
import { recordsIn } from './paging.js';
import { putRequest } from './requests.js';

/**
 * Shadows' start and end entries in the audit trail (lib/core/shadows.ts), beside the day's console session
 * records under `EVENT#` (as the other audit entries).
 */

/** Writes shadows' entries (BatchWriteItem: each key is its own). */
export const putShadowAudits = (records: ShadowAuditRecord[]): Promise<void> =>
  putItems(records.map((record) => putRequest(keys.shadowAudit(record), record)));

/** A tenant's shadow entries of one UTC day (`yyyy-mm-dd`), in time order. */
export async function listShadowAudits(tenantId: string, day: string): Promise<ShadowAuditRecord[]> {
  const entries = await recordsIn<{ event: string }>(keys.auditPartition(tenantId, day), SK.auditEventPrefix);
  return entries.filter((entry): entry is ShadowAuditRecord => entry.event.startsWith('shadow '));
}
