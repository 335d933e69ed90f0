import { AsyncLocalStorage } from 'node:async_hooks';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * The service's metrics, as CloudWatch Embedded Metric Format lines on stdout: CloudWatch Logs turns them into
 * metrics, so recording one is a log write, never a network call. Names carry no tenant, and every dimension
 * takes its values from a small fixed set (dialect names, error kinds, outcomes), so the number of metrics
 * stays bounded however many tenants, VMs or users there are. docs/operations.md says what each one means.
 */
const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'ConsoleBroker',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'console-broker',
});

/** The request's dialect, set by the endpoint wrapper, so that the domain's calls below need not pass it. */
const requestScope = new AsyncLocalStorage<{ dialect: string }>();

export const inDialect = <R>(dialect: string, run: () => R): R => requestScope.run({ dialect }, run);

const dialect = () => requestScope.getStore()?.dialect ?? 'none';

function record(name: string, dimensions: Record<string, string> = {}, value = 1, unit: (typeof MetricUnit)[keyof typeof MetricUnit] = MetricUnit.Count): void {
  const line = metrics.singleMetric();
  for (const [dimension, dimensionValue] of Object.entries(dimensions)) line.addDimension(dimension, dimensionValue);
  line.addMetric(name, unit, value);
}

export const ticketIssued = () => record('TicketsIssued', { dialect: dialect() });
/** `reason`: a domain error kind (unauthorized, not_allowed_in_current_state) or `invalid` at redemption. */
export const ticketRefused = (reason: string) => record('TicketsRefused', { reason });
export function ticketRedemption(outcome: 'redeemed' | 'refused'): void {
  record('ProxyRedemptions', { outcome });
  if (outcome === 'redeemed') record('TicketsRedeemed');
  else ticketRefused('invalid');
}

export const loginFailed = () => record('LoginsFailed', { dialect: dialect() });
export const loginLocked = () => record('LoginsLocked', { dialect: dialect() });

/** `outcome`: `ok`, or the domain error kind the operation ended with. */
export function guestOperation(outcome: string, latencyMs: number): void {
  record('GuestOperations', { outcome });
  record('GuestOperationLatency', { outcome }, latencyMs, MetricUnit.Milliseconds);
}

export const agentConnected = () => record('AgentConnects');
export const agentDisconnected = () => record('AgentDisconnects');
/** One per agent health message (every 9 minutes per connected agent): their sum over 10 minutes ≈ live agents. */
export const agentLive = () => record('AgentsLive');

export function tenantDrainRun(outcome: string, deleted: number): void {
  record('TenantDrainRuns', { outcome });
  record('TenantDrainItemsDeleted', {}, deleted);
}
export const tenantDrainFailed = () => record('TenantDrainFailures');
