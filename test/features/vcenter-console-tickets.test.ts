import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, nowSeconds, resetClock } from '../../lib/core/clock.js';
import { sha256Hex } from '../../lib/protocol/secrets.js';
import { lookupTicket } from '../../lib/core/tickets.js';
import { CONSOLE_PRIVILEGE } from '../../lib/core/privileges.js';
import { countRoundTrips, resetClient } from '../support/store-instrumentation.js';
import { scanTable } from '../support/table.js';
import { api, CONSOLE_PROXY, loginVcenter, session, type ApiResponse } from '../support/api.js';
import { createLab, LAB_SHA1, LAB_SHA256 } from '../support/lab.js';

afterEach(() => resetClock());

const TICKET = '[a-z0-9][a-z0-9-]*\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{43}';
const VMRC = (server: string, moId: string) => new RegExp(`^vmrc://clone:(${TICKET})@${server.replace(/\./g, '\\.')}/\\?moid=${moId}$`);
const WEBMKS = (hostPort: string) => new RegExp(`^wss://${hostPort.replace(/[.[\]]/g, '\\$&')}/ticket/(${TICKET})$`);

/** The two URL forms vSphere clients use, with their request and response shapes. */
const FORMS = [
  {
    form: '/rest',
    url: (vm: string) => `/rest/vcenter/vm/${vm}/console/tickets`,
    request: (type: unknown) => ({ spec: { type } }),
    status: 200,
    success: (ticket: unknown) => ({ value: { ticket } }),
    uriOf: (response: ApiResponse) => response.body.value.ticket as string,
    typeField: 'spec.type',
    error: (type: string, message: unknown) => ({
      type: `com.vmware.vapi.std.errors.${type}`,
      value: { messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }] },
    }),
  },
  {
    form: '/api',
    url: (vm: string) => `/api/vcenter/vm/${vm}/console/tickets`,
    request: (type: unknown) => ({ type }),
    status: 201,
    success: (ticket: unknown) => ({ ticket }),
    uriOf: (response: ApiResponse) => response.body.ticket as string,
    typeField: 'type',
    error: (type: string, message: unknown) => ({
      error_type: type.toUpperCase(),
      messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }],
    }),
  },
] as const;
type Form = (typeof FORMS)[number];

const create = (form: Form, sessionId: string | undefined, vm: string, type: unknown) =>
  api('POST', form.url(vm), { headers: sessionId === undefined ? {} : session(sessionId), body: form.request(type) });

const ticketIn = (uri: string): string => /(?:clone:|\/ticket\/)([^@/]+)(?:@|$)/.exec(uri)![1]!;
const redeem = (ticket: string) => api('POST', '/console-proxy/v1/redemptions', { headers: CONSOLE_PROXY, body: { ticket } });

const SHA1 = LAB_SHA1;
const SHA256 = LAB_SHA256;

/** A tenant of our own for VMs in states the shared demo data must not be changed to. */
const lab = { tenant: '', sessionId: '' };
const LAB_VMS: Record<string, Record<string, unknown>> = {
  'vm-suspended': { powerState: 'suspended' },
  'vm-ipv6': { host: { address: 'fd00::5', port: 8443, sslThumbprintSha1: SHA1, sslThumbprintSha256: SHA256 } },
  'vm-disconnected': { connectionState: 'disconnected' },
  'vm-orphaned': { connectionState: 'orphaned' },
  'vm-inaccessible': { connectionState: 'inaccessible' },
  'vm-invalid': { connectionState: 'invalid', powerState: 'poweredOff' },
};

beforeAll(async () => {
  const created = await createLab('ct', 'Console ticket lab');
  lab.tenant = created.tenant;
  await created.putUser('admin', ['VirtualMachine.Interact.ConsoleInteract'], 'lab-admin-pass');
  for (const [moId, overrides] of Object.entries(LAB_VMS)) await created.putVm(moId, overrides);
  lab.sessionId = await loginVcenter(`admin@${lab.tenant}`, 'lab-admin-pass');
});

describe.each(FORMS.map((form) => [form.form, form] as const))('POST %s/vcenter/vm/{vm}/console/tickets', (_form, form) => {
  let admin: string;
  beforeAll(async () => {
    admin = await loginVcenter();
  });

  describe('success', () => {
    it(`answers ${form.status} with a VMRC URI naming the vCenter server for a powered-on VM`, async () => {
      const response = await create(form, admin, 'vm-101', 'VMRC');
      expect(response.status).toBe(form.status);
      expect(response.body).toEqual(form.success(expect.stringMatching(VMRC('vcenter.acme.test', 'vm-101'))));
    });

    it('issues a VMRC ticket for a powered-off VM', async () => {
      const response = await create(form, admin, 'vm-102', 'VMRC');
      expect(response.status).toBe(form.status);
      expect(response.body).toEqual(form.success(expect.stringMatching(VMRC('vcenter.acme.test', 'vm-102'))));
    });

    it('names the configured vCenter server in VMRC URIs', async () => {
      const previous = process.env.VCENTER_SERVER_NAME;
      process.env.VCENTER_SERVER_NAME = 'vc.example.org';
      try {
        const response = await create(form, admin, 'vm-103', 'VMRC');
        expect(response.body).toEqual(form.success(expect.stringMatching(VMRC('vc.example.org', 'vm-103'))));
      } finally {
        if (previous === undefined) delete process.env.VCENTER_SERVER_NAME;
        else process.env.VCENTER_SERVER_NAME = previous;
      }
    });

    it(`answers ${form.status} with a WEBMKS URI naming the ESX host for a powered-on VM`, async () => {
      const response = await create(form, admin, 'vm-101', 'WEBMKS');
      expect(response.status).toBe(form.status);
      // The demo's ESX host is the local console proxy (scripts/demo-data.ts).
      expect(response.body).toEqual(form.success(expect.stringMatching(WEBMKS('127.0.0.1:6080'))));
    });

    it('brackets an IPv6 ESX host address in the WEBMKS URI', async () => {
      const response = await create(form, lab.sessionId, 'vm-ipv6', 'WEBMKS');
      expect(response.status).toBe(form.status);
      expect(response.body).toEqual(form.success(expect.stringMatching(WEBMKS('[fd00::5]:8443'))));
    });

    it('stores a one-time ticket that expires in 30 minutes, by hash only', async () => {
      const issuedAt = nowSeconds();
      const uri = form.uriOf(await create(form, admin, 'vm-101', 'WEBMKS'));
      const ticket = ticketIn(uri);
      expect(await lookupTicket(ticket, CONSOLE_PRIVILEGE)).toEqual({
        tenantId: 'acme',
        ticketHash: sha256Hex(ticket.split('.').at(-1)!),
        vmMoId: 'vm-101',
        instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101',
        consoleType: 'WEBMKS',
        issuedTo: 'admin@acme',
        grants: 'VirtualMachine.Interact.ConsoleInteract',
        vnc: { host: '127.0.0.1', port: 5901 },
        sessionLimits: { idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400 },
        issuedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        expiresAt: expect.any(Number),
      });
      const { expiresAt } = await lookupTicket(ticket, CONSOLE_PRIVILEGE);
      expect(expiresAt - issuedAt).toBeGreaterThanOrEqual(1800);
      expect(expiresAt - issuedAt).toBeLessThanOrEqual(1801);
      const Items = await scanTable();
      expect(JSON.stringify(Items)).not.toContain(ticket.split('.').at(-1)!);
    });

    it('issues a different ticket every time', async () => {
      const first = form.uriOf(await create(form, admin, 'vm-101', 'VMRC'));
      const second = form.uriOf(await create(form, admin, 'vm-101', 'VMRC'));
      expect(first).not.toBe(second);
    });

    it('costs three DynamoDB round trips: session, tenant and VM in one BatchGetItem, the VM\'s open consoles counted, then one BatchWriteItem', async () => {
      await create(form, admin, 'vm-101', 'WEBMKS'); // warm: module load and connection
      const { result: response, roundTrips } = await countRoundTrips(() => create(form, admin, 'vm-101', 'WEBMKS'));
      expect(response.status).toBe(form.status);
      expect(roundTrips).toBe(3);
    });
  });

  describe('errors', () => {
    it.each([
      ['an unsupported type', 'MKS'],
      ['a type in the wrong case', 'webmks'],
      ['a missing type', undefined],
      ['a type that is not a string', 7],
    ])('refuses %s with 400 invalid_argument', async (_case, type) => {
      const response = await create(form, admin, 'vm-101', type);
      expect(response.status).toBe(400);
      expect(response.body).toEqual(
        form.error('invalid_argument', `Invalid value for ${form.typeField}: expected one of VMRC, WEBMKS.`),
      );
    });

    it('refuses a missing body with 400 invalid_argument', async () => {
      const response = await api('POST', form.url('vm-101'), { headers: session(admin) });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(form.error('invalid_argument', 'Invalid value for the request body: Required.'));
    });

    it('refuses a body that is not JSON with 400 invalid_argument', async () => {
      const response = await api('POST', form.url('vm-101'), { headers: session(admin), body: '{"type":' });
      expect(response.status).toBe(400);
      expect(response.body).toEqual(form.error('invalid_argument', 'The request body is not valid JSON.'));
    });

    it.each([
      ['a powered-off VM', 'acme', 'vm-102', 'poweredOff'],
      ['a suspended VM', 'lab', 'vm-suspended', 'suspended'],
    ])('refuses WEBMKS for %s with 400 not_allowed_in_current_state', async (_case, tenant, vm, state) => {
      const response = await create(form, tenant === 'lab' ? lab.sessionId : admin, vm, 'WEBMKS');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(
        form.error(
          'not_allowed_in_current_state',
          `A WEBMKS console requires virtual machine ${vm} to be powered on; it is ${state}.`,
        ),
      );
    });

    it.each([
      ['an unknown VM', 'vm-999'],
      ["another tenant's VM", 'vm-201'],
      ['a VM id that cannot be one', 'vm%20101'],
    ])('refuses %s with the same 404 not_found', async (_case, vm) => {
      for (const type of ['VMRC', 'WEBMKS']) {
        const response = await create(form, admin, vm, type);
        expect(response.status).toBe(404);
        expect(response.body).toEqual(form.error('not_found', `Virtual machine ${decodeURIComponent(vm)} was not found.`));
      }
    });

    it.each([
      ['no session', undefined, 'Authentication required.'],
      ['a malformed session id', 'not-a-session', 'Authentication required.'],
      ['a forged session id', `acme.${'A'.repeat(16)}.${'A'.repeat(43)}`, 'The session is missing, expired or ended.'],
      ['a session id of another tenant', `globex.${'B'.repeat(16)}.${'B'.repeat(43)}`, 'The session is missing, expired or ended.'],
      ['a session id of the format before the per-user layout', `acme.${'C'.repeat(43)}`, 'Authentication required.'],
    ])('refuses %s with 401 unauthenticated', async (_case, sessionId, message) => {
      const response = await create(form, sessionId, 'vm-101', 'VMRC');
      expect(response.status).toBe(401);
      expect(response.body).toEqual(form.error('unauthenticated', message));
    });

    it('refuses an ended session with 401 unauthenticated', async () => {
      const ended = await loginVcenter();
      expect((await api('DELETE', '/api/session', { headers: session(ended) })).status).toBe(204);
      const response = await create(form, ended, 'vm-101', 'VMRC');
      expect(response.status).toBe(401);
      expect(response.body).toEqual(form.error('unauthenticated', 'The session is missing, expired or ended.'));
    });

    it('refuses a session idle for 30 minutes with 401 unauthenticated', async () => {
      const idle = await loginVcenter();
      advanceClock(30 * 60 * 1000);
      const response = await create(form, idle, 'vm-101', 'VMRC');
      expect(response.status).toBe(401);
      expect(response.body).toEqual(form.error('unauthenticated', 'The session is missing, expired or ended.'));
    });

    it('refuses a principal without VirtualMachine.Interact.ConsoleInteract with 403 unauthorized', async () => {
      const viewer = await loginVcenter('viewer@acme', 'acme-viewer-pass');
      for (const type of ['VMRC', 'WEBMKS']) {
        const response = await create(form, viewer, 'vm-101', type);
        expect(response.status).toBe(403);
        expect(response.body).toEqual(
          form.error(
            'unauthorized',
            'Permission to perform this operation was denied: VirtualMachine.Interact.ConsoleInteract is required on vm-101.',
          ),
        );
      }
    });

    it.each(['vm-disconnected', 'vm-orphaned', 'vm-inaccessible', 'vm-invalid'])(
      'refuses %s with 500 resource_inaccessible and a generic message',
      async (vm) => {
        for (const type of ['VMRC', 'WEBMKS']) {
          const response = await create(form, lab.sessionId, vm, type);
          expect(response.status).toBe(500);
          expect(response.body).toEqual(
            form.error('resource_inaccessible', "The virtual machine's configuration or execution state cannot be accessed."),
          );
        }
      },
    );

    describe('when DynamoDB cannot serve the request', () => {
      const saved = { endpoint: process.env.DYNAMODB_ENDPOINT, attempts: process.env.DYNAMODB_MAX_ATTEMPTS };
      const pointStoreAt = (endpoint: string, attempts: string) => {
        process.env.DYNAMODB_ENDPOINT = endpoint;
        process.env.DYNAMODB_MAX_ATTEMPTS = attempts;
        resetClient();
      };
      afterEach(() => {
        process.env.DYNAMODB_ENDPOINT = saved.endpoint;
        if (saved.attempts === undefined) delete process.env.DYNAMODB_MAX_ATTEMPTS;
        else process.env.DYNAMODB_MAX_ATTEMPTS = saved.attempts;
        resetClient();
      });
      const unavailable = form.error(
        'service_unavailable',
        'The system is unable to communicate with a service to complete the request.',
      );

      it('answers 503 service_unavailable when the endpoint is unreachable', async () => {
        pointStoreAt(`http://127.0.0.1:${await closedPort()}`, '2');
        const response = await create(form, admin, 'vm-101', 'VMRC');
        expect(response.status).toBe(503);
        expect(response.body).toEqual(unavailable);
      });

      it('answers 503 service_unavailable when DynamoDB throttles beyond the SDK retries', async () => {
        const throttling = await throttlingDynamo();
        try {
          pointStoreAt(throttling.endpoint, '2');
          const response = await create(form, admin, 'vm-101', 'WEBMKS');
          expect(response.status).toBe(503);
          expect(response.body).toEqual(unavailable);
          expect(throttling.requests()).toBe(2); // the SDK retried once, then gave up
        } finally {
          await throttling.close();
        }
      });
    });
  });
});

describe('redeeming a vCenter console ticket at POST /console-proxy/v1/redemptions', () => {
  let admin: string;
  beforeAll(async () => {
    admin = await loginVcenter();
  });

  it.each(FORMS.flatMap((form) => (['VMRC', 'WEBMKS'] as const).map((type) => [form.form, type, form] as const)))(
    'redeems a %s %s ticket taken from its URI exactly once',
    async (_form, type, form) => {
      const ticket = ticketIn(form.uriOf(await create(form, admin, 'vm-103', type)));
      const first = await redeem(ticket);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        tenantId: 'acme',
        vmMoId: 'vm-103',
        instanceUuid: '4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9103',
        consoleType: type,
        issuedTo: 'admin@acme',
        issuedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        vnc: { host: '127.0.0.1', port: 5903 },
        session: { sessionId: expect.any(String), idleTimeoutSeconds: 1200, maxDurationSeconds: 86_400, heartbeatSeconds: 60 },
      });
      const second = await redeem(ticket);
      expect(second.status).toBe(404);
      expect(second.body).toEqual({
        error_type: 'NOT_FOUND',
        messages: [{ args: [], default_message: 'The console ticket is not valid.', id: 'com.vmware.vapi.std.errors.not_found' }],
      });
    },
  );

  it('still redeems a ticket just before its 30 minutes are up', async () => {
    const ticket = ticketIn(FORMS[1].uriOf(await create(FORMS[1], admin, 'vm-101', 'WEBMKS')));
    advanceClock((30 * 60 - 2) * 1000);
    expect((await redeem(ticket)).status).toBe(200);
  });

  it('refuses a ticket after 30 minutes although DynamoDB has not swept the item yet', async () => {
    const ticket = ticketIn(FORMS[0].uriOf(await create(FORMS[0], admin, 'vm-102', 'VMRC')));
    advanceClock(30 * 60 * 1000 + 1000);
    const response = await redeem(ticket);
    expect(response.status).toBe(404);
    expect(response.body.messages[0].default_message).toBe('The console ticket is not valid.');
    // The item is still in the table: only the expiry check refused it.
    const items = await scanTable({ FilterExpression: 'ticketHash = :hash', ExpressionAttributeValues: { ':hash': sha256Hex(ticket.split('.').at(-1)!) } });
    expect(items).toHaveLength(1);
  });

  it('lets exactly one of 200 concurrent redemptions of one ticket win', async () => {
    const ticket = ticketIn(FORMS[1].uriOf(await create(FORMS[1], admin, 'vm-101', 'WEBMKS')));
    const responses = await Promise.all(Array.from({ length: 200 }, () => redeem(ticket)));
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(199);
    expect(responses.find((response) => response.status === 200)!.body.vmMoId).toBe('vm-101');
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A DynamoDB endpoint that answers every request with ThrottlingException, as DynamoDB does under overload. */
async function throttlingDynamo(): Promise<{ endpoint: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server: Server = createServer((request, response) => {
    requests += 1;
    request.resume();
    request.on('end', () => {
      response.writeHead(400, {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-errortype': 'ThrottlingException',
      });
      response.end(JSON.stringify({ __type: 'com.amazon.coral.availability#ThrottlingException', message: 'Rate exceeded' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
