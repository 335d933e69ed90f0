import * as z from 'zod';
import type { OpenConsoleRecord } from '../../records.js';
import { ReleaseSchema } from './release.js';

/**
 * vim25's `QueryConnections` / `DropConnections` on `VirtualMachine` (vSphere API 7.0.1.0): a VM's open
 * consoles as `VirtualMachineMksConnection` objects — `label` (the connection's unique id: here the console
 * session's id), `client` (the browser's address) and `userName` (who authorized it).
 */

const path = z.object({ release: ReleaseSchema, moId: z.string() });

/** `QueryConnections` takes no parameters; a body (`{"_typeName":"QueryConnections"}`) is ignored. */
export const QueryConnectionsInput = z.object({ path });

const Connection = z.object({
  _typeName: z.string().max(64).optional(),
  label: z.string().max(200),
  client: z.string().max(200).optional(),
  userName: z.string().max(400).optional(),
});

/** `DropConnectionsRequestType`: `listOfConnections` (optional); each is named by its `label`. */
export const DropConnectionsInput = z.object({
  path,
  body: z.preprocess((body) => body ?? {}, z.object({ listOfConnections: z.array(Connection).max(1000).optional() })),
});

export const mksConnection = (open: OpenConsoleRecord) => ({
  _typeName: 'VirtualMachineMksConnection',
  label: open.sessionId,
  client: open.clientAddress ?? '',
  userName: open.userName,
});
