import { describe, expect, it } from 'vitest';
import { DomainError } from '../../lib/core/errors.js';
import {
  MAX_VERSION,
  MIN_VERSION,
  negotiateVersion,
  requireVersion,
  requireVersionBefore,
  versionHeaders,
  versionString,
} from '../../lib/dialects/nova/microversions.js';

/** What a negotiation threw, in the terms a dialect renders: kind, message, details. */
function refusal(run: () => unknown): { kind: string; message: string; details: object } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { kind: error.kind, message: error.message, details: error.details };
  }
  throw new Error('expected a refusal');
}

const notAcceptable = (version: string) =>
  `Version ${version} is not supported by the API. Minimum is 2.1 and maximum is 2.96.`;
const invalidFormat = (version: string) =>
  `API Version String ${version} is of invalid format. Must be of format MajorNum.MinorNum.`;

describe('negotiateVersion', () => {
  it.each([
    ['no header', {}, '2.1'],
    ['the modern header', { 'openstack-api-version': 'compute 2.8' }, '2.8'],
    ['the legacy header', { 'x-openstack-nova-api-version': '2.6' }, '2.6'],
    ['the legacy header, padded', { 'x-openstack-nova-api-version': ' 2.6 ' }, '2.6'],
    ['both: the modern one wins', { 'openstack-api-version': 'compute 2.47', 'x-openstack-nova-api-version': '2.6' }, '2.47'],
    ['the compute entry of a list', { 'openstack-api-version': 'volume 3.70, compute 2.31' }, '2.31'],
    ['the service name in any case', { 'openstack-api-version': 'Compute 2.10' }, '2.10'],
    ['no compute entry: the legacy header', { 'openstack-api-version': 'volume 3.0', 'x-openstack-nova-api-version': '2.5' }, '2.5'],
    ['no compute entry and no legacy header: 2.1', { 'openstack-api-version': 'volume 3.0' }, '2.1'],
    ['latest', { 'openstack-api-version': 'compute latest' }, '2.96'],
    ['LATEST', { 'x-openstack-nova-api-version': 'LATEST' }, '2.96'],
    ['the minimum', { 'openstack-api-version': 'compute 2.1' }, '2.1'],
    ['the maximum', { 'openstack-api-version': 'compute 2.96' }, '2.96'],
  ])('negotiates %s', (_case, headers, expected) => {
    expect(versionString(negotiateVersion(headers))).toBe(expected);
  });

  it('takes absent headers as no header', () => {
    expect(negotiateVersion(undefined)).toEqual(MIN_VERSION);
  });

  it.each(['2', '2.', '.1', '2.01', '02.1', '2.1.1', 'v2.1', 'compute', '2.1a', '2.x'])(
    'refuses %j as malformed (400), naming the header',
    (version) => {
      expect(refusal(() => negotiateVersion({ 'openstack-api-version': `compute ${version}` }))).toEqual({
        kind: 'invalid_argument',
        message: invalidFormat(version),
        details: { field: 'OpenStack-API-Version' },
      });
    },
  );

  it.each(['2.0', '2.97', '2.99', '3.0', '1.1', '1.0', '10.1'])('refuses %s as outside [2.1, 2.96] (406)', (version) => {
    expect(refusal(() => negotiateVersion({ 'x-openstack-nova-api-version': version })).message).toBe(notAcceptable(version));
  });
});

describe('method versions', () => {
  const v = (minor: number) => ({ major: 2, minor });
  const notFound = { kind: 'not_found', message: 'The resource could not be found.', details: {} };

  it.each([
    [v(5), false],
    [v(6), true],
    [v(96), true],
  ])('requireVersion(2.6) at %o passes: %s', (version, passes) => {
    if (passes) expect(() => requireVersion(version, 2, 6)).not.toThrow();
    else expect(refusal(() => requireVersion(version, 2, 6))).toEqual(notFound);
  });

  it.each([
    [v(1), true],
    [v(5), true],
    [v(6), false],
  ])('requireVersionBefore(2.6) at %o passes: %s', (version, passes) => {
    if (passes) expect(() => requireVersionBefore(version, 2, 6)).not.toThrow();
    else expect(refusal(() => requireVersionBefore(version, 2, 6))).toEqual(notFound);
  });

  it('puts the negotiated version in both headers, and varies on both', () => {
    expect(versionHeaders(MAX_VERSION)).toEqual({
      'openstack-api-version': 'compute 2.96',
      'x-openstack-nova-api-version': '2.96',
      vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
    });
  });
});
