import { keystone } from '../../lib/dialects/keystone/index.js';
import { versionDocument, versionList } from '../../lib/dialects/keystone/versions.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { NoInput } from '../../lib/http/schemas.js';
import { json } from '../../lib/http/responses.js';

/** GET /identity — 300 Multiple Choices with the version list, as Keystone answers. */
export const list = endpoint({
  dialect: keystone,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }) => json(300, versionList(event)),
});

/** GET /identity/v3 — the v3 version document. */
export const show = endpoint({
  dialect: keystone,
  auth: { kind: 'none' },
  input: NoInput,
  handler: async (_input, { event }) => json(200, versionDocument(event)),
});
