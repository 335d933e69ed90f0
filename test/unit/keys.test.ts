import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scopeKey } from '../../lib/protocol/secrets.js';
import { dayOf, gsi1, gsi2, keyFits, keys, PK, recordOf, SK, type Key } from '../../lib/store/keys.js';

const userKey = scopeKey('admin@acme');
const vmKey = scopeKey('vm-42');

/** One key of every kind the table holds, for tenant `t`, built from the given names. */
const everyKind = (t: string, name: string, moId: string, hash: string): [string, Key][] => [
  ['tenant profile', keys.tenant(t)],
  ['principal', keys.principal(t, name)],
  ['vm', keys.vm(t, moId)],
  ['Nova console', keys.console(t, hash)],
  ['console counter', keys.consoleCounter(t)],
  ['login failures', keys.loginFailures(t, name)],
  ['session', keys.session(t, scopeKey(name), hash)],
  ['ticket pointer', keys.ticketPointer(t, scopeKey(name), scopeKey(moId), hash)],
  ['ticket', keys.ticket(t, scopeKey(moId), hash)],
  ['agent', keys.agent(t, moId)],
  ['guest work', keys.guestWork(t, moId, hash)],
  ['guest result', keys.guestResult(t, moId, hash)],
  ['guest process', keys.process(t, moId, 7)],
  ['guest credential verifier', keys.guestAuth(t, moId, hash)],
  ['guest failures', keys.guestFailures(t, moId, hash)],
  ['console session audit', keys.consoleAudit(t, '2026-01-02T03:04:05.000Z', hash)],
];

describe('keys', () => {
  it.each<[string, Key, Key]>([
    ['tenant profile', keys.tenant('acme'), { pk: 'TENANT#acme', sk: 'PROFILE' }],
    ['principal', keys.principal('acme', 'admin@acme'), { pk: 'TENANT#acme', sk: 'USER#admin@acme' }],
    ['vm', keys.vm('acme', 'vm-42'), { pk: 'TENANT#acme', sk: 'VM#vm-42' }],
    [
      'Nova console, by the lower-cased instance UUID',
      keys.console('acme', '4C4C4544-0042-3510-8052-B4C04F4A4E31'),
      { pk: 'TENANT#acme', sk: 'CONSOLE#4c4c4544-0042-3510-8052-b4c04f4a4e31' },
    ],
    ['console counter', keys.consoleCounter('acme'), { pk: 'TENANT#acme', sk: 'COUNTER#CONSOLE' }],
    ['login failures, under the user name', keys.loginFailures('acme', 'admin@acme'), { pk: 'LOGIN#acme#admin@acme', sk: 'FAILURES' }],
    ['session, under the user', keys.session('acme', userKey, 'f00d'), { pk: `SESSION#acme#${userKey}`, sk: 'SESSION#f00d' }],
    [
      'ticket pointer, beside the user’s sessions',
      keys.ticketPointer('acme', userKey, vmKey, 'beef'),
      { pk: `SESSION#acme#${userKey}`, sk: `TICKET#${vmKey}#beef` },
    ],
    ['ticket, under the VM', keys.ticket('acme', vmKey, 'beef'), { pk: `TICKET#acme#${vmKey}`, sk: 'beef' }],
    ['agent', keys.agent('acme', 'vm-42'), { pk: 'GUEST#acme#vm-42', sk: 'AGENT' }],
    ['guest work', keys.guestWork('acme', 'vm-42', 'w1'), { pk: 'GUEST#acme#vm-42', sk: 'WORK#w1' }],
    ['guest result', keys.guestResult('acme', 'vm-42', 'w1'), { pk: 'GUEST#acme#vm-42', sk: 'RESULT#w1' }],
    ['guest process', keys.process('acme', 'vm-42', 4242), { pk: 'GUEST#acme#vm-42', sk: 'PROCESS#4242' }],
    ['guest credential verifier', keys.guestAuth('acme', 'vm-42', 'ab12'), { pk: 'GUEST#acme#vm-42', sk: 'AUTH#ab12' }],
    ['guest failures', keys.guestFailures('acme', 'vm-42', 'ab12'), { pk: 'GUEST#acme#vm-42', sk: 'FAILURES#ab12' }],
    [
      'console session audit, under the start day, sorted by start time',
      keys.consoleAudit('acme', '2026-01-02T03:04:05.000Z', 'c0ffee'),
      { pk: 'AUDIT#acme#2026-01-02', sk: '2026-01-02T03:04:05.000Z#c0ffee' },
    ],
    [
      'audit entry of a recording, under its day, after the day’s console sessions, a playback by its token',
      keys.auditEvent({ tenantId: 'acme', at: '2026-01-02T03:04:05.000Z', event: 'recording played', recordingId: 'r1', tokenFingerprint: '0a1b2c3d' }),
      { pk: 'AUDIT#acme#2026-01-02', sk: 'EVENT#2026-01-02T03:04:05.000Z#r1#recording played#0a1b2c3d' },
    ],
    [
      'audit entry of a shadow, by its own session',
      keys.auditEvent({ tenantId: 'acme', at: '2026-01-02T03:04:05.000Z', event: 'shadow ended', shadowSessionId: 's1' }),
      { pk: 'AUDIT#acme#2026-01-02', sk: 'EVENT#2026-01-02T03:04:05.000Z#s1#shadow ended' },
    ],
  ])('%s', (_, key, expected) => {
    expect(key).toEqual(expected);
  });

  it('digests user names and moIds to 16 base64url characters', () => {
    expect(userKey).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(scopeKey('x'.repeat(500))).toHaveLength(16);
    expect(scopeKey('vm-4')).not.toBe(scopeKey('vm-42'));
  });

  it('puts a user’s sessions and ticket pointers in the user’s partition, a VM’s tickets and guest state in the VM’s', () => {
    expect(keys.session('acme', scopeKey('admin@acme'), 'f00d').pk).toBe(keys.userPartition('acme', 'admin@acme'));
    expect(keys.ticketPointer('acme', scopeKey('admin@acme'), vmKey, 'beef').pk).toBe(keys.userPartition('acme', 'admin@acme'));
    expect(keys.ticket('acme', scopeKey('vm-42'), 'beef').pk).toBe(keys.ticketPartition('acme', 'vm-42'));
    for (const key of [keys.agent('acme', 'vm-42'), keys.process('acme', 'vm-42', 1), keys.guestFailures('acme', 'vm-42', 'a')]) {
      expect(key.pk).toBe(keys.guestPartition('acme', 'vm-42'));
    }
    expect(keys.loginFailures('acme', 'admin@acme').pk).toBe(keys.loginPartition('acme', 'admin@acme'));
  });

  it('finds the ticket a pointer points at', () => {
    const pointer = keys.ticketPointer('acme', userKey, vmKey, 'beef');
    expect(keys.ticketOfPointer('acme', pointer.sk)).toEqual(keys.ticket('acme', vmKey, 'beef'));
  });

  it.each([
    ['session', keys.session('acme', userKey, 'x'), SK.sessionPrefix],
    ['ticket pointer', keys.ticketPointer('acme', userKey, vmKey, 'x'), SK.ticketPointerPrefix],
    ['principal', keys.principal('acme', 'x@acme'), SK.userPrefix],
    ['vm', keys.vm('acme', 'x'), SK.vmPrefix],
    ['guest work', keys.guestWork('acme', 'vm-1', 'w'), SK.guestWorkPrefix],
    ['guest process', keys.process('acme', 'vm-1', 1), SK.processPrefix],
  ])('a %s key starts with the prefix its listing queries', (_, key, prefix) => {
    expect(key.sk.startsWith(prefix)).toBe(true);
  });

  it('holds the tenant in every key, where `tenantOf` finds it', () => {
    const kinds = everyKind('acme', 'admin@acme', 'vm-42', 'f00d');
    expect(kinds).toHaveLength(16);
    for (const [kind, key] of kinds) expect(keys.tenantOf(key.pk), kind).toBe('acme');
    expect(keys.tenantOf(gsi1.vmByUuid('acme', 'u').gsi1pk)).toBe('acme');
  });

  it('lets no two record kinds, tenants or names share a key (property)', () => {
    const tenant = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}$/);
    const name = fc.string({ minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(fc.tuple(tenant, name, name, name), fc.tuple(tenant, name, name, name), (a, b) => {
        const left = everyKind(...a);
        const right = everyKind(...b);
        for (const [i, [, x]] of left.entries()) {
          for (const [j, [, y]] of right.entries()) {
            if (x.pk === y.pk && x.sk === y.sk) {
              // Only the same kind of record for the same tenant and the same names may meet.
              expect(i).toBe(j);
              expect(a[0]).toBe(b[0]);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never shares a partition between tenants: a forged tenant part names a partition of the forged tenant', () => {
    const acme = everyKind('acme', 'admin@acme', 'vm-42', 'f00d').map(([, key]) => key.pk);
    const acme2 = everyKind('acme2', 'admin@acme', 'vm-42', 'f00d').map(([, key]) => key.pk);
    expect(acme.filter((pk) => acme2.includes(pk))).toEqual([]);
    expect(new Set(Object.values(PK)).size).toBe(Object.values(PK).length);
  });

  it('files a console session under the UTC day it started', () => {
    expect(dayOf('2026-01-02T23:59:59.999Z')).toBe('2026-01-02');
    expect(dayOf('2026-01-02T23:30:00.000-01:00')).toBe('2026-01-03');
  });

  it.each([
    ['tenant listing', gsi1.tenants('acme'), { gsi1pk: 'TENANTS', gsi1sk: 'acme' }],
    [
      'VM by instance UUID, lower-cased',
      gsi1.vmByUuid('acme', 'ABCDEF00-0000-0000-0000-000000000001'),
      { gsi1pk: 'TENANT#acme#VMUUID#abcdef00-0000-0000-0000-000000000001', gsi1sk: 'VM' },
    ],
  ])('gsi1: %s', (_, index, expected) => {
    expect(index).toEqual(expected);
  });

  it('gsi2: a VM by name, duplicates ordered by moId, the tenant inside the key', () => {
    expect(gsi2.vmByName('acme', 'web-01', 'vm-101')).toEqual({ gsi2pk: 'TENANT#acme#VMNAME#web-01', gsi2sk: 'vm-101' });
    expect(gsi2.vmByName('acme', 'web-01', 'vm-1').gsi2pk).not.toBe(gsi2.vmByName('globex', 'web-01', 'vm-1').gsi2pk);
  });

  it.each([
    ['a short key', { pk: 'TENANT#acme', sk: 'VM#vm-42' }, true],
    ['a sort key of exactly 1024 bytes', { pk: 'TENANT#acme', sk: 'x'.repeat(1024) }, true],
    ['a sort key of 1025 bytes', { pk: 'TENANT#acme', sk: 'x'.repeat(1025) }, false],
    ['a sort key of 1024 bytes in 512 two-byte characters, plus one', { pk: 'TENANT#acme', sk: 'é'.repeat(512) + 'x' }, false],
    ['a partition key of 2049 bytes', { pk: 'x'.repeat(2049), sk: 'PROFILE' }, false],
  ])('keyFits: %s → %s', (_, key, fits) => {
    expect(keyFits(key)).toBe(fits);
  });

  it('recordOf strips the table’s own attributes and nothing else', () => {
    expect(recordOf({ pk: 'p', sk: 's', gsi1pk: 'g', gsi1sk: 'h', gsi2pk: 'n', gsi2sk: 'm', tenantId: 'acme', expiresAt: 5 })).toEqual({
      tenantId: 'acme',
      expiresAt: 5,
    });
    expect(recordOf(undefined)).toBeUndefined();
  });
});

describe('the key layout', () => {
  it('is documented once, in the table that opens lib/store/keys.ts, with every prefix the keys use', () => {
    const text = readFileSync(fileURLToPath(new URL('../../lib/store/keys.ts', import.meta.url)), 'utf8');
    const start = text.indexOf('Every key of the single table');
    const table = text.slice(start, text.indexOf('*/', start));
    const prefixes = [...Object.values(PK), ...Object.values(SK)];
    expect(prefixes.filter((prefix) => !table.includes(prefix))).toEqual([]);
    expect(prefixes).toContain('DRAIN#LEASE');
  });
});
