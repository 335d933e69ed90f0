import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startConsoleProxy, type ConsoleProxy } from '../../proxy/server.js';
import { proxyConfig } from '../support/console-fixtures.js';

let proxy: ConsoleProxy;
beforeAll(async () => {
  proxy = await startConsoleProxy(proxyConfig('http://127.0.0.1:9'));
});
afterAll(() => proxy.close());

describe('console page', () => {
  it.each(['/vnc_auto.html', '/vnc.html'])('serves %s without letting the ticket in its URL leak or be cached', async (page) => {
    const response = await fetch(`${proxy.url}${page}?path=%3Ftoken%3Dacme.secret`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('content-security-policy')).toContain("connect-src 'self'");
    expect(await response.text()).toContain('<script type="module" src="/console.js"></script>');
  });

  it("serves noVNC's ES modules from node_modules as they are", async () => {
    const response = await fetch(`${proxy.url}/novnc/core/rfb.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toContain('export default class RFB');
    expect((await fetch(`${proxy.url}/novnc/vendor/pako/lib/zlib/inflate.js`)).status).toBe(200);
  });

  it('serves every module the console page imports, transitively', async () => {
    const seen = new Set<string>();
    const pending = ['/console.js'];
    while (pending.length > 0) {
      const path = pending.pop()!;
      if (seen.has(path)) continue;
      seen.add(path);
      const response = await fetch(`${proxy.url}${path}`);
      expect(response.status, path).toBe(200);
      for (const [, specifier] of (await response.text()).matchAll(/^\s*(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]/gm)) {
        pending.push(new URL(specifier!, `http://proxy.invalid${path}`).pathname);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
  });

  it.each(['/novnc/package.json', '/novnc/core/%2e%2e/package.json', '/novnc/../package.json', '/proxy/server.ts', '/console.html'])(
    'serves nothing else: %s',
    async (path) => {
      expect((await fetch(`${proxy.url}${path}`)).status).toBe(404);
    },
  );

  it('answers health checks with the number of sessions', async () => {
    const response = await fetch(`${proxy.url}/health`);
    expect(await response.json()).toEqual({ status: 'ok', activeSessions: 0 });
  });
});
