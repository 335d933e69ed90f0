import { nova } from '../../lib/dialects/nova/index.js';
import { novaEndpoint } from '../../lib/dialects/nova/endpoint.js';
import { versionDocument, versionList } from '../../lib/dialects/nova/versions.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/responses.js';

/** GET /compute — the version list; unversioned and unauthenticated, as Nova's root. */
export const list = endpoint({
  dialect: nova,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }) => json(200, versionList(event)),
});

/** GET /compute/v2.1 — the v2.1 version document (min/max microversion); unauthenticated, versioned. */
export const show = novaEndpoint({
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }) => json(200, versionDocument(event)),
});
