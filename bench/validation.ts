/**
 * Request validation on its own: how many times a second this project's zod schemas parse the request parts of
 * its busiest calls (ticket create in each dialect, a guest process create, a Keystone login, a VM put).
 * `npx tsx bench/validation.ts [tree]` measures the schemas of another checkout of this project (e.g. one on
 * zod 3), so a library upgrade is compared on the same inputs, the same Node and the same machine.
 */
import { pathToFileURL } from 'node:url';
import { labVmSpec } from '../test/support/lab.js';

const headers = { 'content-type': 'application/json', 'vmware-api-session-id': 'acme.x', host: 'api.example.com', 'user-agent': 'bench' };
const credentials = { type: 'USERNAME_PASSWORD', user_name: 'demo', password: 'demo-guest-pass' };

export async function measureValidation(tree: string, perCase = 100_000) {
  // The first of the names a module had over time that the tree holds (an earlier checkout, BENCH_BASELINE_TREE).
  const load = (...names: string[]) =>
    names.reduce<Promise<any>>((found, file) => found.catch(() => import(pathToFileURL(`${tree}/${file}`).href)), Promise.reject());
  const [vcenter, guest, vim25, nova, keystone, model] = await Promise.all([
    load('lib/dialects/vcenter/console-tickets.ts', 'lib/dialects/vcenter/consoles.ts'),
    load('lib/dialects/vcenter/guest.ts'),
    load('lib/dialects/vim25/acquire-ticket.ts', 'lib/dialects/vim25/tickets.ts'),
    load('lib/dialects/nova/remote-consoles.ts'),
    load('lib/dialects/keystone/tokens.ts'),
    load('lib/core/model.ts'),
  ]);
  const cases: Record<string, [{ safeParse(input: unknown): { success: boolean } }, unknown]> = {
    'vCenter ticket create': [vcenter.CreateConsoleTicketApiInput, { path: { vm: 'vm-101' }, query: {}, headers, body: { type: 'WEBMKS' } }],
    'vim25 AcquireTicket': [vim25.AcquireTicketInput, { path: { release: '8.0.3.0', moId: 'vm-101' }, body: { ticketType: 'webmks' } }],
    'Nova remote console': [nova.RemoteConsoleBody, { remote_console: { protocol: 'vnc', type: 'novnc' } }],
    'guest process create': [
      // An earlier tree (BENCH_BASELINE_TREE) may name the /api schemas apiGuestInput.
      (guest.guestInput?.api ?? guest.apiGuestInput).processes,
      {
        path: { vm: 'vm-101' },
        query: { action: 'create' },
        headers,
        body: { credentials, spec: { path: '/bin/echo', arguments: 'hello', environment_variables: { LANG: 'C', TERM: 'xterm' } } },
      },
    ],
    'Keystone password auth': [
      keystone.AuthRequestBody,
      {
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin@acme', password: 'p', domain: { id: 'default' } } } },
          scope: { project: { name: 'acme', domain: { id: 'default' } } },
        },
      },
    ],
    'operator VM put': [model.VmSpecSchema, labVmSpec('vm-101')],
  };
  const results: Record<string, number> = {};
  for (const [name, [schema, input]] of Object.entries(cases)) {
    if (!schema.safeParse(input).success) throw new Error(`${name}: the sample input does not validate`);
    for (let i = 0; i < perCase / 10; i += 1) schema.safeParse(input);
    const started = performance.now();
    for (let i = 0; i < perCase; i += 1) schema.safeParse(input);
    results[name] = Math.round(perCase / ((performance.now() - started) / 1000));
  }
  return results;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const tree = process.argv[2] ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
  console.log(JSON.stringify({ tree, node: process.versions.node, parsesPerSecond: await measureValidation(tree) }, null, 2));
}
