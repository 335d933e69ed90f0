import { config } from '../config.js';
import { logger } from '../log.js';
import { OPERATOR_WATCHER } from '../protocol/console-proxy.js';
import { fingerprint } from '../protocol/secrets.js';
import type { OpenConsoleRecord, SessionRecord, TenantRecord, VmRecord } from '../records.js';
import * as store from '../store/index.js';
import { requirePrivilege } from './access.js';
import { consolePolicyOf } from './console-policy.js';
import { ConnectionLimitReached, NotFound } from './errors.js';
import { CONSOLE_AUDIT_PRIVILEGE, CONSOLE_PRIVILEGE } from './privileges.js';
import { isServing } from './serving.js';
import { tenantReadWith } from './sessions.js';
import { MAX_SHADOWS_PER_SESSION, watchable } from './shadows.js';
import { issueTicket } from './tickets.js';

/**
 * Shadow tickets (issue 27, docs/shadowing.md): the operator, or a tenant auditor, asks for a one-time ticket
 * that opens a read-only view of an open console. The ticket is an ordinary console ticket of the watched VM
 * (lib/core/tickets.ts: hashed, 30 minutes), issued to the watcher and marked as a shadow of the session; its
 * redemption is lib/core/shadows.ts `openShadow`.
 */

/** The console type of a shadow's ticket and registry entry (the ordinary noVNC page opens it). */
export const SHADOW_CONSOLE_TYPE = 'shadow';

export interface IssuedShadowTicket {
  ticket: string;
  /** The ordinary console page with the ticket, exactly like a console ticket's. */
  url: string;
  expiresAt: string;
}

const sessionNotOpen = (sessionId: string) =>
  NotFound(`Console session ${sessionId} is not open.`, { object: { type: 'ConsoleSession', id: sessionId } });

/** The console page that opens `ticket` on the proxy (noVNC reads the token from `path`). */
export const shadowUrl = (ticket: string): string =>
  `${config.consoleProxyBaseUrl().replace(/\/+$/, '')}/vnc_auto.html?path=${encodeURIComponent(`?token=${ticket}`)}`;

function requireRoom(sessionId: string, shadows: OpenConsoleRecord[]): void {
  if (shadows.length < MAX_SHADOWS_PER_SESSION) return;
  throw ConnectionLimitReached(`Console session ${sessionId} already has ${shadows.length} shadows; the limit is ${MAX_SHADOWS_PER_SESSION}.`, {
    connectionLimit: MAX_SHADOWS_PER_SESSION,
    object: { type: 'ConsoleSession', id: sessionId },
  });
}

/**
 * The ticket: an ordinary one-time console ticket of the watched VM (it opens the screen, so the proxy's
 * redemption takes it), issued to the watcher and marked as a shadow of the session.
 */
async function issue(watcher: string, vm: VmRecord, sessionId: string, known?: TenantRecord): Promise<IssuedShadowTicket> {
  const [{ watched, shadows }, tenant] = await Promise.all([
    watchable(vm.tenantId, vm.moId, sessionId),
    known?.tenantId === vm.tenantId ? known : store.getTenant(vm.tenantId),
  ]);
  if (!watched || !isServing(tenant)) throw sessionNotOpen(sessionId);
  requireRoom(sessionId, shadows);
  const { idleTimeoutSeconds, maxDurationSeconds } = consolePolicyOf(tenant);
  const { ticket, record } = await issueTicket({ userName: watcher }, vm, SHADOW_CONSOLE_TYPE, CONSOLE_PRIVILEGE, {
    sessionLimits: { idleTimeoutSeconds, maxDurationSeconds },
    shadowOf: { sessionId, userName: watched.userName },
  });
  logger.info('shadow ticket issued', { tenant: vm.tenantId, vm: vm.moId, watcher, session: sessionId, ticket: fingerprint(record.ticketHash) });
  return { ticket, url: shadowUrl(ticket), expiresAt: new Date(record.expiresAt * 1000).toISOString() };
}

/** The operator's shadow ticket of one of the tenant's open consoles, found by its id (404 unless open). */
export async function issueOperatorShadowTicket(tenantId: string, sessionId: string): Promise<IssuedShadowTicket> {
  const open = await store.findOpenConsole(tenantId, sessionId);
  const vm = open && open.shadowOf === undefined ? await store.getVm(tenantId, open.vmMoId) : undefined;
  if (!vm) throw sessionNotOpen(sessionId);
  return issue(OPERATOR_WATCHER, vm, sessionId);
}

/** A tenant auditor's shadow ticket of an open console of `vm` (the caller's own VM, found by the dialect). */
export async function issueAuditorShadowTicket(session: SessionRecord, vm: VmRecord, sessionId: string): Promise<IssuedShadowTicket> {
  requirePrivilege(session, CONSOLE_AUDIT_PRIVILEGE, vm);
  // The tenant's profile came with the session (one BatchGetItem): no second read of it.
  return issue(session.userName, vm, sessionId, tenantReadWith(session));
}

/** A VM's open consoles and shadows, for a tenant auditor. */
export async function consolesOfVmForAuditor(session: SessionRecord, vm: VmRecord): Promise<OpenConsoleRecord[]> {
  requirePrivilege(session, CONSOLE_AUDIT_PRIVILEGE, vm);
  return store.openConsolesOfVm(vm.tenantId, vm.moId);
}

