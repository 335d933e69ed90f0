/**
 * The real deployment artefacts: `serverless package` must produce CloudFormation that AWS would accept
 * for this design (no AWS account is reachable here, so we assert on the template), and
 * `serverless offline` must serve the bundled functions over real HTTP against the local DynamoDB.
 * Both share the .esbuild work folder, so they run in this one file, one after the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { testEnvironment } from './support/environment.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const serverlessBin = `${root}node_modules/serverless/bin/serverless.js`;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [serverlessBin, ...args], { cwd: root, env: { ...process.env, ...env } });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('exit', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** Every function declared across serverless.yml's function files. */
function declaredFunctions(): Record<string, any> {
  const serverless = parse(readFileSync(`${root}serverless.yml`, 'utf8'));
  return Object.assign(
    {},
    ...serverless.functions.map((entry: string) => parse(readFileSync(`${root}${/\$\{file\(\.\/(.+)\)\}/.exec(entry)![1]}`, 'utf8'))),
  );
}

const logicalName = (functionName: string) => functionName[0]!.toUpperCase() + functionName.slice(1);

describe('serverless package (deployability)', () => {
  let template: any;
  let artefacts: string[];
  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'console-broker-package-'));
    const { code, output } = await run(['package', '--stage', 'ci', '--package', out]);
    expect(code, output).toBe(0);
    template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    artefacts = readdirSync(out);
  }, 300_000);

  it('declares the table with its keys, index and TTL on expiresAt', () => {
    const table = template.Resources.ConsoleBrokerTable;
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'gsi1',
        KeySchema: [
          { AttributeName: 'gsi1pk', KeyType: 'HASH' },
          { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.TableName).toBe('console-broker-ci');
  });

  it('bundles every function separately, on nodejs20.x, behind an HTTP API route', () => {
    const functions = declaredFunctions();
    const routes = Object.values(template.Resources)
      .filter((resource: any) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((resource: any) => resource.Properties.RouteKey);
    for (const [name, definition] of Object.entries(functions)) {
      const lambda = template.Resources[`${logicalName(name)}LambdaFunction`];
      expect(lambda, name).toBeDefined();
      expect(lambda.Properties.Runtime).toBe('nodejs20.x');
      expect(lambda.Properties.Environment.Variables.TABLE_NAME).toBe('console-broker-ci');
      expect(artefacts).toContain(`${name}.zip`);
      for (const event of definition.events) {
        expect(routes).toContain(`${event.httpApi.method} ${event.httpApi.path}`);
      }
    }
  });

  it('gives each function its own role with only the DynamoDB actions it uses, on this table only', () => {
    const functions = declaredFunctions();
    const dynamoStatements = (name: string) => {
      const lambda = template.Resources[`${logicalName(name)}LambdaFunction`];
      const roleName = lambda.Properties.Role['Fn::GetAtt'][0];
      const role = template.Resources[roleName];
      expect(roleName, `${name} must not share the default role`).not.toBe('IamRoleLambdaExecution');
      return role.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement).filter((statement: any) =>
        [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')),
      );
    };
    for (const name of Object.keys(functions)) {
      for (const statement of dynamoStatements(name)) {
        expect([statement.Action].flat().every((action: string) => !action.includes('*')), name).toBe(true);
        expect(JSON.stringify(statement.Resource), name).toContain('ConsoleBrokerTable');
      }
    }
    const actions = (name: string) => dynamoStatements(name).flatMap((statement: any) => [statement.Action].flat()).sort();
    expect(actions('health')).toEqual([]);
    expect(actions('vcenterCreateSession')).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actions('vcenterDeleteSession')).toEqual(['dynamodb:DeleteItem']);
    expect(actions('consoleProxyRedeemTicket')).toEqual(['dynamodb:DeleteItem']);
    expect(actions('operatorGetVm')).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    // Replacing or deleting a user ends its sessions: a partition query and batched deletes.
    expect(actions('operatorPutUser')).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(actions('operatorDeleteUser')).toEqual(expect.arrayContaining(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:Query']));
  });

  it('throttles every password-login route on the HTTP API stage, after the routes exist', () => {
    const functions = declaredFunctions();
    const stage = template.Resources.HttpApiStage;
    const routeIds = Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, resource]: [string, any]) => resource.Type === 'AWS::ApiGatewayV2::Route')
        .map(([id, resource]: [string, any]) => [resource.Properties.RouteKey, id]),
    );
    const logins = ['vcenterCreateSession', 'vcenterCreateSessionRest', 'vim25Login', 'keystoneCreateToken'].map((name) => {
      const { method, path } = functions[name].events[0].httpApi;
      return `${method} ${path}`;
    });
    const defaults = { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 };
    expect(stage.Properties.RouteSettings).toEqual(Object.fromEntries(logins.map((route) => [route, defaults])));
    expect(stage.Properties.StageName).toBe('$default');
    // A route setting for a route not yet created fails the deployment.
    expect([...stage.DependsOn].sort()).toEqual(logins.map((route) => routeIds[route]).sort());
  });

  it('takes the login throttling of a deployment from its environment', async () => {
    const out = mkdtempSync(join(tmpdir(), 'console-broker-package-'));
    const { code, output } = await run(['package', '--stage', 'ci', '--package', out], {
      LOGIN_THROTTLE_RATE_LIMIT: '5',
      LOGIN_THROTTLE_BURST_LIMIT: '8',
    });
    expect(code, output).toBe(0);
    const stage = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')).Resources.HttpApiStage;
    // The environment gives strings; CloudFormation reads a numeric string as the number.
    expect(stage.Properties.RouteSettings['POST /api/session']).toEqual({ ThrottlingRateLimit: '5', ThrottlingBurstLimit: '8' });
  }, 300_000);
});

describe('serverless offline (real HTTP)', () => {
  let offline: ChildProcess | undefined;
  const port = 3300 + Math.floor(Math.random() * 500);
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    offline = spawn(process.execPath, [serverlessBin, 'offline', 'start', '--stage', 'test'], {
      cwd: root,
      env: { ...process.env, ...testEnvironment(inject('dynamoEndpoint')), HTTP_PORT: String(port), LAMBDA_PORT: String(port + 1) },
      stdio: 'ignore',
    });
    for (let attempt = 0; attempt < 240; attempt += 1) {
      if (await fetch(`${base}/health`).then((response) => response.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('serverless offline did not start');
  }, 180_000);

  afterAll(() => {
    offline?.kill('SIGTERM');
  });

  it('logs in, reads the session and logs out over HTTP', async () => {
    const authorization = `Basic ${Buffer.from('admin@acme:acme-admin-pass').toString('base64')}`;
    const login = await fetch(`${base}/api/session`, { method: 'POST', headers: { authorization } });
    expect(login.status).toBe(201);
    const sessionId = (await login.json()) as string;
    const info = await fetch(`${base}/api/session`, { headers: { 'vmware-api-session-id': sessionId } });
    expect(info.status).toBe(200);
    expect(await info.json()).toEqual({ user: 'admin@acme', created_time: expect.any(String), last_accessed_time: expect.any(String) });
    const logout = await fetch(`${base}/api/session`, { method: 'DELETE', headers: { 'vmware-api-session-id': sessionId } });
    expect(logout.status).toBe(204);
  });

  it('issues a ticket in each dialect through the bundled functions, and redeems each exactly once', async () => {
    const authorization = `Basic ${Buffer.from('admin@acme:acme-admin-pass').toString('base64')}`;
    const sessionId = (await (await fetch(`${base}/api/session`, { method: 'POST', headers: { authorization } })).json()) as string;
    const post = (path: string, headers: Record<string, string>, body?: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    const vcenter = await post('/api/vcenter/vm/vm-101/console/tickets', { 'vmware-api-session-id': sessionId }, { type: 'WEBMKS' });
    expect(vcenter.status).toBe(201);
    const vcenterTicket = /\/ticket\/(.+)$/.exec(((await vcenter.json()) as { ticket: string }).ticket)![1]!;

    const vim = await post('/sdk/vim25/8.0.3.0/VirtualMachine/vm-101/AcquireTicket', { 'vmware-api-session-id': sessionId }, { ticketType: 'webmks' });
    expect(vim.status).toBe(200);
    const vimTicket = ((await vim.json()) as { ticket: string }).ticket;

    const nova = await post(
      '/compute/v2.1/servers/4f1d2c3b-0a9e-4c1a-9b7e-5d2a1e0f9101/remote-consoles',
      { 'x-auth-token': sessionId, 'openstack-api-version': 'compute 2.6' },
      { remote_console: { protocol: 'vnc', type: 'novnc' } },
    );
    expect(nova.status).toBe(200);
    const novaToken = /token%3D(.+)$/.exec(((await nova.json()) as { remote_console: { url: string } }).remote_console.url)![1]!;

    for (const ticket of [vcenterTicket, vimTicket, novaToken]) {
      const redeem = () => post('/console-proxy/v1/redemptions', { authorization: 'Bearer demo-console-proxy-key' }, { ticket });
      expect((await redeem()).status).toBe(200);
      expect((await redeem()).status).toBe(404);
    }
  });

  it('answers bad input in the dialect shape, never a 500', async () => {
    const response = await fetch(`${base}/operator/v1/tenants/acme/vms/vm-1`, {
      method: 'PUT',
      headers: { authorization: 'Bearer demo-operator-key', 'content-type': 'application/json' },
      body: '{"not json',
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error_type: 'INVALID_ARGUMENT',
      messages: [{ args: [], default_message: 'The request body is not valid JSON.', id: 'com.vmware.vapi.std.errors.invalid_argument' }],
    });
  });
});
