import { describe, expect, it } from 'vitest';
import { consoleProxyConfigFromEnv } from '../../proxy/config.js';
import { playbackTokenOf } from '../../proxy/playback/playbacks.js';
import { parseRequestTarget } from '../../proxy/request-target.js';
import { ticketOf } from '../../proxy/tickets.js';

describe('the playback route', () => {
  it.each([
    ['/playback?token=acme.abc', 'acme.abc'],
    ['/playback?token=a%2Bb', 'a+b'],
    ['/playback', ''],
    ['/playback/?token=x', undefined],
    ['/playbacks?token=x', undefined],
    ['/?token=x', undefined],
  ])('%s carries the playback token %j', (target, token) => {
    expect(playbackTokenOf(parseRequestTarget(target)!)).toBe(token);
  });

  it('is no console route: a playback token never opens a console', () => {
    expect(ticketOf(parseRequestTarget('/playback?token=acme.abc')!)).toBeUndefined();
  });
});

describe('the playback budget', () => {
  it('is CONSOLE_PROXY_MAX_PLAYBACKS, apart from the sessions, 20 unless set', () => {
    expect(consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k' }).maxPlaybacks).toBeUndefined();
    expect(consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_MAX_PLAYBACKS: '3' }).maxPlaybacks).toBe(3);
    expect(() => consoleProxyConfigFromEnv({ CONSOLE_PROXY_KEY: 'k', CONSOLE_PROXY_MAX_PLAYBACKS: '0' })).toThrow('CONSOLE_PROXY_MAX_PLAYBACKS must be a positive number');
  });
});
