import type { Socket } from 'node:net';
import { RfbShadowFilter, type DroppedInput, type FilterRefusal } from './rfb-filter.js';

/** A shadow console's side of the bridge: what its browser may send the VM, and how much input was dropped. */
export interface ReadOnlyView {
  filterInput: (data: Buffer) => Buffer | FilterRefusal;
  dropped: DroppedInput;
}

/**
 * Puts the RFB filter between a shadow's browser and `vnc`, the shadow's own shared connection to the VM. The
 * filter sees the VM's first bytes (in RFB 3.3 the server picks the security type) before the browser does:
 * this listener is added before the bridge's.
 */
export function readOnlyView(vnc: Socket, totals?: DroppedInput): ReadOnlyView {
  const filter = new RfbShadowFilter(totals);
  const observe = (chunk: Buffer) => {
    filter.fromServer(chunk);
    if (!filter.observing) vnc.off('data', observe);
  };
  vnc.on('data', observe);
  return { filterInput: (data) => filter.fromClient(data), dropped: filter.dropped };
}
