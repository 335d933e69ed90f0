import { randomBytes } from 'node:crypto';
import { config } from '../config.js';
import { logger } from '../log.js';
import type { ConsoleSessionReport, PlaybackGrant, RecordingGrant, RecordingManifest } from '../protocol/console-proxy.js';
import { recordingKeyPrefix } from '../protocol/recording.js';
import { fingerprint, issueSecret, parseSecret, scopeKey } from '../protocol/secrets.js';
import type { OpenConsoleRecord, RecordingAuditEvent, RecordingRecord, TenantRecord, VmRecord } from '../records.js';
import * as store from '../store/index.js';
import * as Audit from './audit.js';
import { isoNow, nowMs, nowSeconds } from './clock.js';
import { NotFound } from './errors.js';
import { DEFAULT_RETENTION_DAYS, type RecordingPolicy } from './recording-policy.js';
import { isServing } from './serving.js';

/**
 * Console recordings (issue 27), the API's side: the policy in force for a console (the tenant's, fields
 * overridden by the VM's spec), the manifest written at redemption and completed by the proxy's end report,
 * and one-time playback links. The proxy writes the recording's objects (lib/protocol/recording.ts).
 */

/** How long a playback link can be used (once). */
export const PLAYBACK_TTL_SECONDS = 30 * 60;

/** The policy in force for a console of `vm`: undefined when it is not recorded. */
export function recordingPolicyOf(tenant: TenantRecord | undefined, vm: VmRecord): RecordingPolicy | undefined {
  const policy = { record: false, ...tenant?.recordingPolicy, ...vm.recordingPolicy };
  if (!policy.record) return undefined;
  return { input: policy.recordInput ?? false, mandatory: policy.mandatory ?? false, retentionDays: policy.retentionDays ?? DEFAULT_RETENTION_DAYS };
}

/**
 * A UUID of version 7 (RFC 9562): 48 bits of Unix milliseconds, then 74 random bits. Recordings are keyed by
 * it, so a VM's or a user's recordings list newest first in key order, with no timestamp in the key.
 */
export function timeOrderedUuid(ms = nowMs()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(ms, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const isoOfSeconds = (seconds: number) => new Date(seconds * 1000).toISOString();

/** A manifest as listings and the playback page show it (`RecordingManifest`). */
export function manifestOf(recording: RecordingRecord): RecordingManifest {
  const { keyPrefix: _prefix, mandatory: _mandatory, retentionDays: _retention, expiresAt, ...shown } = recording;
  return { ...shown, expiresAt: isoOfSeconds(expiresAt) };
}

const auditOf = (recording: RecordingRecord, event: RecordingAuditEvent['event'], at: string): Omit<RecordingAuditEvent, 'expiresAt'> => ({
  tenantId: recording.tenantId,
  event,
  at,
  recordingId: recording.recordingId,
  vmMoId: recording.vmMoId,
  userName: recording.userName,
  sessionId: recording.sessionId,
});

/**
 * The manifest of a console about to open under `policy`, its "recording started" audit entry, and the grant
 * the proxy records by. Written by the caller together with the registry item (one BatchWriteItem).
 */
export function startRecording(open: OpenConsoleRecord, policy: RecordingPolicy) {
  const recordingId = timeOrderedUuid();
  const keyPrefix = recordingKeyPrefix(open.tenantId, open.vmMoId, recordingId);
  const manifest: RecordingRecord = {
    recordingId,
    tenantId: open.tenantId,
    vmMoId: open.vmMoId,
    instanceUuid: open.instanceUuid,
    userName: open.userName,
    sessionId: open.sessionId,
    consoleType: open.consoleType,
    ...(open.clientAddress ? { clientAddress: open.clientAddress } : {}),
    ...(open.proxyInstance ? { proxyInstance: open.proxyInstance } : {}),
    keyPrefix,
    input: policy.input,
    mandatory: policy.mandatory,
    retentionDays: policy.retentionDays,
    state: 'recording',
    startedAt: open.startedAt,
    expiresAt: Math.floor(Date.parse(open.startedAt) / 1000) + policy.retentionDays * 86_400,
  };
  const grant: RecordingGrant = { recordingId, keyPrefix, input: policy.input, mandatory: policy.mandatory, retentionDays: policy.retentionDays };
  return { manifest, grant, started: Audit.auditEvent(auditOf(manifest, 'recording started', open.startedAt)) };
}

/**
 * The end report's recording outcome: the manifest completed (state, reason, end, chunks, bytes) and
 * "recording stopped" audited — both idempotent, so a retried report changes nothing. A report naming no
 * live manifest of its session (expired, another session's) is logged and otherwise ignored.
 */
export async function endRecording(report: ConsoleSessionReport & { recording: NonNullable<ConsoleSessionReport['recording']> }): Promise<void> {
  const { recordingId, state, reason, chunks, bytes } = report.recording;
  const outcome = { state, endedAt: report.endedAt, chunks, bytes, ...(reason === undefined ? {} : { reason }) };
  const ended = await store.endRecording(report.tenantId, report.vmMoId, recordingId, report.sessionId, outcome);
  if (!ended) {
    logger.warn('recording outcome for no live manifest of the session', { tenant: report.tenantId, vm: report.vmMoId, session: report.sessionId, recording: recordingId });
    return;
  }
  await Audit.recordAuditEvent({ ...auditOf(ended, 'recording stopped', report.endedAt), state, ...(reason === undefined ? {} : { reason }) });
}

const recordingNotFound = (recordingId: string) =>
  NotFound(`Recording ${recordingId} was not found.`, { object: { type: 'ConsoleRecording', id: recordingId } });

/** A recording of the tenant by id (another tenant's and an expired one are not found alike). */
export async function findRecording(tenantId: string, recordingId: string): Promise<RecordingRecord> {
  const found = await store.findRecording(tenantId, recordingId);
  if (!found) throw recordingNotFound(recordingId);
  return found;
}

/** A recording of one VM of the tenant by id (strongly consistent: one GetItem). */
export async function getRecording(tenantId: string, moId: string, recordingId: string): Promise<RecordingRecord> {
  const found = await store.getRecording(tenantId, moId, recordingId);
  if (!found) throw recordingNotFound(recordingId);
  return found;
}

export type RecordingScope = { tenantId: string; vmMoId: string } | { tenantId: string; userName: string };

/** A page of a VM's or a user's recordings, newest first. */
export function listRecordings(scope: RecordingScope, page: store.PageRequest): Promise<store.Page<RecordingRecord>> {
  return 'vmMoId' in scope ? store.pageRecordingsOfVm(scope.tenantId, scope.vmMoId, page) : store.pageRecordingsOfUser(scope.tenantId, scope.userName, page);
}

export interface PlaybackLink {
  url: string;
  expiresAt: string;
}

/**
 * A one-time link to the proxy's playback page for `recording`, issued to `viewer` (a tenant auditor's user
 * name, or `operator`). The token is a ticket-like secret (32 random bytes; only its SHA-256 is stored).
 */
export async function issuePlaybackLink(recording: RecordingRecord, viewer: string): Promise<PlaybackLink> {
  const secret = issueSecret(recording.tenantId, scopeKey(recording.recordingId));
  const expiresAt = nowSeconds() + PLAYBACK_TTL_SECONDS;
  await store.putPlaybackToken(
    { tenantId: recording.tenantId, tokenHash: secret.hash, recordingId: recording.recordingId, vmMoId: recording.vmMoId, viewer, issuedAt: isoNow(), expiresAt },
    secret.scope,
  );
  logger.info('playback link issued', { tenant: recording.tenantId, vm: recording.vmMoId, recording: recording.recordingId, viewer, token: fingerprint(secret.hash) });
  return { url: `${config.consoleProxyBaseUrl()}/playback.html?token=${secret.value}`, expiresAt: isoOfSeconds(expiresAt) };
}

/** A playback link for a recording of the tenant named by its id alone (the operator's). */
export const playbackLinkOf = async (tenantId: string, recordingId: string, viewer: string): Promise<PlaybackLink> =>
  issuePlaybackLink(await findRecording(tenantId, recordingId), viewer);

/** Used, expired, unknown and malformed playback tokens are all refused with this one error. */
export const playbackRefused = () => NotFound('The playback token is not valid.');

/**
 * Consumes a playback token, exactly once (one conditional DeleteItem, the tenant's deletion mark read
 * beside it), and answers what the proxy plays: the manifest (refused when it expired meanwhile), where its
 * objects are, and who watches. "recording played" is audited.
 */
export async function redeemPlayback(token: string, clientAddress?: string): Promise<PlaybackGrant> {
  const secret = parseSecret(token);
  if (!secret) throw playbackRefused();
  const [redeemed, tenant] = await Promise.all([store.redeemPlaybackToken(secret.tenantId, secret.scope, secret.hash), store.getTenant(secret.tenantId)]);
  if (!redeemed || !isServing(tenant)) throw playbackRefused();
  const recording = await store.getRecording(redeemed.tenantId, redeemed.vmMoId, redeemed.recordingId);
  if (!recording) throw playbackRefused();
  const tokenFingerprint = fingerprint(secret.hash);
  await Audit.recordAuditEvent({ ...auditOf(recording, 'recording played', isoNow()), viewer: redeemed.viewer, tokenFingerprint });
  logger.info('recording played', { tenant: recording.tenantId, vm: recording.vmMoId, recording: recording.recordingId, viewer: redeemed.viewer, token: tokenFingerprint, clientAddress });
  return { manifest: manifestOf(recording), keyPrefix: recording.keyPrefix, viewer: redeemed.viewer };
}
