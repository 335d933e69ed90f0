import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Structured JSON logs. Nothing here ever receives a ticket, session id, token or password: handlers log
 * route templates (never raw paths, which can hold a token) and secret fingerprints only.
 */
export const logger = new Logger({
  serviceName: 'console-broker',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});

// Once per Lambda instance: the Node.js this code really runs on (the packaged runtime must match it).
logger.info('cold start', { nodeVersion: process.versions.node });
