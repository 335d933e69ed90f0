import * as z from 'zod';
import * as Guest from '../../lib/core/guest/agent-calls.js';
import { operatorDialect } from '../../lib/dialects/operator/index.js';
import { VmPath } from '../../lib/dialects/operator/schemas.js';
import { endpoint } from '../../lib/http/endpoint.js';
import { json } from '../../lib/http/responses.js';

/**
 * POST /operator/v1/tenants/{tenant}/vms/{moId}/agent-credentials — issues the VM's guest agent credential.
 * It is shown in this response only (the table keeps its SHA-256); issuing again revokes the previous one.
 */
export const issue = endpoint({
  dialect: operatorDialect,
  auth: { kind: 'platform', role: 'operator' },
  input: z.object({ path: VmPath }),
  handler: async ({ path }) => json(201, await Guest.issueAgentCredential(path.tenant, path.moId)),
});
