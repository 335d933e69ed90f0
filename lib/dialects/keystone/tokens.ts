import * as z from 'zod';
import { InvalidArgument, Unauthenticated } from '../../core/errors.js';
import { tenantOfUserName } from '../../core/model.js';
import { fingerprint } from '../../protocol/secrets.js';
import type { HttpEvent } from '../../http/types.js';
import { computeV21, publicBaseUrl } from '../nova/links.js';
import type { SessionRecord } from '../../records.js';

/**
 * Keystone v3 authentication (POST /v3/auth/tokens), mapped onto this service's users: a Keystone domain is
 * a tenant and a project is that tenant too. With `password`, a user is named either by the full
 * `<name>@<tenant>` (in `name` or `id`; any domain given is then ignored) or by `name` plus the domain's
 * `name` or `id` = tenant. With `token`, a live token is scoped again. Tokens are the service's sessions.
 */
const Reference = z.object({ id: z.string().max(320).optional(), name: z.string().max(320).optional() }).passthrough();

export const AuthRequestBody = z.object({
  auth: z
    .object({
      identity: z
        .object({
          methods: z.array(z.string()).min(1),
          password: z
            .object({
              user: Reference.extend({ password: z.string().max(4096), domain: Reference.optional() }),
            })
            .passthrough()
            .optional(),
          token: z.object({ id: z.string().max(4096).optional() }).passthrough().optional(),
        })
        .passthrough(),
      scope: z
        .union([
          z.literal('unscoped'),
          z
            .object({
              project: Reference.extend({ domain: Reference.optional() }).optional(),
              domain: Reference.optional(),
              system: z.unknown().optional(),
            })
            .passthrough(),
        ])
        .optional(),
    })
    .passthrough(),
});
type AuthRequest = z.output<typeof AuthRequestBody>['auth'];

const requiresAuthentication = () =>
  Unauthenticated('The request you have made requires authentication.', { reason: 'invalid_login' });

export type Credentials =
  | { method: 'password'; userName: string; password: string }
  | { method: 'token'; tokenId: string };

/**
 * What a request authenticates with — a password, or a token to scope again — or Keystone's 400/401 for
 * what it cannot. One method per request: no method here needs a second factor.
 */
export function credentialsOf(auth: AuthRequest): Credentials {
  const [method, ...others] = new Set(auth.identity.methods);
  if (others.length || (method !== 'password' && method !== 'token')) {
    throw Unauthenticated('Attempted to authenticate with an unsupported method.');
  }
  if (method === 'token') {
    const token = auth.identity.token;
    if (!token) throw InvalidArgument('Expecting to find token in identity.', { field: 'auth.identity.token' });
    if (!token.id) throw InvalidArgument('Expecting to find id in token.', { field: 'auth.identity.token.id' });
    return { method, tokenId: token.id };
  }
  return { method, ...passwordCredentials(auth) };
}

/** The user name and password of a password authentication. */
function passwordCredentials(auth: AuthRequest): { userName: string; password: string } {
  const user = auth.identity.password?.user;
  if (!user) throw InvalidArgument('Expecting to find password in identity.', { field: 'auth.identity.password' });
  const named = user.name ?? user.id;
  if (!named) throw InvalidArgument('Expecting to find id or name in user.', { field: 'auth.identity.password.user' });
  if (named.includes('@')) return { userName: named, password: user.password };
  const domain = user.domain?.name ?? user.domain?.id;
  if (!domain) throw InvalidArgument('Expecting to find domain in user.', { field: 'auth.identity.password.user.domain' });
  return { userName: `${named}@${domain}`, password: user.password };
}

/**
 * Only project scope to the user's own tenant exists (or no scope, which Keystone scopes to the default
 * project: the tenant). Anything else is refused before any password is checked or session created.
 */
export function requireOwnProjectScope(auth: AuthRequest, userName: string): void {
  const scope = auth.scope;
  if (scope === undefined || scope === 'unscoped') return;
  const tenant = tenantOfUserName(userName);
  const project = scope.project;
  const projectDomain = project?.domain?.id ?? project?.domain?.name;
  // Keystone looks a project up by id when given, else by name within its domain.
  const ownProject =
    project !== undefined &&
    (project.id !== undefined
      ? project.id === tenant
      : project.name === tenant && (projectDomain === undefined || projectDomain === tenant));
  if (!ownProject || scope.domain !== undefined || scope.system !== undefined) throw requiresAuthentication();
}

const keystoneTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

const endpoints = (id: string, url: string) =>
  (['public', 'internal', 'admin'] as const).map((face) => ({
    id: `${id}-${face}`,
    interface: face,
    region: REGION,
    region_id: REGION,
    url,
  }));

const REGION = 'RegionOne';

/** The catalog: `compute` is this service's /compute/v2.1 on every interface. */
export const catalog = (event: HttpEvent) => [
  { endpoints: endpoints('compute', computeV21(event)), id: 'compute', type: 'compute', name: 'nova' },
  { endpoints: endpoints('identity', `${publicBaseUrl(event)}/identity`), id: 'identity', type: 'identity', name: 'keystone' },
];

/**
 * Keystone's token body for a project-scoped token; a token scoped again from another lists both methods,
 * as Keystone lists every method that went into it.
 */
export function tokenBody(event: HttpEvent, session: SessionRecord, methods: string[] = ['password']) {
  const tenant = { id: session.tenantId, name: session.tenantId };
  const canUseConsoles = session.privileges.includes('VirtualMachine.Interact.ConsoleInteract');
  return {
    token: {
      methods,
      user: { domain: tenant, id: session.userName, name: session.userName, password_expires_at: null },
      audit_ids: [fingerprint(session.sessionHash)],
      expires_at: keystoneTime(session.expiresAt * 1000),
      issued_at: keystoneTime(Date.parse(session.createdAt)),
      project: { domain: tenant, ...tenant },
      is_domain: false,
      roles: canUseConsoles
        ? [
            { id: 'member', name: 'member' },
            { id: 'reader', name: 'reader' },
          ]
        : [{ id: 'reader', name: 'reader' }],
      catalog: catalog(event),
    },
  };
}
