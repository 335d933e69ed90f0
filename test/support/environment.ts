import { sha256Hex } from '../../lib/protocol/secrets.js';
import { DEMO_CONSOLE_PROXY_KEY, DEMO_OPERATOR_KEY } from '../../scripts/demo-keys.js';

export const TEST_TABLE = 'console-broker-test';

/** The environment every test process (and serverless-offline under test) runs with. */
export function testEnvironment(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_REGION: 'us-east-1',
    DYNAMODB_ENDPOINT: endpoint,
    TABLE_NAME: TEST_TABLE,
    OPERATOR_KEY_SHA256: sha256Hex(DEMO_OPERATOR_KEY),
    CONSOLE_PROXY_KEY_SHA256: sha256Hex(DEMO_CONSOLE_PROXY_KEY),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'SILENT',
    // A busy CI machine queues requests far longer than Lambda ever does: the tests' own DynamoDB timeouts.
    DYNAMODB_CONNECTION_TIMEOUT_MS: '60000',
    DYNAMODB_REQUEST_TIMEOUT_MS: '60000',
    // Test files fail logins of the shared demo users on purpose; the lockout test sets its own limit.
    LOGIN_MAX_FAILURES: '1000',
    // Test files open consoles on the shared demo VMs and leave them to expire; the limit tests set their own.
    CONSOLE_CONNECTION_LIMIT_PER_VM: '1000000',
  };
}

export function applyTestEnvironment(endpoint: string): void {
  Object.assign(process.env, testEnvironment(endpoint));
}
