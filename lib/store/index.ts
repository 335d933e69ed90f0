/** The only code that knows DynamoDB: keys, expressions and error translation live below this folder. */
export * from './tenants.js';
export * from './sessions.js';
export * from './tickets.js';
export * from './consoles.js';
export * from './audit.js';
export { countRoundTrips, resetClient } from './client.js';
export * from './logins.js';
