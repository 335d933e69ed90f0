import { InvalidArgument, NotAcceptable, NotFound } from '../../core/errors.js';
import type { HttpEvent } from '../../http/types.js';

/**
 * Compute API microversions, negotiated as nova/api/openstack/wsgi.py and api_version_request.py do:
 * `OpenStack-API-Version: compute X` wins over the legacy `X-OpenStack-Nova-API-Version`; no header means
 * 2.1; `latest` means the maximum; a malformed version is a 400 and one outside [min, max] a 406.
 *
 * The maximum is 2.96 (Nova 2024.2): every behaviour this service exposes is defined up to there, and 2.99
 * (the spice-direct console type) is not offered.
 */
export interface Microversion {
  major: number;
  minor: number;
}

export const MIN_VERSION: Microversion = { major: 2, minor: 1 };
export const MAX_VERSION: Microversion = { major: 2, minor: 96 };

export const versionString = (version: Microversion): string => `${version.major}.${version.minor}`;
export const atLeast = (version: Microversion, major: number, minor: number): boolean =>
  version.major > major || (version.major === major && version.minor >= minor);

/** A version outside the supported range: Nova answers 406 with a computeFault. */
const versionNotAcceptable = (requested: string) =>
  NotAcceptable(
    `Version ${requested} is not supported by the API. Minimum is ${versionString(MIN_VERSION)} and maximum is ${versionString(MAX_VERSION)}.`,
  );

const VERSION_PATTERN = /^([1-9]\d*)\.([1-9]\d*|0)$/;

/** The version string the client asked for, as microversion-parse extracts it; undefined when none. */
function requestedVersion(headers: HttpEvent['headers'] | undefined): string | undefined {
  const modern = headers?.['openstack-api-version'];
  if (modern) {
    for (const entry of modern.split(',')) {
      const [service, value] = entry.trim().split(/\s+/);
      if (service?.toLowerCase() === 'compute' && value) return value;
    }
  }
  return headers?.['x-openstack-nova-api-version']?.trim() || undefined;
}

/** Negotiates the request's microversion, or throws the 400/406 Nova would answer. */
export function negotiateVersion(headers: HttpEvent['headers'] | undefined): Microversion {
  const requested = requestedVersion(headers);
  if (requested === undefined) return MIN_VERSION;
  if (requested.toLowerCase() === 'latest') return MAX_VERSION;
  const match = VERSION_PATTERN.exec(requested);
  if (!match) {
    throw InvalidArgument(
      `API Version String ${requested} is of invalid format. Must be of format MajorNum.MinorNum.`,
      { field: 'OpenStack-API-Version' },
    );
  }
  const version = { major: Number(match[1]), minor: Number(match[2]) };
  const tooLow = !atLeast(version, MIN_VERSION.major, MIN_VERSION.minor);
  const tooHigh = atLeast(version, MAX_VERSION.major, MAX_VERSION.minor + 1);
  if (tooLow || tooHigh) throw versionNotAcceptable(versionString(version));
  return version;
}

/** Below a method's first version Nova finds no method: a bare 404. */
export function requireVersion(version: Microversion, major: number, minor: number): void {
  if (!atLeast(version, major, minor)) throw NotFound('The resource could not be found.');
}

/** From a method's removal on (`api_version(min, max)` with max below the request) it is not found either. */
export function requireVersionBefore(version: Microversion, major: number, minor: number): void {
  if (atLeast(version, major, minor)) throw NotFound('The resource could not be found.');
}

/** The headers Nova adds to every versioned response, faults included, once the version is known. */
export function versionHeaders(version: Microversion): Record<string, string> {
  return {
    'openstack-api-version': `compute ${versionString(version)}`,
    'x-openstack-nova-api-version': versionString(version),
    vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
  };
}
