import * as z from 'zod';
import { InvalidArgument } from '../../core/errors.js';
import { NOVA_CONSOLE_TYPES } from './console-types.js';
import { atLeast, type Microversion } from './microversions.js';

/**
 * Remote consoles' request as nova/api/openstack/compute/remote_consoles.py and schemas/remote_consoles.py
 * define it: the 2.6 schema's protocols and types, 2.8 adds mks/webmks (the `since` of lib/dialects/nova/
 * console-types.ts). Which pairs belong together and which this deployment serves is console-types.ts's.
 */

/** The request body's shape; which values are allowed depends on the microversion (see `requireKnown`). */
export const RemoteConsoleBody = z
  .object({
    remote_console: z.object({ protocol: z.string(), type: z.string() }).strict(),
  })
  .strict();
export type RemoteConsoleRequest = z.output<typeof RemoteConsoleBody>['remote_console'];

/** remote-consoles' own first microversion. */
const FIRST_VERSION: [major: number, minor: number] = [2, 6];

/** The JSON-schema enums of a microversion: its types, and their protocols in first-seen order. */
export function consoleEnums(version: Microversion): { protocol: string[]; type: string[] } {
  const offered = Object.entries(NOVA_CONSOLE_TYPES).filter(([, { since }]) => atLeast(version, ...(since ?? FIRST_VERSION)));
  return { protocol: [...new Set(offered.map(([, type]) => type.protocol))], type: offered.map(([name]) => name) };
}

/** Rejects values outside the version's JSON-schema enums with Nova's validation message. */
export function requireKnown(request: RemoteConsoleRequest, version: Microversion): void {
  const enums = consoleEnums(version);
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
