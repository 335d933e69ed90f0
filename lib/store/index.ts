/**
 * The store's one door: the core imports the store from here only. Below this folder is the only code that
 * knows DynamoDB: keys, expressions and error translation.
 */
export * from './tenants.js';
export * from './tenant-drain.js';
export * from './sessions.js';
export * from './logins.js';
export * from './tickets.js';
export * from './consoles.js';
export * from './audit.js';
export * from './guest.js';
export { countRoundTrips, resetClient } from './client.js';
export type { Page, PageRequest } from './client.js';
export * from './open-consoles.js';
