import { OPERATOR } from './api.js';

export interface StackResponse {
  status: number;
  /** The body parsed as JSON, or its text when it is not JSON. */
  body: any;
  text: string;
  headers: Headers;
}

/** A kept-alive connection the server closed while idle (its keep-alive timeout) fails before the request is sent. */
const isStaleConnection = (error: unknown) => (error as { cause?: { code?: string } }).cause?.code === 'UND_ERR_SOCKET';

/**
 * JSON over HTTP against a running stack (npm start's, test/support/local-stack.ts), whose URL is known once
 * it has started. A request that failed on a stale kept-alive connection is sent once more on a new one (tests
 * that idle for seconds between calls meet the server's keep-alive timeout).
 */
export function stackClient(baseUrl: () => string) {
  async function call(method: string, path: string, options: { headers?: Record<string, string>; body?: unknown } = {}): Promise<StackResponse> {
    const send = () =>
      fetch(`${baseUrl()}${path}`, {
        method,
        headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      });
    const response = await send().catch((error: unknown) => (isStaleConnection(error) ? send() : Promise.reject(error)));
    const text = await response.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, body, text, headers: response.headers };
  }

  /** The operator API under one tenant; anything but a success throws with the answer. */
  async function operator(tenant: string, method: string, path: string, body?: unknown) {
    const response = await call(method, `/operator/v1/tenants/${tenant}${path}`, { headers: OPERATOR, body });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return response.body;
  }

  return { call, operator };
}
