/**
 * The agent's HTTP client for the API's agent calls (lib/protocol/agent.ts), each with the VM's credential.
 * It knows the paths and bodies, and which failures are worth another try; it holds no state of the agent.
 */
import {
  AgentPaths,
  type AgentRegistration,
  type ClaimedWork,
  type ProcessExit,
  type WorkResult,
} from '../lib/protocol/agent.js';

export class ApiError extends Error {
  override name = 'ApiError';
  /** The vAPI `error_type` of the answer, if it has one. */
  readonly errorType?: string;

  constructor(
    readonly status: number,
    text: string,
  ) {
    super(`API answered ${status}: ${text.slice(0, 200)}`);
    try {
      this.errorType = (JSON.parse(text) as { error_type?: string }).error_type;
    } catch {
      // not a vAPI error body
    }
  }
}

/** A failure another try may get past: the API unreachable, overloaded or failing (5xx, 429). */
export const isTransient = (error: unknown): boolean =>
  !(error instanceof ApiError) || error.status >= 500 || error.status === 429;

/** The API refuses a second instance's key while another instance of this VM's agent is live. */
export const isAnotherInstanceLive = (error: unknown): boolean =>
  error instanceof ApiError && error.errorType === 'NOT_ALLOWED_IN_CURRENT_STATE';

/** Why a call failed, for the log: the network's own reason (`ECONNREFUSED`…) rather than "fetch failed". */
export function failureReason(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message;
  return detail ? `${(error as Error).message} (${detail})` : String((error as Error).message ?? error);
}

export class AgentApiClient {
  constructor(
    private readonly apiUrl: string,
    private readonly credential: string,
  ) {}

  register(publicKey: string, agentVersion: string): Promise<AgentRegistration> {
    return this.call('PUT', AgentPaths.registration, { publicKey, agentVersion }) as Promise<AgentRegistration>;
  }

  async heartbeat(agentVersion: string): Promise<void> {
    await this.call('POST', AgentPaths.heartbeats, { agentVersion });
  }

  /** The item a notice named, or else the oldest waiting; `undefined` when there is none. */
  claim(workId?: string): Promise<ClaimedWork | undefined> {
    return this.call('POST', AgentPaths.claims, workId === undefined ? undefined : { workId }) as Promise<ClaimedWork | undefined>;
  }

  async reportResult(result: WorkResult): Promise<void> {
    await this.call('POST', AgentPaths.results, result);
  }

  async reportExit(exit: ProcessExit): Promise<void> {
    await this.call('POST', AgentPaths.exits, exit);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(new URL(path, this.apiUrl), {
      method,
      headers: { authorization: `Bearer ${this.credential}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text);
    return text ? JSON.parse(text) : undefined;
  }
}
