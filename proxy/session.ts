import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ConsoleSessionReport, ConsoleTarget } from '../lib/protocol/console-proxy.js';
import type { ConsoleBrokerApi } from './api.js';
import { recordSession } from './audit.js';
import { bridge, Close, closeConsole, type BridgeResult } from './bridge.js';
import { established, type ConsoleSessions } from './capacity.js';
import { clientAddressOf } from './client-address.js';
import type { ConsoleProxyConfig } from './config.js';
import { guarded } from './guard.js';
import type { LiveConsole, LiveConsoles } from './live-consoles.js';
import { logger } from './log.js';
import type { Traffic } from './metrics.js';
import { startRecording, type ConsoleRecording, type RecordingOutcome } from './recording/recorder.js';
import type { Recordings } from './recording/recordings.js';
import { noticesTo } from './notices.js';
import { redeem } from './redeem.js';
import { refuse, Refusal } from './refusals.js';
import { readOnlyView } from './shadow/read-only.js';
import type { DroppedInput } from './shadow/rfb-filter.js';
import { claimedTenant, ticketFingerprint } from './tickets.js';
import { connectVnc } from './vnc.js';

export interface SessionContext {
  config: ConsoleProxyConfig;
  api: ConsoleBrokerApi;
  sessions: ConsoleSessions;
  /** Where the bridge counts bytes for the metrics. */
  traffic?: Traffic;
  /** Where read-only shadows count the input they dropped, for the metrics. */
  droppedInput?: DroppedInput;
  /** The consoles held, by registry session id: matched by end orders, reported by heartbeats. */
  live: LiveConsoles;
  instanceId: string;
  /** Where consoles are recorded (absent: nowhere, as when the proxy has no recording bucket). */
  recordings?: Recordings;
}

/** A console WebSocket's whole life, guarded: a bug ends the session (1011), never the proxy. */
export const consoleSession = (context: SessionContext, request: IncomingMessage, ticket: string) =>
  guarded(
    'console session',
    (ws: WebSocket) => openConsole(context, ws, request, ticket),
    (ws) => closeConsole(ws, Close.internal, Refusal.internal),
  );

/**
 * Admission (the ticket's shape, capacity, the tenant's share, a pending place) → redemption → TCP to the
 * VM → bridge → audit record.
 */
async function openConsole(context: SessionContext, ws: WebSocket, request: IncomingMessage, ticket: string): Promise<void> {
  // Read nothing from the browser until the bridge exists: the VM gets no byte before redemption.
  ws.pause();
  ws.on('error', () => undefined); // the bridge listens from its start; until then a close says enough
  const { config, api, sessions } = context;
  const clientAddress = clientAddressOf(request, config.trustForwardedFor);
  if (!ticket) return refuse(ws, Close.policy, Refusal.noTicket, 'no ticket');
  const ticketId = ticketFingerprint(ticket);
  // A ticket that cannot be one the API issued is refused here: it costs the API nothing and holds no place.
  const claimed = claimedTenant(ticket);
  if (claimed === undefined) return refuse(ws, Close.policy, Refusal.ticket, 'ticket', ticketId);
  // Counted before redeeming, so a browser refused for capacity keeps its ticket. The tenant a ticket
  // claims is checked here for the same reason; the tenant the API redeems it for is checked after.
  if (established(sessions) >= config.maxSessions) return refuse(ws, Close.tryAgainLater, Refusal.capacity, 'capacity', ticketId);
  if (sessions.perTenant.count(claimed) >= config.maxSessionsPerTenant) {
    return refuse(ws, Close.tryAgainLater, Refusal.tenantShare, 'tenant share', ticketId, claimed);
  }
  // Waiting on the API takes a pending place, apart from the sessions: per client address and overall, so
  // a flood of invented tickets from one client neither fills the proxy nor the queue to it.
  if (sessions.pending.total() >= config.maxPendingRedemptions) {
    return refuse(ws, Close.tryAgainLater, Refusal.capacity, 'pending capacity', ticketId);
  }
  if (!sessions.pending.take(clientAddress, config.maxPendingPerClient)) {
    return refuse(ws, Close.tryAgainLater, Refusal.pending, 'pending per client', ticketId);
  }
  let endSession: (code: number, reason: string) => void = (code, reason) => closeConsole(ws, code, reason);
  const slot = (code: number, reason: string) => endSession(code, reason);
  sessions.live.add(slot);
  let tenant: string | undefined;
  let pending = true;
  let registered: string | undefined;
  try {
    const from = { ...(clientAddress !== 'unknown' ? { clientAddress: clientAddress.slice(0, 64) } : {}), proxyInstance: context.instanceId };
    const redemption = await redeem(api, ticket, ticketId, from);
    sessions.pending.release(clientAddress);
    pending = false;
    if (redemption === 'api unavailable') return closeConsole(ws, Close.internal, Refusal.api); // logged by redeem
    if (redemption === 'invalid') return refuse(ws, Close.policy, Refusal.ticket, 'ticket', ticketId);
    const { target } = redemption;
    // From here an order to end it finds it, also while the VM's console is still being reached.
    const live = context.live.add(target, slot);
    registered = target.session.sessionId;
    if (ws.readyState !== WebSocket.OPEN) return; // the browser left (or the proxy closed) meanwhile
    // Concurrent redemptions can pass the checks above together: the counts after redemption are what hold.
    if (established(sessions) > config.maxSessions) return refuse(ws, Close.tryAgainLater, Refusal.capacity, 'capacity', ticketId);
    if (!sessions.perTenant.take(target.tenantId, config.maxSessionsPerTenant)) {
      return refuse(ws, Close.tryAgainLater, Refusal.tenantShare, 'tenant share', ticketId, target.tenantId);
    }
    tenant = target.tenantId;
    const vnc = await connectVnc(target, config.vncConnectTimeoutMs);
    if (!vnc) return refuse(ws, Close.internal, Refusal.vnc, 'vnc unreachable', ticketId);
    if (ws.readyState !== WebSocket.OPEN) return void vnc.destroy();
    const startedAt = new Date();
    let recording: ConsoleRecording | undefined;
    if (target.recording) {
      // Its header is stored before a byte is bridged: a mandatory recording that cannot be stored refuses the console.
      const started = await startRecording(context.recordings, { ...target, recording: target.recording }, startedAt);
      if ('refused' in started) {
        vnc.destroy();
        reportSession(context, target, ticketId, clientAddress, startedAt, { bytesToVm: 0, bytesFromVm: 0, endReason: 'recording unavailable' }, started.refused);
        return refuse(ws, Close.tryAgainLater, Refusal.recording, 'recording unavailable', ticketId, target.tenantId);
      }
      recording = started.recording;
      if (ws.readyState !== WebSocket.OPEN) {
        vnc.destroy();
        return reportSession(context, target, ticketId, clientAddress, startedAt, { bytesToVm: 0, bytesFromVm: 0, endReason: 'client closed' }, recording.finish());
      }
    }
    const bridged = bridgeSession(ws, vnc, target, live, ticketId, clientAddress, context, startedAt, recording);
    endSession = bridged.end;
    await bridged.done;
  } finally {
    if (pending) sessions.pending.release(clientAddress);
    if (registered) context.live.delete(registered);
    sessions.live.delete(slot);
    if (tenant !== undefined) sessions.perTenant.release(tenant);
  }
}

/** Bridges the browser to the VM and, once either side ends, records the session (and its recording's outcome). */
function bridgeSession(
  ws: WebSocket,
  vnc: Socket,
  target: ConsoleTarget,
  live: LiveConsole,
  ticketId: string,
  clientAddress: string,
  context: SessionContext,
  startedAt: Date,
  recording: ConsoleRecording | undefined,
): { end: (code: number, reason: string) => void; done: Promise<void> } {
  const { config, traffic, droppedInput, live: lives } = context;
  const { sessionId } = target.session;
  const who = {
    session: sessionId, ticket: ticketId, tenant: target.tenantId, vm: target.vmMoId, principal: target.issuedTo,
    ...(target.shadowOf ? { shadowOf: target.shadowOf.sessionId } : {}),
  };
  logger.info('console session started', who);
  // A read-only shadow: its input is filtered out, and it holds no idle timeout (it never types).
  const shadow = target.shadowOf && readOnlyView(vnc, droppedInput);
  // The tenant's policy, within this proxy's own bounds.
  const bridged = bridge(ws, vnc, {
    highWaterMarkBytes: config.highWaterMarkBytes,
    idleTimeoutMs: shadow ? undefined : Math.min(config.idleTimeoutMs, target.session.idleTimeoutSeconds * 1000),
    maxSessionMs: Math.min(config.maxSessionMs, target.session.maxDurationSeconds * 1000),
    ...(shadow ? { filterInput: shadow.filterInput } : { onInput: () => (live.lastInputAt = Date.now()) }),
    ...(recording?.tap ? { tap: recording.tap } : {}),
  }, traffic);
  lives.bridged(live, noticesTo(ws));
  const done = bridged.done.then((result) => {
    logger.info('console session ended', {
      ...who, bytesToVm: result.bytesToVm, bytesFromVm: result.bytesFromVm, endReason: result.endReason,
      // Counts of the input a shadow's browser sent and the proxy dropped (never what it was).
      ...(shadow ? { droppedInput: shadow.dropped } : {}),
    });
    reportSession(context, target, ticketId, clientAddress, startedAt, result, recording?.finish());
  });
  return { end: bridged.end, done };
}

/**
 * The session's end report (the audit record), once its recording (if any) is stored or given up on; closing the
 * proxy waits for both.
 */
function reportSession(
  { api, sessions }: SessionContext,
  target: ConsoleTarget,
  ticketId: string,
  clientAddress: string,
  startedAt: Date,
  result: BridgeResult,
  recording: RecordingOutcome | Promise<RecordingOutcome> | undefined,
): void {
  const endedAt = new Date().toISOString();
  const report = Promise.resolve(recording).then((outcome): ConsoleSessionReport => ({
    sessionId: target.session.sessionId,
    tenantId: target.tenantId,
    vmMoId: target.vmMoId,
    instanceUuid: target.instanceUuid,
    consoleType: target.consoleType,
    principal: target.issuedTo,
    ticketFingerprint: ticketId,
    startedAt: startedAt.toISOString(),
    endedAt,
    ...result,
    ...(clientAddress !== 'unknown' ? { clientAddress } : {}),
    ...(outcome ? { recording: outcome } : {}),
  }));
  recordSession(api, sessions, report);
}
