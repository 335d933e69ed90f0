import * as z from 'zod';
import { config } from '../../config.js';
import { DomainError, InvalidArgument } from '../../core/errors.js';
import * as NovaConsoles from '../../core/nova-consoles.js';
import { CONSOLE_PRIVILEGE } from '../../core/privileges.js';
import * as Tickets from '../../core/tickets.js';
import { atLeast, type Microversion } from './microversions.js';
import { requireServer } from './servers.js';
import type { SessionRecord, VmRecord } from '../../records.js';

/**
 * Remote consoles as nova/api/openstack/compute/remote_consoles.py and schemas/remote_consoles.py define them:
 * the 2.6 schema's protocols and types, 2.8 adds mks/webmks; a pair that does not belong together is the
 * compute manager's ConsoleTypeInvalid (400); a valid pair this deployment does not serve is the driver's
 * NotImplementedError (501).
 */
const PROTOCOLS_V26 = ['vnc', 'spice', 'serial', 'rdp'];
const TYPES_V26 = ['novnc', 'xvpvnc', 'spice-html5', 'serial', 'rdp-html5'];

const TYPES_OF_PROTOCOL: Record<string, string[]> = {
  vnc: ['novnc', 'xvpvnc'],
  spice: ['spice-html5'],
  serial: ['serial'],
  rdp: ['rdp-html5'],
  mks: ['webmks'],
};

/** The request body's shape; which values are allowed depends on the microversion (see `requireKnown`). */
export const RemoteConsoleBody = z
  .object({
    remote_console: z.object({ protocol: z.string(), type: z.string() }).strict(),
  })
  .strict();
export type RemoteConsoleRequest = z.output<typeof RemoteConsoleBody>['remote_console'];

/** Rejects values outside the version's JSON-schema enums with Nova's validation message. */
export function requireKnown(request: RemoteConsoleRequest, version: Microversion): void {
  const withMks = atLeast(version, 2, 8);
  const enums = {
    protocol: withMks ? [...PROTOCOLS_V26, 'mks'] : PROTOCOLS_V26,
    type: withMks ? [...TYPES_V26, 'webmks'] : TYPES_V26,
  };
  for (const field of ['protocol', 'type'] as const) {
    const value = request[field];
    if (!enums[field].includes(value)) {
      const allowed = `[${enums[field].map((entry) => `'${entry}'`).join(', ')}]`;
      throw InvalidArgument(
        `Invalid input for field/attribute ${field}. Value: ${value}. '${value}' is not one of ${allowed}`,
        { field: `remote_console.${field}` },
      );
    }
  }
}

/** The `protocol/type` pairs this deployment serves (NOVA_CONSOLE_TYPES, default `vnc/novnc`). */
export const supportedConsoleTypes = (): string[] =>
  config
    .novaConsoleTypes()
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** Refuses a mismatched pair (400) and a pair the deployment does not serve (501). */
export function requireSupported({ protocol, type }: RemoteConsoleRequest): void {
  if (!TYPES_OF_PROTOCOL[protocol]?.includes(type)) throw InvalidArgument(`Invalid console type ${type}`);
  if (!supportedConsoleTypes().includes(`${protocol}/${type}`)) {
    throw new DomainError('unsupported', 'The requested functionality is not supported.');
  }
}

/**
 * The console URL for a token, in the shapes of Nova's ConsoleAuthToken.access_url: noVNC reads the token
 * from `path` (noVNC >= 1.1 dropped the top-level `token` parameter); every other type takes `?token=`.
 */
export function consoleUrl(type: string, token: string): string {
  const base = config.consoleProxyBaseUrl().replace(/\/+$/, '');
  switch (type) {
    case 'novnc':
      return `${base}/vnc_auto.html?path=${encodeURIComponent(`?token=${token}`)}`;
    case 'xvpvnc':
      return `${base}/console?token=${token}`;
    case 'spice-html5':
      return `${base}/spice_auto.html?token=${token}`;
    case 'serial':
      return `${base.replace(/^http/, 'ws')}/?token=${token}`;
    default:
      return `${base}/?token=${token}`;
  }
}

/**
 * The checks every Nova console passes, in Nova's order — the server (absent and foreign alike), the policy
 * (ConsoleInteract), a type this deployment serves, a ready instance — then the one-time token (one
 * conditional PutItem) in the console URL. Shared by remote-consoles (2.6+) and the os-get*Console actions.
 */
export async function openRemoteConsole(
  session: SessionRecord,
  vm: VmRecord | undefined,
  serverId: string,
  console: RemoteConsoleRequest,
): Promise<string> {
  const server = requireServer(vm, serverId);
  Tickets.requirePrivilege(session, CONSOLE_PRIVILEGE, server);
  requireSupported(console);
  const { ticket } = await NovaConsoles.issueConsoleToken(session, server, console.type);
  return consoleUrl(console.type, ticket);
}
