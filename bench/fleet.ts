/**
 * The fleet benchmark: a synthetic tenant of 100,000 VMs and 10,000 users on the local DynamoDB, and the
 * operations a fleet makes (logins, ticket creates, redemptions, Nova find-by-name, idle guest agents), each
 * run through its real handler with a real API Gateway event. Every DynamoDB call is recorded at the SDK with
 * the partition keys it touched and the request units it consumed (dynalite's ConsumedCapacity, per item for
 * batches), so the figures are the code's own, not a model of it.
 *
 * From one sample of each operation it derives the load on every partition key at the fleet's rates: a key
 * that every sample touched is shared (it takes the operation's whole rate); a key that one sample touched
 * belongs to one entity (a user, a VM) and takes the rate of that entity alone. The busiest key's share of a
 * partition's limits (3,000 read units and 1,000 write units per second) is the figure the key layout is for.
 *
 *   tsx bench/fleet.ts [tree] [out.json]   tree: the checkout to measure (default: this one)
 *
 * It imports everything from `tree`, so the same benchmark measures an earlier commit's layout ("before");
 * `npm run bench:fleet` (bench/fleet-report.ts) runs it and writes the README's fleet figures.
 */
import { randomUUID } from 'node:crypto';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.js';

const here = fileURLToPath(new URL('..', import.meta.url));
const tree = resolve(process.argv[2] ?? here);
const outFile = process.argv[3];
const TABLE = 'console-broker-fleet';
const TENANT = 'fleet';
export const FLEET = { vms: 100_000, users: 10_000 };
/** The mix: console opens per minute, and what each open costs; idle agents at today's rates. */
export const MIX = {
  consoleOpensPerMinute: 1000,
  loginsPerOpen: 0.5,
  findByNamePerOpen: 1,
  agentPollsPerSecondPerVm: 1 / 4,
  agentHeartbeatsPerSecondPerVm: 1 / 10,
  failedLoginsPerSecond: 20,
};
const PARTITION_LIMITS = { read: 3000, write: 1000 };
const SAMPLES = 12;

type Units = { read: number; write: number };
interface Call {
  action: string;
  /** Request units per partition key touched (`table:<pk>` or `<index>:<index pk>`). */
  keys: Map<string, Units>;
}

// ---- DynamoDB item size and request units, as DynamoDB bills them (and dynalite computes them)
function valueBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace(/^0\.|\./, '').length / 2) + 1;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, item) => sum + 1 + valueBytes(item), 0);
  if (typeof value === 'object') return 3 + itemBytes(value as Record<string, unknown>) + Object.keys(value).length;
  return String(value).length;
}
const itemBytes = (item: Record<string, unknown>) =>
  Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
const readUnits = (item: Record<string, unknown> | undefined, consistent: boolean) =>
  (item ? Math.ceil(itemBytes(item) / 4096) : 1) / (consistent ? 1 : 2);
const writeUnits = (item: Record<string, unknown> | undefined) => (item ? Math.max(1, Math.ceil(itemBytes(item) / 1024)) : 1);

const INDEX_ATTRIBUTE = /^(gsi\d+)pk$/;

/** The partition keys a request touches and what each costs, from the request and its answer. */
function unitsOf(action: string, input: any, output: any, failed: boolean): Map<string, Units> {
  const keys = new Map<string, Units>();
  const add = (key: string, units: Partial<Units>) => {
    const entry = keys.get(key) ?? { read: 0, write: 0 };
    entry.read += units.read ?? 0;
    entry.write += units.write ?? 0;
    keys.set(key, entry);
  };
  const indexWrites = (item: Record<string, unknown>) => {
    for (const [name, value] of Object.entries(item)) {
      const index = INDEX_ATTRIBUTE.exec(name)?.[1];
      if (index) add(`${index}:${value}`, { write: writeUnits(item) });
    }
  };
  const consumed = (output?.ConsumedCapacity?.CapacityUnits as number | undefined) ?? undefined;
  switch (action) {
    case 'GetItem':
      add(`table:${input.Key.pk}`, { read: consumed ?? readUnits(output?.Item, Boolean(input.ConsistentRead)) });
      break;
    case 'PutItem':
      add(`table:${input.Item.pk}`, { write: failed ? 1 : consumed ?? writeUnits(input.Item) });
      if (!failed) indexWrites(input.Item);
      break;
    case 'UpdateItem':
    case 'DeleteItem':
      add(`table:${input.Key.pk}`, { write: failed ? 1 : consumed ?? 1 });
      if (!failed && output?.Attributes) indexWrites(output.Attributes);
      break;
    case 'Query': {
      const attribute = /^\s*(\w+)\s*=\s*(:\w+)/.exec(input.KeyConditionExpression ?? '');
      const value = attribute ? input.ExpressionAttributeValues?.[attribute[2]!] : '?';
      const where = input.IndexName ? `${input.IndexName}:${value}` : `table:${value}`;
      // A query costs at least one unit per page (half when eventually consistent), found items or not.
      const least = input.IndexName || input.ConsistentRead === false ? 0.5 : 1;
      add(where, { read: Math.max(least, consumed ?? 0) });
      break;
    }
    case 'BatchGetItem':
      for (const [table, request] of Object.entries(input.RequestItems ?? {}) as [string, any][]) {
        const found: Record<string, unknown>[] = output?.Responses?.[table] ?? [];
        for (const key of request.Keys) {
          const item = found.find((candidate) => candidate.pk === key.pk && candidate.sk === key.sk);
          add(`table:${key.pk}`, { read: readUnits(item, Boolean(request.ConsistentRead)) });
        }
      }
      break;
    case 'BatchWriteItem':
      for (const requests of Object.values(input.RequestItems ?? {}) as any[][]) {
        for (const request of requests) {
          if (request.PutRequest) {
            add(`table:${request.PutRequest.Item.pk}`, { write: writeUnits(request.PutRequest.Item) });
            indexWrites(request.PutRequest.Item);
          } else add(`table:${request.DeleteRequest.Key.pk}`, { write: 1 });
        }
      }
      break;
    case 'TransactWriteItems':
      for (const item of input.TransactItems ?? []) {
        const [kind, request] = Object.entries(item)[0] as [string, any];
        const pk = kind === 'Put' ? request.Item.pk : request.Key.pk;
        add(`table:${pk}`, { write: 2 * (kind === 'Put' ? writeUnits(request.Item) : 1) });
        if (kind === 'Put') indexWrites(request.Item);
      }
      break;
    case 'TransactGetItems':
      for (const item of input.TransactItems ?? []) add(`table:${item.Get.Key.pk}`, { read: 2 });
      break;
    default:
      add(`other:${action}`, { read: consumed ?? 0 });
  }
  return keys;
}

/** A recorder on the tree's own DynamoDB client: while `calls` is set, every call is recorded. */
function recorder(documentClient: { middlewareStack: any }) {
  const state: { calls?: Call[] } = {};
  documentClient.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      if (!state.calls) return next(args);
      const action = String(context.commandName ?? '').replace(/Command$/, '');
      args.input.ReturnConsumedCapacity = 'TOTAL';
      const calls = state.calls;
      try {
        const result = await next(args);
        calls.push({ action, keys: unitsOf(action, args.input, result.output, false) });
        return result;
      } catch (error) {
        calls.push({ action, keys: unitsOf(action, args.input, undefined, (error as Error).name === 'ConditionalCheckFailedException') });
        throw error;
      }
    },
    { step: 'initialize', name: 'fleetRecorder', priority: 'high' },
  );
  return {
    async record<T>(operation: () => Promise<T>): Promise<{ result: T; calls: Call[] }> {
      state.calls = [];
      try {
        return { result: await operation(), calls: state.calls };
      } finally {
        state.calls = undefined;
      }
    },
  };
}

/** Runs `task(i)` for i < count with at most `inFlight` at once. */
async function bounded(count: number, inFlight: number, task: (index: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, async () => {
    while (next < count) await task(next++);
  }));
}

const pad = (n: number) => String(n).padStart(6, '0');
const vmName = (n: number) => `srv-${pad(n)}`;
const moIdOf = (n: number) => `vm-${n}`;
const userOf = (n: number) => `u${n}@${TENANT}`;

async function main() {
  const { startLocalDynamo, ensureTable } = await import(`${tree}/scripts/local-dynamodb.ts`);
  const { testEnvironment } = await import(`${tree}/test/support/environment.ts`);
  const dynamo = await startLocalDynamo({ separateProcess: true });
  Object.assign(process.env, testEnvironment(dynamo.endpoint), { TABLE_NAME: TABLE, LOG_LEVEL: 'SILENT', LOGIN_MAX_FAILURES: '1000000' });
  await ensureTable(dynamo.endpoint, TABLE);
  const store = await import(`${tree}/lib/store/index.ts`);
  const { client } = await import(`${tree}/lib/store/client.ts`);
  const Tenants = await import(`${tree}/lib/core/tenants.ts`);
  const { PRIVILEGES } = await import(`${tree}/lib/core/privileges.ts`);
  const { hashPassword } = await import(`${tree}/lib/protocol/secrets.ts`);
  const { api, basic, session, CONSOLE_PROXY, OPERATOR } = await import(`${tree}/test/support/api.ts`);

  // ---- the synthetic tenant
  const seedStarted = performance.now();
  await Tenants.putTenant(TENANT, { displayName: 'Fleet benchmark tenant' });
  const now = new Date().toISOString();
  const passwordHash = await hashPassword('fleet-pass');
  await bounded(FLEET.vms, 64, (index) =>
    store.putVm({
      tenantId: TENANT,
      moId: moIdOf(index + 1),
      instanceUuid: randomUUID(),
      name: vmName(index + 1),
      powerState: 'poweredOn',
      connectionState: 'connected',
      guestOsFamily: 'linux',
      host: { address: '10.0.0.1', port: 443, sslThumbprintSha1: '00', sslThumbprintSha256: '00' },
      vnc: { host: '10.0.0.1', port: 5900 + (index % 1000) },
      vmxPath: `[datastore1] ${vmName(index + 1)}/${vmName(index + 1)}.vmx`,
      cpuCount: 2,
      memorySizeMiB: 4096,
      createdAt: now,
      updatedAt: now,
    }),
  );
  await bounded(FLEET.users, 64, (index) =>
    store.putPrincipal({
      tenantId: TENANT,
      userName: userOf(index + 1),
      fullName: `User ${index + 1}`,
      passwordHash,
      privileges: [...PRIVILEGES],
      updatedAt: now,
    }),
  );
  const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);

  const { record } = recorder(client());
  const pick = (count: number, population: number, offset: number) =>
    Array.from({ length: count }, (_, index) => 1 + ((offset + index * Math.floor(population / count)) % population));

  const expect = <A extends { status: number; text: string; body?: unknown }>(answer: A, status: number, what: string): A => {
    if (answer.status !== status) throw new Error(`${what}: ${answer.status} ${answer.text}`);
    return answer;
  };
  type Sample = Call[][];
  const samples: Record<string, { sample: Sample; population: number; perSecond: number }> = {};
  const sampleOf = async (name: string, population: number, perSecond: number, entities: number[], run: (entity: number, index: number) => Promise<unknown>) => {
    const sample: Sample = [];
    for (const [index, entity] of entities.entries()) sample.push((await record(() => run(entity, index))).calls);
    samples[name] = { sample, population, perSecond };
  };

  const opensPerSecond = MIX.consoleOpensPerMinute / 60;
  const users = pick(SAMPLES, FLEET.users, 7);
  const vms = pick(SAMPLES, FLEET.vms, 11);
  const sessions: string[] = [];
  await sampleOf('login', FLEET.users, opensPerSecond * MIX.loginsPerOpen, users, async (user) => {
    const answer = expect(await api('POST', '/api/session', { headers: basic(userOf(user), 'fleet-pass') }), 201, 'login');
    sessions.push(answer.body as string);
  });
  const tickets: string[] = [];
  await sampleOf('ticket create', FLEET.users, opensPerSecond, users, async (_user, index) => {
    const answer = expect(
      await api('POST', `/api/vcenter/vm/${moIdOf(vms[index]!)}/console/tickets`, { headers: session(sessions[index]!), body: { type: 'WEBMKS' } }),
      201,
      'ticket create',
    );
    tickets.push(/\/ticket\/(.+)$/.exec((answer.body as { ticket: string }).ticket)![1]!);
  });
  await sampleOf('redemption', FLEET.users, opensPerSecond, users, async (_user, index) => {
    expect(await api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket: tickets[index] } }), 200, 'redemption');
  });
  // Find-by-name reads the whole VM list in layouts without a name index: few samples, they are slow there.
  const findStarted = performance.now();
  await sampleOf('Nova find-by-name', FLEET.users, opensPerSecond * MIX.findByNamePerOpen, users.slice(0, 3), async (_user, index) => {
    const answer = expect(
      await api('GET', `/compute/v2.1/servers?name=${vmName(vms[index]!)}`, { headers: { 'x-auth-token': sessions[index]! } }),
      200,
      'find-by-name',
    );
    const servers = (answer.body as { servers: { name: string }[] }).servers;
    if (servers.length !== 1 || servers[0]!.name !== vmName(vms[index]!)) throw new Error(`find-by-name found ${JSON.stringify(servers)}`);
  });
  const findMs = round((performance.now() - findStarted) / 3, 0);
  await sampleOf('failed login (attack)', FLEET.users, MIX.failedLoginsPerSecond, users, async (user) => {
    expect(await api('POST', '/api/session', { headers: basic(userOf(user), 'wrong-pass') }), 401, 'failed login');
  });

  // Idle agents: enrolled and registered on their own VMs, then their idle calls at today's rates.
  const agents: string[] = [];
  for (const vm of vms) {
    const { credential } = expect(
      await api('POST', `/operator/v1/tenants/${TENANT}/vms/${moIdOf(vm)}/agent-credentials`, { headers: OPERATOR }),
      201,
      'agent credential',
    ).body as { credential: string };
    const publicKey = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const headers = { authorization: `Bearer ${credential}` };
    expect(await api('PUT', '/agent/v1/registration', { headers, body: { publicKey, agentVersion: 'fleet-bench' } }), 200, 'registration');
    agents.push(credential);
  }
  const agentHeaders = (index: number) => ({ authorization: `Bearer ${agents[index]}` });
  await sampleOf('idle agent: claim poll', FLEET.vms, FLEET.vms * MIX.agentPollsPerSecondPerVm, vms, async (_vm, index) => {
    expect(await api('POST', '/agent/v1/claims', { headers: agentHeaders(index) }), 204, 'claim poll');
  });
  await sampleOf('idle agent: heartbeat', FLEET.vms, FLEET.vms * MIX.agentHeartbeatsPerSecondPerVm, vms, async (_vm, index) => {
    expect(await api('POST', '/agent/v1/heartbeats', { headers: agentHeaders(index) }), 204, 'heartbeat');
  });
  await dynamo.close();

  // ---- from samples to per-key load at the fleet's rates
  const operations = Object.entries(samples).map(([name, { sample, population, perSecond }]) => {
    const perKey = new Map<string, { hits: number; units: Units }>();
    let calls = 0;
    const total: Units = { read: 0, write: 0 };
    for (const run of sample) {
      calls += run.length;
      const seen = new Set<string>();
      for (const call of run) {
        for (const [key, units] of call.keys) {
          const entry = perKey.get(key) ?? { hits: 0, units: { read: 0, write: 0 } };
          if (!seen.has(key)) entry.hits += 1;
          seen.add(key);
          entry.units.read += units.read;
          entry.units.write += units.write;
          total.read += units.read;
          total.write += units.write;
          perKey.set(key, entry);
        }
      }
    }
    const runs = sample.length;
    // Load per second on each key: shared keys take the whole rate, an entity's own key its share of it.
    const load = [...perKey].map(([key, { hits, units }]) => {
      const perRun = { read: units.read / hits, write: units.write / hits };
      const rateAtKey = hits === 1 && runs > 1 ? perSecond / population : (perSecond * hits) / runs;
      return { key, shared: hits === runs, read: perRun.read * rateAtKey, write: perRun.write * rateAtKey };
    });
    return {
      name,
      perSecond: round(perSecond, 2),
      callsPerOperation: round(calls / runs, 2),
      readUnitsPerOperation: round(total.read / runs, 2),
      writeUnitsPerOperation: round(total.write / runs, 2),
      load,
    };
  });

  const byKey = new Map<string, { read: number; write: number; from: Set<string> }>();
  const attack = 'failed login (attack)';
  const accumulate = (includeAttack: boolean) => {
    byKey.clear();
    for (const operation of operations) {
      if (!includeAttack && operation.name === attack) continue;
      for (const { key, read, write } of operation.load) {
        const entry = byKey.get(key) ?? { read: 0, write: 0, from: new Set<string>() };
        entry.read += read;
        entry.write += write;
        entry.from.add(operation.name);
        byKey.set(key, entry);
      }
    }
    const entries = [...byKey].map(([key, value]) => ({ key: generalise(key), read: value.read, write: value.write, from: [...value.from] }));
    const busiest = (field: 'read' | 'write') => {
      const top = [...entries].sort((a, b) => b[field] - a[field])[0]!;
      return {
        key: top.key,
        unitsPerSecond: round(top[field], 1),
        shareOfPartitionLimit: round(top[field] / PARTITION_LIMITS[field], 4),
        from: top.from,
      };
    };
    return { reads: busiest('read'), writes: busiest('write') };
  };
  const result = {
    tree,
    measuredAt: new Date().toISOString(),
    fleet: FLEET,
    mix: MIX,
    seedSeconds,
    findByNameMs: findMs,
    operations: operations.map(({ load: _load, ...rest }) => rest),
    busiest: accumulate(false),
    busiestUnderAttack: accumulate(true),
  };
  const text = JSON.stringify(result, null, 2);
  if (outFile) writeFileSync(outFile, `${text}\n`);
  else console.log(text);
}

/** A key as the README shows it: the tenant and entity parts named, not numbered. */
const generalise = (key: string) =>
  key
    .replace(new RegExp(`\\b${TENANT}\\b`, 'g'), '<t>')
    .replace(/vm-\d+/g, '<moId>')
    .replace(/u\d+@<t>/g, '<user>')
    .replace(/srv-\d+/g, '<name>')
    .replace(/#[A-Za-z0-9_-]{16,}/g, '#<hash>');

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
