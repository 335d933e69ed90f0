import type { HttpEvent } from '../../http/types.js';
import { publicBaseUrl } from '../nova/links.js';

/** Keystone's v3 version entry (keystone/api/discovery.py): identity API 3.14, stable. */
const v3 = (event: HttpEvent) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${publicBaseUrl(event)}/identity/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

/** `GET /identity/v3`. */
export const versionDocument = (event: HttpEvent) => ({ version: v3(event) });

/** `GET /identity` — Keystone answers 300 Multiple Choices with the list (here: v3 only). */
export const versionList = (event: HttpEvent) => ({ versions: { values: [v3(event)] } });
