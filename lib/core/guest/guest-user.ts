import type { GuestCredentials } from '../../protocol/agent.js';
import { sha256Hex } from '../../protocol/secrets.js';

/** A guest user of a VM as the store knows it: the hash of its credential type and user name, never the name. */
export const userNameHashOf = (credentials: GuestCredentials) => sha256Hex(`${credentials.type}:${credentials.userName ?? ''}`);
