import type WebSocket from 'ws';
import { closeConsole } from './bridge.js';
import { logger } from './log.js';

/** The messages a refused browser sees as the WebSocket close reason (and the console page shows). */
export const Refusal = {
  noTicket: 'No console ticket was presented.',
  ticket: 'The console ticket is not valid: it is unknown, expired or already used.',
  capacity: 'The console proxy is at capacity; try again later.',
  pending: 'Too many consoles are being opened from your address at once; try again shortly.',
  tenantShare: "Your organization's share of this console proxy's sessions is in use; try again later.",
  internal: 'The console proxy failed; try again later.',
  api: 'The console service is unavailable; try again later.',
  vnc: "The virtual machine's console cannot be reached.",
  shutdown: 'The console proxy is shutting down (a restart or an update); open the console again.',
  recording: 'This console must be recorded and the recording storage is unavailable.',
} as const;

/** Ends a console session that never reached the VM; logged by the ticket's fingerprint, never the ticket. */
export function refuse(ws: WebSocket, code: number, message: string, reason: string, ticket?: string, tenant?: string): void {
  logger.warn('console refused', { reason, ...(ticket ? { ticket } : {}), ...(tenant ? { tenant } : {}) });
  closeConsole(ws, code, message);
}
