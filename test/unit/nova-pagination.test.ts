import { describe, expect, it } from 'vitest';
import { DomainError } from '../../lib/core/errors.js';
import type { VmRecord } from '../../lib/records.js';
import { MAX_LIMIT, nameSelectionOf, serverListQueryOf, serversLinks } from '../../lib/dialects/nova/pagination.js';
import type { HttpEvent } from '../../lib/http/types.js';

const eventOf = (query: string) => ({ rawQueryString: query, headers: { host: 'api.test' } }) as unknown as HttpEvent;
const vm = (instanceUuid: string) => ({ instanceUuid }) as VmRecord;

describe('nameSelectionOf: what a Nova name filter reads', () => {
  it.each([
    ['a plain name', 'web-01', { exact: 'web-01' }],
    ['a name with dots (a dot matches itself)', 'web-01.example.com', { exact: 'web-01.example.com' }],
    ['an anchored name', '^web-01$', { exact: 'web-01' }],
    ['a name with a space', 'my server', { exact: 'my server' }],
    ['a pattern', 'web-.*', { containing: 'web-.*' }],
    ['a prefix anchor only', '^web', { containing: '^web' }],
    ['an anchored pattern', '^web-(01|02)$', { containing: '^web-(01|02)$' }],
    ['brackets', 'batch[7]', { containing: 'batch[7]' }],
    ['the empty filter (matches every name)', '', { containing: '' }],
  ])('%s', (_case, name, expected) => {
    expect(nameSelectionOf(name)).toEqual(expected);
  });
});

describe('serverListQueryOf: limit and marker as Nova reads them', () => {
  it.each([
    ['', { limit: MAX_LIMIT }],
    ['limit=5', { limit: 5 }],
    ['limit=+5', { limit: 5 }],
    ['limit=%205%20', { limit: 5 }],
    ['limit=1_000', { limit: 1000 }],
    ['limit=0', { limit: 0 }],
    ['limit=100000', { limit: MAX_LIMIT }],
    ['limit=5&limit=7', { limit: 7 }],
    ['marker=abc&name=web-01', { limit: MAX_LIMIT, marker: 'abc', name: { exact: 'web-01' } }],
  ])('?%s', (query, expected) => {
    expect(serverListQueryOf(eventOf(query))).toEqual(expected);
  });

  it.each([
    ['limit=ten', 'Invalid input received: limit must be an integer'],
    ['limit=1.5', 'Invalid input received: limit must be an integer'],
    ['limit=', 'Invalid input received: limit must be an integer'],
    ['limit=-1', 'Invalid input received: limit must be >= 0'],
  ])('refuses ?%s', (query, message) => {
    let thrown: unknown;
    try {
      serverListQueryOf(eventOf(query));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown).toMatchObject({ kind: 'invalid_argument', message });
  });
});

describe('serversLinks: ViewBuilder._get_collection_links', () => {
  const page = (ids: string[], more = false) => ({ vms: ids.map(vm), lastRead: ids.length ? vm(ids.at(-1)!) : undefined, more });

  it('links a full page, the parameters sorted with one value each and the marker set to the last id', () => {
    const event = eventOf('name=a%20b&limit=2&sort_key=z&sort_key=a&marker=old');
    expect(serversLinks(event, 'servers/detail', 2, page(['id-1', 'id-2']))).toEqual([
      { rel: 'next', href: 'http://api.test/compute/v2.1/servers/detail?limit=2&marker=id-2&name=a+b&sort_key=z' },
    ]);
  });

  it("encodes as Python's urlencode does", () => {
    expect(serversLinks(eventOf("name=it's*~"), 'servers', 1, page(['x']))[0]!.href).toBe(
      'http://api.test/compute/v2.1/servers?name=it%27s%2A~&marker=x',
    );
  });

  it('gives no link to a page that is not full, nor for limit 0', () => {
    expect(serversLinks(eventOf(''), 'servers', 3, page(['id-1', 'id-2']))).toEqual([]);
    expect(serversLinks(eventOf('limit=0'), 'servers', 0, page([]))).toEqual([]);
  });

  it('links a short page of a bounded scan that stopped before the end, from the last VM it read', () => {
    const scanned = { vms: [vm('match')], lastRead: vm('read-last'), more: true };
    expect(serversLinks(eventOf('name=%5B7%5D'), 'servers', 1000, scanned)).toEqual([
      { rel: 'next', href: 'http://api.test/compute/v2.1/servers?name=%5B7%5D&marker=read-last' },
    ]);
  });
});
