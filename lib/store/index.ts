/**
 * The store's one door: the core imports the store from here only. Below this folder is the only code that
 * knows DynamoDB: keys, expressions and error translation.
 */
export * from './tenants.js';
export * from './tenant-drain.js';
export * from './sessions.js';
export * from './logins.js';
export * from './tickets.js';
export * from './nova-consoles.js';
export * from './audit.js';
export * from './guest.js';
export type { Page, PageRequest } from './paging.js';
export * from './open-consoles.js';
export * from './recordings.js';
