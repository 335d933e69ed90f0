import WebSocket from 'ws';
import type { Watcher } from '../lib/protocol/console-proxy.js';

/**
 * Notices to console pages (issue 27): a page that offers this WebSocket subprotocol (beside `binary`) gets
 * text frames of JSON between the binary RFB frames. A page that does not offer it gets binary frames only.
 */
export const NOTICES_PROTOCOL = 'console-broker.notices';

export type Notice =
  /** Who watches this console read-only now ([]: nobody any more). */
  | { type: 'watchers'; watchers: Watcher[] }
  /** On a shadow's own page: whose console it shows. */
  | { type: 'shadowing'; userName: string; vmMoId: string };

/**
 * The subprotocol the proxy answers: notices when the page offers them; else `binary` (WEBMKS clients);
 * else none (noVNC asks for none). Text-only subprotocols (`base64`) are not spoken.
 */
export function chooseSubprotocol(offered: Set<string>): string | false {
  if (offered.has(NOTICES_PROTOCOL)) return NOTICES_PROTOCOL;
  return offered.has('binary') ? 'binary' : false;
}

/** How a console's page is told things: nothing at all when it did not offer the notices subprotocol. */
export function noticesTo(ws: WebSocket): ((notice: Notice) => void) | undefined {
  if (ws.protocol !== NOTICES_PROTOCOL) return undefined;
  return (notice) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(notice), { binary: false, compress: false });
  };
}
