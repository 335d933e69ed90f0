import type { HttpEvent } from '../../http/types.js';
import { computeV21 } from './links.js';
import { MAX_VERSION, MIN_VERSION, versionString } from './microversions.js';

/**
 * Nova's version documents (nova/api/openstack/compute/versions.py and views/versions.py;
 * doc/api_samples/versions/*.json). Only v2.1 is served: the legacy /v2 endpoint does not exist here, so the
 * list does not advertise it.
 */
const V21 = {
  id: 'v2.1',
  status: 'CURRENT',
  version: versionString(MAX_VERSION),
  min_version: versionString(MIN_VERSION),
  updated: '2013-07-23T11:33:21Z',
} as const;

/** `GET /compute` — the list of versions. */
export const versionList = (event: HttpEvent) => ({
  versions: [{ ...V21, links: [{ href: `${computeV21(event)}/`, rel: 'self' }] }],
});

/** `GET /compute/v2.1` — the v2.1 version document. */
export const versionDocument = (event: HttpEvent) => ({
  version: {
    ...V21,
    links: [
      { href: `${computeV21(event)}/`, rel: 'self' },
      { href: 'http://docs.openstack.org/', rel: 'describedby', type: 'text/html' },
    ],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' }],
  },
});
