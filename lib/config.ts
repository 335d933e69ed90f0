/**
 * Configuration, read from the environment at call time (so tests and the local runner can set it).
 * serverless.yml declares every variable for AWS; `scripts/start.ts` sets them for the local stack.
 */
const number = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const parsed = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${name} must be a positive number`);
  return parsed;
};

export const config = {
  tableName: () => process.env.TABLE_NAME || 'console-broker-local',
  /** A local DynamoDB-API server (dynalite) in development and tests; unset on AWS. */
  dynamoEndpoint: () => process.env.DYNAMODB_ENDPOINT || undefined,
  /** The vCenter server name that VMRC tickets point clients at. */
  vcenterServerName: () => process.env.VCENTER_SERVER_NAME || 'vcenter.acme.test',
  /** SHA-256 (hex) of the operator's API key; the key itself is never configured in plain form. */
  operatorKeySha256: () => process.env.OPERATOR_KEY_SHA256 || '',
  /** SHA-256 (hex) of the console proxy's API key. */
  consoleProxyKeySha256: () => process.env.CONSOLE_PROXY_KEY_SHA256 || '',
  sessionIdleSeconds: () => number('SESSION_IDLE_SECONDS', 1800),
  /**
   * How often a console proxy reports each open console; the registry forgets one not reported for three
   * of these (a proxy that died leaves no ghost for longer).
   */
  consoleHeartbeatSeconds: () => number('CONSOLE_HEARTBEAT_SECONDS', 60),
  /** The per-VM limit of open consoles of a tenant whose policy sets none (vSphere's default: 40). */
  consoleConnectionLimitPerVm: () => number('CONSOLE_CONNECTION_LIMIT_PER_VM', 40),
  /** Failed logins of one user name within the window that lock it (vCenter SSO's default lockout policy). */
  loginMaxFailures: () => number('LOGIN_MAX_FAILURES', 5),
  loginFailureWindowSeconds: () => number('LOGIN_FAILURE_WINDOW_SECONDS', 180),
  loginLockoutSeconds: () => number('LOGIN_LOCKOUT_SECONDS', 300),
  ticketTtlSeconds: () => number('TICKET_TTL_SECONDS', 1800),
  maxBodyBytes: () => number('MAX_BODY_BYTES', 64 * 1024),
  /** Attempts per DynamoDB call (the SDK's own retry strategy), bounded so a request ends inside API Gateway's 30 s. */
  dynamoMaxAttempts: () => number('DYNAMODB_MAX_ATTEMPTS', 3),
  /** Connecting to DynamoDB (this also runs while a call waits for a pooled socket). */
  dynamoConnectionTimeoutMs: () => number('DYNAMODB_CONNECTION_TIMEOUT_MS', 3000),
  /** One DynamoDB call's answer; a timed-out call is retried, then answered 503. */
  dynamoRequestTimeoutMs: () => number('DYNAMODB_REQUEST_TIMEOUT_MS', 3000),
  /** How long console session audit records are kept (the item's TTL). */
  auditRetentionDays: () => number('AUDIT_RETENTION_DAYS', 400),
  /** How long a guest operation waits for its agent's answer; below the Lambda timeout (29 s). */
  guestOperationTimeoutMs: () => number('GUEST_OPERATION_TIMEOUT_MS', 20_000),
  /**
   * How long guest credentials the agent accepted are remembered (as a verifier) so that list and get need
   * not ask the agent again; 0 asks the agent every time.
   */
  guestAuthCacheSeconds: () => (process.env.GUEST_AUTH_CACHE_SECONDS === '0' ? 0 : number('GUEST_AUTH_CACHE_SECONDS', 300)),
  /** A guest agent whose last heartbeat is older than this is "VMware Tools not running". */
  guestAgentHeartbeatTimeoutSeconds: () => number('GUEST_AGENT_HEARTBEAT_TIMEOUT_SECONDS', 30),
  /**
   * A guest agent holding a WebSocket sends a health message every 9 minutes (which also keeps API Gateway's
   * 10-minute idle timer from closing the connection); one silent for longer than this is "not running".
   */
  guestAgentHealthTimeoutSeconds: () => number('GUEST_AGENT_HEALTH_TIMEOUT_SECONDS', 660),
  /**
   * How long a guest operation waits for a known agent whose WebSocket closed lately (a renewal, API Gateway's
   * cut, a network blip) to open a new one, within the operation's own bound; an agent silent for longer is
   * gone, answered 503 at once.
   */
  guestAgentReconnectGraceSeconds: () => number('GUEST_AGENT_RECONNECT_GRACE_SECONDS', 10),
  /**
   * The agents' WebSocket API (`wss://…`), told to each agent at enrolment; unset: agents poll over HTTP. Only
   * with its connection management endpoint too: an agent on a WebSocket the API cannot send to gets no work.
   */
  agentWebsocketUrl: () => (process.env.AGENT_CONNECTIONS_ENDPOINT && process.env.AGENT_WEBSOCKET_URL) || undefined,
  /** The WebSocket API's connection management endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`). */
  agentConnectionsEndpoint: () => process.env.AGENT_CONNECTIONS_ENDPOINT || undefined,
  /** Public base URL of the console proxy, used in Nova console URLs. */
  consoleProxyBaseUrl: () => process.env.CONSOLE_PROXY_BASE_URL || 'http://127.0.0.1:6080',
  /** Nova remote console `protocol/type` pairs this deployment serves, comma-separated. */
  novaConsoleTypes: () => process.env.NOVA_CONSOLE_TYPES || 'vnc/novnc',
  /** This API's public base URL for Nova links and the Keystone catalog; unset: from Host/X-Forwarded-Proto. */
  publicBaseUrl: () => process.env.PUBLIC_BASE_URL || undefined,
  /** A local Lambda-API endpoint (serverless-offline's lambdaPort) for asynchronous invokes; unset on AWS. */
  lambdaEndpoint: () => process.env.LAMBDA_ENDPOINT || undefined,
  /** The function that drains a deleted tenant (serverless.yml sets it); unset: no job is started (tests run it). */
  tenantDrainFunction: () => process.env.TENANT_DRAIN_FUNCTION || undefined,
  /**
   * How long a deleted tenant's items are left alone after the mark, so that every request that found the
   * tenant live before it (at most a Lambda timeout, 29 s) has landed its writes before the drain walks.
   */
  tenantDeletionSettleSeconds: () =>
    process.env.TENANT_DELETION_SETTLE_SECONDS === '0' ? 0 : number('TENANT_DELETION_SETTLE_SECONDS', 60),
  /** A drain run starts no new batch with less than this left of its invocation; it continues in a new one. */
  tenantDrainMarginSeconds: () => number('TENANT_DRAIN_MARGIN_SECONDS', 30),
};
