/**
 * Nova's console types (nova/objects/fields.py ConsoleType, ConsoleAuthToken.access_url): the protocol each
 * belongs to, the microversion that added it, the URL its token is answered in, and the rule every Nova
 * console passes before a token is issued. Adding a console type is a row here.
 */
import { config } from '../../config.js';
import type { ConsoleTicketType } from '../../core/console-tickets.js';
import { InvalidArgument, NotAllowedInCurrentState, Unsupported } from '../../core/errors.js';
import { CONSOLE_PRIVILEGE } from '../../core/privileges.js';
import type { VmRecord } from '../../records.js';

interface NovaConsoleType {
  protocol: string;
  /** The first microversion whose JSON schema lists the type (and its protocol); 2.6 otherwise. */
  since?: [major: number, minor: number];
  /** The console URL for a token, from the proxy's base URL (without a trailing slash). */
  url: (base: string, token: string) => string;
}

/**
 * noVNC reads the token from `path` (noVNC >= 1.1 dropped the top-level `token` parameter); every other type
 * takes `?token=`. In the order of Nova's schema enums.
 */
export const NOVA_CONSOLE_TYPES: Record<string, NovaConsoleType> = {
  novnc: { protocol: 'vnc', url: (base, token) => `${base}/vnc_auto.html?path=${encodeURIComponent(`?token=${token}`)}` },
  xvpvnc: { protocol: 'vnc', url: (base, token) => `${base}/console?token=${token}` },
  'spice-html5': { protocol: 'spice', url: (base, token) => `${base}/spice_auto.html?token=${token}` },
  serial: { protocol: 'serial', url: (base, token) => `${base.replace(/^http/, 'ws')}/?token=${token}` },
  'rdp-html5': { protocol: 'rdp', url: (base, token) => `${base}/?token=${token}` },
  webmks: { protocol: 'mks', since: [2, 8], url: (base, token) => `${base}/?token=${token}` },
};

/** The console types of a protocol, in the table's order. */
export const typesOfProtocol = (protocol: string): string[] =>
  Object.entries(NOVA_CONSOLE_TYPES).filter(([, type]) => type.protocol === protocol).map(([name]) => name);

const typeNamed = (name: string): NovaConsoleType | undefined =>
  Object.hasOwn(NOVA_CONSOLE_TYPES, name) ? NOVA_CONSOLE_TYPES[name] : undefined;

/** The console URL for a token, in the shape of Nova's ConsoleAuthToken.access_url for its type. */
export function consoleUrl(type: string, token: string): string {
  const base = config.consoleProxyBaseUrl().replace(/\/+$/, '');
  return typeNamed(type)?.url(base, token) ?? `${base}/?token=${token}`;
}

/** The `protocol/type` pairs this deployment serves (NOVA_CONSOLE_TYPES, default `vnc/novnc`). */
export const supportedConsoleTypes = (): string[] =>
  config
    .novaConsoleTypes()
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** Refuses a mismatched pair (400, ConsoleTypeInvalid) and a pair the deployment does not serve (501). */
export function requireSupported(protocol: string, type: string): void {
  if (typeNamed(type)?.protocol !== protocol) {
    throw InvalidArgument(`Invalid console type ${type}`);
  }
  if (!supportedConsoleTypes().includes(`${protocol}/${type}`)) {
    throw Unsupported();
  }
}

/** A console needs a running, reachable server; otherwise Nova's InstanceNotReady (409). */
export function requireInstanceReady(vm: VmRecord): void {
  if (vm.powerState !== 'poweredOn' || vm.connectionState !== 'connected') {
    throw NotAllowedInCurrentState(`Instance ${vm.instanceUuid} is not ready`, { state: vm.powerState });
  }
}

/**
 * A remote console (remote-consoles 2.6+, the os-get*Console actions before it), answered with its URL. As
 * Nova's compute manager checks after the policy: a type this deployment serves, then a ready instance.
 */
export const remoteConsole = ({ protocol, type }: { protocol: string; type: string }): ConsoleTicketType<string> => ({
  name: type,
  privilege: CONSOLE_PRIVILEGE,
  requireReady: (vm) => {
    requireSupported(protocol, type);
    requireInstanceReady(vm);
  },
  answer: (token) => consoleUrl(type, token),
});

/** Legacy consoles are of the deployment's first console type (`novnc` by default). */
export const legacyConsoleType = (): string => supportedConsoleTypes()[0]?.split('/')[1] ?? 'novnc';

/** A legacy os-consoles console of `type`, answered with the bare token (the console's `password`). */
export const legacyConsole = (type = legacyConsoleType()): ConsoleTicketType<string> => ({
  name: type,
  privilege: CONSOLE_PRIVILEGE,
  requireReady: requireInstanceReady,
  answer: (token) => token,
});
