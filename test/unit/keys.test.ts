import { describe, expect, it } from 'vitest';
import { gsi1, gsi2, keyFits, keys, recordOf, SK, type Key } from '../../lib/store/keys.js';

describe('keys', () => {
  it.each<[string, Key, Key]>([
    ['tenant profile', keys.tenant('acme'), { pk: 'TENANT#acme', sk: 'PROFILE' }],
    ['principal', keys.principal('acme', 'admin@acme'), { pk: 'TENANT#acme', sk: 'USER#admin@acme' }],
    ['login failures', keys.loginFailures('acme', 'admin@acme'), { pk: 'TENANT#acme', sk: 'LOGINFAILURES#admin@acme' }],
    [
      'guest login failures',
      keys.loginFailures('acme', keys.guestLoginFailuresName('vm-42', 'ab12')),
      { pk: 'TENANT#acme', sk: 'LOGINFAILURES#GUEST#vm-42#ab12' },
    ],
    ['vm', keys.vm('acme', 'vm-42'), { pk: 'TENANT#acme', sk: 'VM#vm-42' }],
    ['session', keys.session('acme', 'f00d'), { pk: 'TENANT#acme', sk: 'SESSION#f00d' }],
    ['ticket', keys.ticket('acme', 'beef'), { pk: 'TENANT#acme', sk: 'TICKET#beef' }],
    [
      'Nova console, by the lower-cased instance UUID',
      keys.console('acme', '4C4C4544-0042-3510-8052-B4C04F4A4E31'),
      { pk: 'TENANT#acme', sk: 'CONSOLE#4c4c4544-0042-3510-8052-b4c04f4a4e31' },
    ],
    ['console counter', keys.consoleCounter('acme'), { pk: 'TENANT#acme', sk: 'COUNTER#CONSOLE' }],
    [
      'console session audit, sorted by start time',
      keys.consoleAudit('acme', '2026-01-02T03:04:05.000Z', 'c0ffee'),
      { pk: 'TENANT#acme', sk: 'AUDIT#CONSOLE#2026-01-02T03:04:05.000Z#c0ffee' },
    ],
    ['agent', keys.agent('acme', 'vm-42'), { pk: 'TENANT#acme', sk: 'AGENT#vm-42' }],
    ['guest work', keys.guestWork('acme', 'vm-42', 'w1'), { pk: 'TENANT#acme', sk: 'GUESTWORK#vm-42#w1' }],
    ['guest result', keys.guestResult('acme', 'vm-42', 'w1'), { pk: 'TENANT#acme', sk: 'GUESTRESULT#vm-42#w1' }],
    ['guest process', keys.process('acme', 'vm-42', 4242), { pk: 'TENANT#acme', sk: 'PROCESS#vm-42#4242' }],
    ['guest credential verifier', keys.guestAuth('acme', 'vm-42', 'ab12'), { pk: 'TENANT#acme', sk: 'GUESTAUTH#vm-42#ab12' }],
  ])('%s', (_, key, expected) => {
    expect(key).toEqual(expected);
  });

  it.each([
    ['guest work', keys.guestWorkOf('vm-4'), keys.guestWork('acme', 'vm-4', 'w1')],
    ['guest results', keys.guestResultsOf('vm-4'), keys.guestResult('acme', 'vm-4', 'w1')],
    ['processes', keys.processesOf('vm-4'), keys.process('acme', 'vm-4', 1)],
    ['credential verifiers', keys.guestAuthsOf('vm-4'), keys.guestAuth('acme', 'vm-4', 'ab')],
  ])('the prefix of a VM’s %s selects its items and not those of a VM whose id it begins', (_, prefix, key) => {
    expect(key.sk.startsWith(prefix)).toBe(true);
    expect(key.sk.replace('vm-4#', 'vm-42#').startsWith(prefix)).toBe(false);
  });

  it.each([
    ['session', keys.session('acme', 'x'), SK.sessionPrefix],
    ['ticket', keys.ticket('acme', 'x'), SK.ticketPrefix],
    ['principal', keys.principal('acme', 'x@acme'), SK.userPrefix],
    ['vm', keys.vm('acme', 'x'), SK.vmPrefix],
    ['console audit', keys.consoleAudit('acme', 't', 's'), SK.consoleAuditPrefix],
  ])('a %s key starts with the prefix its listing queries', (_, key, prefix) => {
    expect(key.sk.startsWith(prefix)).toBe(true);
  });

  it('keeps two tenants’ keys for the same VM apart', () => {
    expect(keys.vm('acme', 'vm-42').pk).not.toBe(keys.vm('globex', 'vm-42').pk);
    expect(keys.tenantPartition('acme')).toBe('TENANT#acme');
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
