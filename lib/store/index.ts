/** The only code that knows DynamoDB: keys, expressions and error translation live below this folder. */
export * from './tenants.js';
export * from './sessions.js';
export * from './tickets.js';
export { roundTrips, resetClient } from './client.js';
