import { config } from '../../config.js';
import { isDomainError, NotFound, Unauthenticated, Unauthorized } from '../../core/errors.js';
import { authenticatePlatform } from '../../core/platform.js';
import { CONSOLE_PRIVILEGE } from '../../core/privileges.js';
import * as Sessions from '../../core/sessions.js';
import * as Tickets from '../../core/tickets.js';
import { bearerToken } from '../../http/endpoint.js';
import type { HttpEvent } from '../../http/types.js';
import type { ConsoleRecord, TicketRecord, VmRecord } from '../../records.js';

/** Nova's console ids are integers (`int(id)` in consoles.py); anything else names no console. */
export function consoleIdOf(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw NotFound(`Console ${raw} could not be found.`);
  return Number(raw);
}

/** `GET /servers/{id}/consoles` entries (consoles.py: _translate_keys). */
export const consoleSummary = (console: ConsoleRecord) => ({
  console: { console_type: console.consoleType, id: console.consoleId },
});

/** `GET /servers/{id}/consoles/{console_id}` (consoles.py: _translate_detail_keys): the proxy's address. */
export function consoleDetail(console: ConsoleRecord, vm: VmRecord, password: string) {
  const proxy = new URL(config.consoleProxyBaseUrl());
  const port = proxy.port ? Number(proxy.port) : proxy.protocol === 'https:' ? 443 : 80;
  return {
    console: {
      console_type: console.consoleType,
      host: proxy.hostname,
      id: console.consoleId,
      instance_name: vm.name,
      password,
      port,
    },
  };
}

/**
 * os-console-auth-tokens is for the console proxy (Nova's policy makes it admin-only): the console-proxy
 * platform key, as `X-Auth-Token` or `Authorization: Bearer`. A tenant's valid token is forbidden (403),
 * anything else unauthenticated (401).
 */
export async function requireConsoleProxy(event: HttpEvent): Promise<void> {
  const key = event.headers?.['x-auth-token'] ?? bearerToken(event.headers?.authorization);
  try {
    authenticatePlatform('consoleProxy', key);
  } catch (error) {
    if (await Sessions.isLiveSession(key)) throw Unauthorized("Policy doesn't allow os_compute_api:os-console-auth-tokens to be performed.");
    throw error;
  }
}

/** A live console token's record, without consuming it; Nova's words for an unknown or expired one. */
export async function lookupConsoleToken(token: string): Promise<TicketRecord> {
  try {
    return await Tickets.lookupTicket(token, CONSOLE_PRIVILEGE);
  } catch (error) {
    if (isDomainError(error) && error.kind === 'not_found') throw NotFound('Token not found');
    throw error;
  }
}

/** Before 2.31 only rdp-html5 tokens could be shown; Nova answers 401 for the others. */
export const consoleTypeNotAccessible = () => Unauthenticated('The requested console type details are not accessible');
