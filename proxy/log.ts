import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The proxy's structured log. It never receives a ticket: only its fingerprint (first 8 hex of the SHA-256
 * of its secret part, the same fingerprint the API and the audit records use).
 */
export const logger = new Logger({
  serviceName: 'console-proxy',
  logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
});
