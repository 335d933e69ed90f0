import type { AuditEventRecord, OpenConsoleRecord, PlaybackTokenRecord, RecordingRecord } from '../records.js';
import { tableName } from './client.js';
import { auditEventPutRequest } from './audit.js';
import { all, equals, exists, isExpired, live, placeholders } from './expressions.js';
import { deleteItem, deleteItems, getItem, putItem, putItems, updateItem } from './items.js';
import { gsi1, gsi2, keys, recordOf } from './keys.js';
import { openConsolePutRequest } from './open-consoles.js';
import { queryAll, queryPage, type Page, type PageRequest } from './paging.js';
import { deleteRequest, indexQueryRequest, putRequest, updateRequest, type PutRequest, type QueryRequest } from './requests.js';

/**
 * Console recordings' manifests and their one-time playback tokens. A manifest lives under its VM
 * (`RECORDING#<t>#<moId>`, sorted by its time-ordered id), with two index entries: the user's (gsi1) and the
 * tenant's by id (gsi2). Every read drops a manifest past `expiresAt` (its retention).
 */

export const recordingPutRequest = (recording: RecordingRecord): PutRequest<RecordingRecord> =>
  putRequest(keys.recording(recording.tenantId, recording.vmMoId, recording.recordingId), recording, {
    indexes: {
      ...gsi1.recordingsOfUser(recording.tenantId, recording.userName, recording.recordingId),
      ...gsi2.recordingsOfTenant(recording.tenantId, recording.recordingId),
    },
  });

/**
 * A recorded console opens: its registry item, its manifest and the "recording started" audit entry in one
 * BatchWriteItem — the same one round trip as the registry's PutItem alone. A batch has no conditions: the
 * registry put's "absent" condition only guarded against a collision of random UUIDs.
 */
export const putOpenConsoleWithRecording = (open: OpenConsoleRecord, recording: RecordingRecord, started: AuditEventRecord): Promise<void> =>
  putItems([openConsolePutRequest(open), recordingPutRequest(recording), auditEventPutRequest(started)]);

export const getRecording = (tenantId: string, moId: string, recordingId: string): Promise<RecordingRecord | undefined> =>
  getItem(keys.recording(tenantId, moId, recordingId));

/** What the end report says of a recording. */
export type RecordingOutcome = Pick<RecordingRecord, 'state' | 'reason' | 'endedAt' | 'chunks' | 'bytes'>;

/**
 * Completes the manifest of the session `sessionId` with its outcome (the same values again for a retried
 * report). Only a live manifest of that session is updated.
 */
export const endRecordingRequest = (tenantId: string, moId: string, recordingId: string, sessionId: string, outcome: RecordingOutcome) =>
  updateRequest(
    keys.recording(tenantId, moId, recordingId),
    `SET #state = :state, #endedAt = :endedAt, #chunks = :chunks, #bytes = :bytes${outcome.reason === undefined ? ' REMOVE #reason' : ', #reason = :reason'}`,
    {
      condition: all(exists, live, equals('sessionId')),
      values: {
        sessionId,
        state: outcome.state,
        endedAt: outcome.endedAt,
        chunks: outcome.chunks,
        bytes: outcome.bytes,
        ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      },
      returns: 'ALL_NEW',
    },
  );

/** @returns the updated manifest, or undefined when there is no live one of that session. */
export async function endRecording(...args: Parameters<typeof endRecordingRequest>): Promise<RecordingRecord | undefined> {
  return recordOf<RecordingRecord>(await updateItem(endRecordingRequest(...args)));
}

const byIdRequest = (tenantId: string, recordingId: string): QueryRequest =>
  indexQueryRequest(gsi2.name, '#gsi2pk = :gsi2pk AND #gsi2sk = :gsi2sk', { filter: live, values: gsi2.recordingsOfTenant(tenantId, recordingId) });

const records = (items: Record<string, unknown>[]): RecordingRecord[] =>
  items.filter((item) => !isExpired(item)).map((item) => recordOf<RecordingRecord>(item)!);

/** A recording of the tenant by its id alone, wherever its VM (the tenant's index; eventually consistent). */
export async function findRecording(tenantId: string, recordingId: string): Promise<RecordingRecord | undefined> {
  return records(await queryAll(byIdRequest(tenantId, recordingId)))[0];
}

/** A VM's live recordings, newest first, older than the recording `after` (strongly consistent). */
export function recordingsOfVmRequest(tenantId: string, moId: string, after?: string): QueryRequest {
  const keyCondition = after === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :after';
  return {
    TableName: tableName(),
    KeyConditionExpression: keyCondition,
    FilterExpression: live,
    ScanIndexForward: false,
    ...placeholders([keyCondition, live], { pk: keys.recordingPartition(tenantId, moId), ...(after === undefined ? {} : { after }) }),
  };
}

/** A user's live recordings (gsi1), newest first, older than the recording `after`. */
export function recordingsOfUserRequest(tenantId: string, userName: string, after?: string): QueryRequest {
  const keyCondition = after === undefined ? '#gsi1pk = :gsi1pk' : '#gsi1pk = :gsi1pk AND #gsi1sk < :after';
  const { gsi1pk } = gsi1.recordingsOfUser(tenantId, userName);
  return { ...indexQueryRequest(gsi1.name, keyCondition, { filter: live, values: { gsi1pk, ...(after === undefined ? {} : { after }) } }), ScanIndexForward: false };
}

const pageOf = async (request: QueryRequest, limit: number): Promise<Page<RecordingRecord>> => {
  const found = await queryPage(request, limit);
  return { items: records(found.items), more: found.more };
};

export const pageRecordingsOfVm = (tenantId: string, moId: string, page: PageRequest) => pageOf(recordingsOfVmRequest(tenantId, moId, page.after), page.limit);
export const pageRecordingsOfUser = (tenantId: string, userName: string, page: PageRequest) =>
  pageOf(recordingsOfUserRequest(tenantId, userName, page.after), page.limit);

// ---- one-time playback tokens ----

/** A playback token, under the recording it plays (`recordingKey`: what the token carries of the recording). */
export const putPlaybackToken = (token: PlaybackTokenRecord, recordingKey: string): Promise<boolean> =>
  putItem(putRequest(keys.playbackToken(token.tenantId, recordingKey, token.tokenHash), token));

/** One-time use in one round trip: a DeleteItem that only succeeds while the token exists unexpired (cf. tickets). */
export const playbackRedemptionRequest = (tenantId: string, recordingKey: string, tokenHash: string) =>
  deleteRequest(keys.playbackToken(tenantId, recordingKey, tokenHash), { onlyIfLive: true });

export const redeemPlaybackToken = (tenantId: string, recordingKey: string, tokenHash: string): Promise<PlaybackTokenRecord | undefined> =>
  deleteItem(playbackRedemptionRequest(tenantId, recordingKey, tokenHash));

/**
 * Deletes up to `maxItems` of a deleted tenant's manifests, expired ones too (its index partition by id,
 * gsi2): a step of the tenant's drain. @returns how many. (The recordings' objects expire by their S3
 * lifecycle tag; playback tokens expire within 30 minutes and are refused once the tenant is marked.)
 */
export async function deleteRecordingsOfTenant(tenantId: string, maxItems: number): Promise<number> {
  const page = await queryPage(
    indexQueryRequest(gsi2.name, '#gsi2pk = :gsi2pk', { projection: '#pk, #sk', values: { gsi2pk: gsi2.recordingsOfTenant(tenantId).gsi2pk } }),
    maxItems,
  );
  await deleteItems(page.items.map((item) => ({ pk: String(item.pk), sk: String(item.sk) })));
  return page.items.length;
}
