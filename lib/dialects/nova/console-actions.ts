import { InvalidArgument } from '../../core/errors.js';
import { typesOfProtocol } from './console-types.js';
import { requireVersionBefore, type Microversion } from './microversions.js';
import type { RemoteConsoleRequest } from './remote-consoles.js';

/**
 * The server actions that got a console before remote-consoles existed (remote_consoles.py, 2.1–2.5): each
 * names its protocol, and its schema (schemas/remote_consoles.py) takes that protocol's types.
 */
const CONSOLE_ACTIONS: Record<string, { protocol: string }> = {
  'os-getVNCConsole': { protocol: 'vnc' },
  'os-getSPICEConsole': { protocol: 'spice' },
  'os-getRDPConsole': { protocol: 'rdp' },
  'os-getSerialConsole': { protocol: 'serial' },
};

/** A JSON value as Python prints it, since Nova's validation messages quote the value that way. */
function pythonRepr(value: unknown): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value).map(([key, entry]) => `'${key}': ${pythonRepr(entry)}`).join(', ')}}`;
  }
  return String(value);
}

/** Nova formats the value with `%s`: a string bare, anything else as its repr. */
const invalidField = (field: string, value: unknown, message: string) =>
  InvalidArgument(
    `Invalid input for field/attribute ${field}. Value: ${typeof value === 'string' ? value : pythonRepr(value)}. ${message}`,
    { field },
  );

/**
 * The console a `POST /servers/{id}/action` body asks for, in Nova's order: the action named by the body's
 * only key (wsgi.action_peek: 400 when the body is not one key, 400 for an action that does not exist), the
 * method's microversions (404 from 2.6 on), then its JSON schema (jsonschema's most relevant error first:
 * the shallower one, then properties, required, additionalProperties).
 */
export function consoleActionOf(body: unknown, version: Microversion): RemoteConsoleRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length !== 1) {
    throw InvalidArgument('Malformed request body');
  }
  const [[name, argument]] = Object.entries(body) as [[string, unknown]];
  const action = Object.hasOwn(CONSOLE_ACTIONS, name) ? CONSOLE_ACTIONS[name] : undefined;
  if (!action) throw InvalidArgument(`There is no such action: ${name}`, { field: name });
  requireVersionBefore(version, 2, 6);

  if (typeof argument !== 'object' || argument === null || Array.isArray(argument)) {
    throw invalidField(name, argument, `${pythonRepr(argument)} is not of type 'object'`);
  }
  if (!('type' in argument)) throw invalidField(name, argument, "'type' is a required property");
  const unexpected = Object.keys(argument).filter((key) => key !== 'type');
  if (unexpected.length) {
    const listed = unexpected.map((key) => `'${key}'`).join(', ');
    throw invalidField(name, argument, `Additional properties are not allowed (${listed} ${unexpected.length === 1 ? 'was' : 'were'} unexpected)`);
  }
  const { type } = argument as { type: unknown };
  if (typeof type !== 'string') throw invalidField('type', type, `${pythonRepr(type)} is not of type 'string'`);
  const types = typesOfProtocol(action.protocol);
  if (!types.includes(type)) {
    throw invalidField('type', type, `'${type}' is not one of [${types.map((entry) => `'${entry}'`).join(', ')}]`);
  }
  return { protocol: action.protocol, type };
}
