/**
 * The real deployment artefacts: `serverless package` must produce CloudFormation that AWS would accept
 * for this design (no AWS account is reachable here, so we assert on the template), and
 * `serverless offline` must serve the bundled functions over real HTTP against the local DynamoDB.
 * Both share the .esbuild work folder, so they run in this one file, one after the other.
 */
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../../scripts/local-dynamodb.js';
import { startLocalApi, type LocalApi } from '../../scripts/local-api.js';
import { testEnvironment } from '../support/environment.js';
import { readTemplates, roleOf, type Packaged } from '../support/packaged.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
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
  /** Every stack's resources as one template (root and nested stacks: logical ids are unique across them). */
  let template: any;
  let packaged: Packaged;
  let artefacts: string[];
  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'console-broker-package-'));
    const { code, output } = await run(['package', '--stage', 'ci', '--package', out]);
    expect(code, output).toBe(0);
    packaged = { code, output, dir: out, ...readTemplates(out) };
    template = { Resources: packaged.resources };
    artefacts = readdirSync(out);
  }, 1_200_000);

  it('declares the table with its keys, indexes and TTL on expiresAt', () => {
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
      {
        IndexName: 'gsi2',
        KeySchema: [
          { AttributeName: 'gsi2pk', KeyType: 'HASH' },
          { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    expect(table.Properties.TableName).toBe('console-broker-ci');
  });

  it('bundles every function separately, on nodejs24.x, behind an HTTP API or WebSocket API route', () => {
    const functions = declaredFunctions();
    const routes = Object.values(template.Resources)
      .filter((resource: any) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((resource: any) => resource.Properties.RouteKey);
    for (const [name, definition] of Object.entries(functions)) {
      const lambda = template.Resources[`${logicalName(name)}LambdaFunction`];
      expect(lambda, name).toBeDefined();
      expect(lambda.Properties.Runtime).toBe('nodejs24.x');
      expect(lambda.Properties.Architectures).toEqual(['arm64']);
      expect(lambda.Properties.Environment.Variables.TABLE_NAME).toBe('console-broker-ci');
      expect(artefacts).toContain(`${name}.zip`);
      for (const event of definition.events ?? []) {
        if (event.websocket) expect(routes).toContain(event.websocket.route);
        else if (event.httpApi) expect(routes).toContain(`${event.httpApi.method} ${event.httpApi.path}`);
      }
    }
  });

  it("checks the agent credential before a WebSocket connection is accepted, and lets only the guest functions manage connections", () => {
    const connect = Object.values(template.Resources).find(
      (resource: any) => resource.Type === 'AWS::ApiGatewayV2::Route' && resource.Properties.RouteKey === '$connect',
    ) as any;
    expect(connect.Properties.AuthorizationType).toBe('CUSTOM');
    const authorizer = Object.values(template.Resources).find((resource: any) => resource.Type === 'AWS::ApiGatewayV2::Authorizer') as any;
    expect(authorizer.Properties).toMatchObject({ AuthorizerType: 'REQUEST', IdentitySource: ['route.request.header.Authorization'] });
    expect(template.Resources.WebsocketsApi.Properties.RouteSelectionExpression).toBe('$request.body.action');
    // Which connection methods each function may call: POST (PostToConnection) or DELETE (DeleteConnection),
    // on this stage's @connections of this stack's WebSocket API, never a wildcard.
    const manages = (name: string) => {
      const role = template.Resources[roleOf(packaged, `${logicalName(name)}LambdaFunction`)];
      return role.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement)
        .filter((statement: any) => [statement.Action].flat().includes('execute-api:ManageConnections'))
        .map((statement: any) => {
          expect(statement.Resource['Fn::Join'][1].slice(0, 2)).toEqual(['arn:', { Ref: 'AWS::Partition' }]);
          expect(statement.Resource['Fn::Join'][1]).toContainEqual({ Ref: 'WebsocketsApi' });
          return /^\/ci\/(POST|DELETE)\/@connections\/\*$/.exec(statement.Resource['Fn::Join'][1].at(-1))![1];
        });
    };
    const managers = Object.fromEntries(
      Object.keys(declaredFunctions())
        .map((name) => [name, manages(name)])
        .filter(([, methods]) => methods.length > 0),
    );
    expect(managers).toEqual({
      guestAgentConnect: ['DELETE'],
      operatorIssueAgentCredential: ['DELETE'],
      vcenterGuestProcess: ['POST'],
      vcenterGuestProcesses: ['POST'],
      // The SOAP GuestProcessManager announces work to the VM's agent as the REST guest processes do.
      vimSoap: ['POST'],
      // Ending open consoles pushes the order to every console proxy's channel (docs/sessions.md).
      operatorPutUser: ['POST'],
      operatorDeleteUser: ['POST'],
      operatorPutVm: ['POST'],
      operatorDeleteVm: ['POST'],
      operatorDeleteTenant: ['POST'],
      operatorListTenantConsoleSessions: ['POST'],
      operatorListVmConsoleSessions: ['POST'],
      operatorListUserConsoleSessions: ['POST'],
      operatorEndConsoleSession: ['POST'],
      operatorEndVmConsoleSessions: ['POST'],
      operatorEndUserConsoleSessions: ['POST'],
      vim25QueryConnections: ['POST'],
      vim25DropConnections: ['POST'],
      // A shadow's open and end push the watch order; a watched console's end report ends its shadows (docs/shadowing.md).
      consoleProxyRedeemTicket: ['POST'],
      consoleProxyRecordSession: ['POST'],
    });
    expect(JSON.stringify(Object.values(packaged.resources).filter((resource: any) => resource.Type === 'AWS::IAM::Role'))).not.toMatch(/@connections\/\*"[^}]*\*\/\*|execute-api:\*/);
  });

  it('gives each function the role of its statement set, with only the DynamoDB actions it uses, on this table only', () => {
    const functions = declaredFunctions();
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined();
    const dynamoStatements = (name: string) => {
      const roleName = roleOf(packaged, `${logicalName(name)}LambdaFunction`);
      const role = template.Resources[roleName];
      expect(roleName, `${name} must not share the default role`).not.toBe('IamRoleLambdaExecution');
      return role.Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement).filter((statement: any) =>
        [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')),
      );
    };
    for (const name of Object.keys(functions)) {
      for (const statement of dynamoStatements(name)) {
        expect([statement.Action].flat().every((action: string) => !action.includes('*')), name).toBe(true);
        expect(JSON.stringify(statement.Resource), name).toContain(':table/console-broker-ci');
      }
    }
    const actions = (name: string) => [...new Set<string>(dynamoStatements(name).flatMap((statement: any) => [statement.Action].flat()))].sort();
    expect(actions('health')).toEqual([]);
    expect(actions('vcenterCreateSession')).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(actions('vcenterDeleteSession')).toEqual(['dynamodb:DeleteItem']);
    // Redemption reads the tenant's deletion mark beside its one conditional DeleteItem, then puts the console
    // in the registry of open consoles (a recorded one with its manifest and audit entry: BatchWriteItem); a
    // shadow ticket also reads the watched console's VM partition, marks it, and writes its audit entry in a
    // batch (docs/shadowing.md).
    expect(actions('consoleProxyRedeemTicket')).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect(actions('operatorGetVm')).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    // The audit trail: the tenant, then two Queries of the day's audit partition (docs/operator-api.md).
    expect(actions('operatorGetAuditTrail')).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    // Replacing or deleting a user ends its sessions (a partition query and batched deletes) and its open consoles.
    expect(actions('operatorPutUser')).toEqual(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
    expect(actions('operatorDeleteUser')).toEqual(expect.arrayContaining(['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:Query']));
  });

  it('runs the tenant deletion job with no route: the DELETE and the sweeper invoke the drain, the drain only itself', () => {
    const functions = declaredFunctions();
    expect(functions.operatorDrainTenant.events).toBeUndefined();
    const drain = template.Resources.OperatorDrainTenantLambdaFunction.Properties;
    expect(drain.FunctionName).toBe('console-broker-ci-operatorDrainTenant');
    expect(drain.Timeout).toBe(300);
    const rules = Object.values(template.Resources).filter((resource: any) => resource.Type === 'AWS::Events::Rule') as any[];
    expect(rules.map((rule) => [rule.Properties.ScheduleExpression, rule.Properties.Targets[0].Arn])).toEqual([
      ['rate(5 minutes)', { 'Fn::GetAtt': ['OperatorSweepDeletingTenantsLambdaFunction', 'Arn'] }],
    ]);
    const drainArn = {
      'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'lambda', { Ref: 'AWS::Region' }, { Ref: 'AWS::AccountId' }, 'function', drain.FunctionName]],
    };
    const statementsOf = (name: string) =>
      template.Resources[roleOf(packaged, `${logicalName(name)}LambdaFunction`)].Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
    const byAction = (name: string) =>
      Object.fromEntries(
        statementsOf(name)
          .filter((statement: any) => !/^(logs|xray):/.test(String([statement.Action].flat()[0])))
          .flatMap((statement: any) => [statement.Action].flat().map((action: string) => [action, statement.Resource])),
      );
    const arn = (resource: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':dynamodb:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, resource]],
    });
    const table = arn(':table/console-broker-ci');
    const index = arn(':table/console-broker-ci/index/*');
    // The DELETE marks the tenant, ends its open consoles (the registry's index, an order pushed to every proxy)
    // and starts the drain.
    expect(byAction('operatorDeleteTenant')).toEqual({
      'dynamodb:UpdateItem': table,
      'dynamodb:Query': [table, index],
      'dynamodb:BatchWriteItem': [table, index],
      'dynamodb:DeleteItem': [table, index],
      'execute-api:ManageConnections': expect.anything(),
      'lambda:InvokeFunction': drainArn,
    });
    expect(byAction('operatorSweepDeletingTenants')).toEqual({ 'dynamodb:Query': index, 'lambda:InvokeFunction': drainArn });
    expect(byAction('operatorDrainTenant')).toEqual({
      'dynamodb:GetItem': table,
      'dynamodb:UpdateItem': table,
      'dynamodb:Query': [table, index],
      'dynamodb:DeleteItem': table,
      'dynamodb:BatchWriteItem': table,
      'lambda:InvokeFunction': drainArn,
      'sqs:SendMessage': { 'Fn::GetAtt': ['TenantDrainFailures', 'Arn'] },
    });
    for (const name of ['operatorDeleteTenant', 'operatorDrainTenant', 'operatorSweepDeletingTenants']) {
      expect(template.Resources[`${logicalName(name)}LambdaFunction`].Properties.Environment.Variables.TENANT_DRAIN_FUNCTION, name).toBe(drain.FunctionName);
    }
  });

  it('throttles every password-login route on the HTTP API stage, after the routes exist', () => {
    const functions = declaredFunctions();
    const stage = template.Resources.HttpApiStage;
    const routeIds = Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, resource]: [string, any]) => resource.Type === 'AWS::ApiGatewayV2::Route')
        .map(([id, resource]: [string, any]) => [resource.Properties.RouteKey, id]),
    );
    const logins = ['vcenterCreateSession', 'vim25Login', 'keystoneCreateToken'].flatMap((name) =>
      functions[name].events.map(({ httpApi: { method, path } }: { httpApi: { method: string; path: string } }) => `${method} ${path}`),
    );
    const defaults = { ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 };
    expect(stage.Properties.RouteSettings).toEqual(Object.fromEntries(logins.map((route) => [route, defaults])));
    expect(stage.Properties.StageName).toBe('$default');
    // A route setting for a route not yet created fails the deployment: the stage waits for the nested stacks
    // that hold the login routes.
    const stackOfRoute = (id: string) => Object.keys(packaged.nested).find((stackId) => id in packaged.nested[stackId].Resources);
    const loginStacks = [...new Set(logins.map((route) => stackOfRoute(routeIds[route])))];
    expect(loginStacks.sort()).toEqual(['KeystoneEndpoints', 'VcenterEndpoints', 'Vim25Endpoints']);
    expect(stage.DependsOn).toEqual(expect.arrayContaining(loginStacks));
  });

  it('keeps every stack within half of every CloudFormation limit, with every endpoint', () => {
    const stacks = { root: packaged.root, ...packaged.nested };
    for (const [id, stack] of Object.entries<any>(stacks)) {
      expect(Object.keys(stack.Resources).length, id).toBeLessThanOrEqual(250);
      expect(Object.keys(stack.Outputs ?? {}).length, id).toBeLessThanOrEqual(100);
      expect(Object.keys(stack.Parameters ?? {}).length, id).toBeLessThanOrEqual(100);
      expect(packaged.bytes[id], id).toBeLessThanOrEqual(512 * 1024);
    }
    // Every function is in exactly one stack; the HTTP-only ones in their dialect's nested stack.
    for (const name of Object.keys(declaredFunctions())) {
      const holders = Object.entries<any>(stacks).filter(([, stack]) => `${logicalName(name)}LambdaFunction` in stack.Resources);
      expect(holders.length, name).toBe(1);
    }
    expect(Object.keys(packaged.nested).sort()).toEqual(
      ['ConsoleProxy', 'GuestAgent', 'Keystone', 'Nova', 'Operator', 'Platform', 'Vcenter', 'Vim25', 'Vim25Soap'].map((dialect) => `${dialect}Endpoints`),
    );
    for (const id of Object.keys(packaged.nested)) {
      expect(packaged.root.Resources[id].Type).toBe('AWS::CloudFormation::Stack');
      expect(JSON.stringify(packaged.root.Resources[id].Properties.TemplateURL)).toContain(`cloudformation-template-nested-${id}.json`);
    }
  });

  it('keeps no function versions, one log group for every function, and no hard-coded partition', () => {
    const types = Object.values<any>(packaged.resources).map((resource) => resource.Type);
    expect(types).not.toContain('AWS::Lambda::Version');
    expect(types.filter((type) => type === 'AWS::Logs::LogGroup').length).toBe(3); // functions, HTTP API, WebSocket API
    for (const name of Object.keys(declaredFunctions())) {
      const lambda = template.Resources[`${logicalName(name)}LambdaFunction`].Properties;
      expect(JSON.stringify(lambda.LoggingConfig.LogGroup), name).toMatch(/"Ref":"FunctionLogGroup"/);
      expect(lambda.TracingConfig, name).toEqual({ Mode: 'Active' });
    }
    expect(template.Resources.FunctionLogGroup.Properties).toEqual({ LogGroupName: '/aws/lambda/console-broker-ci', RetentionInDays: 30 });
    for (const stack of [packaged.root, ...Object.values(packaged.nested)]) expect(JSON.stringify(stack)).not.toMatch(/arn:aws[:-]/);
  });

  it('protects the table: deletion protection, and Retain on delete and on replace', () => {
    const table = template.Resources.ConsoleBrokerTable;
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    expect(table.Properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
  });

  it('sends a drain run that fails after its retries to a queue, and alarms on its depth', () => {
    expect(template.Resources.TenantDrainInvokeConfig.Properties).toEqual({
      FunctionName: { Ref: 'OperatorDrainTenantLambdaFunction' },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': ['TenantDrainFailures', 'Arn'] } } },
    });
    expect(template.Resources.TenantDrainFailures.Type).toBe('AWS::SQS::Queue');
    expect(template.Resources.TenantDrainDlqAlarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['TenantDrainFailures', 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it('alarms on the 5xx rate, throttles, drain failures and the drain queue, and draws a dashboard', () => {
    const alarms = Object.entries<any>(packaged.root.Resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([id]) => id).sort()).toEqual(
      ['AgentSocketErrorsAlarm', 'HttpApi5xxRateAlarm', 'LambdaThrottlesAlarm', 'TableThrottlesAlarm', 'TenantDrainDlqAlarm', 'TenantDrainFailuresAlarm'],
    );
    for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([{ 'Fn::If': ['OwnAlarmTopic', { Ref: 'AlarmTopic' }, ''] }]);
    const rate = template.Resources.HttpApi5xxRateAlarm.Properties.Metrics;
    expect(rate.map((metric: any) => metric.MetricStat?.Metric.MetricName ?? metric.Expression)).toEqual(['IF(requests >= 20, 100 * errors / requests, 0)', '5xx', 'Count']);
    expect(JSON.stringify(template.Resources.TenantDrainFailuresAlarm.Properties.Metrics)).toContain('"MetricName":"TenantDrainFailures"');
    const body = template.Resources.Dashboard.Properties.DashboardBody['Fn::Join'][1];
    const text = body.filter((part: unknown) => typeof part === 'string').join('');
    for (const metric of ['TicketsIssued', 'TicketsRedeemed', 'TicketsRefused', 'ProxyRedemptions', 'LoginsFailed', 'LoginsLocked', 'GuestOperations', 'GuestOperationLatency', 'AgentConnects', 'AgentDisconnects', 'AgentsLive', 'TenantDrainRuns', 'TenantDrainItemsDeleted', 'TenantDrainFailures']) {
      expect(text, metric).toContain(metric);
    }
    expect(body).toContainEqual({ Ref: 'HttpApi' });
  });

  it('writes access logs of both APIs with route templates only: no path, query, header or authorizer value', () => {
    const http = template.Resources.HttpApiStage.Properties;
    const socket = template.Resources.WebsocketsDeploymentStage.Properties;
    expect(http.DefaultRouteSettings.DetailedMetricsEnabled).toBe(true);
    expect(socket.DefaultRouteSettings).toEqual({ DataTraceEnabled: false, LoggingLevel: 'OFF', DetailedMetricsEnabled: true });
    for (const format of [http.AccessLogSettings.Format, socket.AccessLogSettings.Format]) {
      const fields = Object.values(JSON.parse(format)) as string[];
      expect(fields).toContain('$context.routeKey');
      expect(fields.filter((field) => /path|query|header|authorization|cookie|authorizer|identity\.user|caller/i.test(field))).toEqual([]);
    }
  });

  it('derives the agents\' WebSocket endpoints in the template: one deploy, no empty setting', () => {
    const expected = (scheme: string) => ({
      'Fn::Join': ['', [scheme, { Ref: 'WebsocketsApi' }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/ci']],
    });
    for (const name of Object.keys(declaredFunctions())) {
      const variables = template.Resources[`${logicalName(name)}LambdaFunction`].Properties.Environment.Variables;
      // In a nested stack the API's id arrives as its parameter, also named WebsocketsApi.
      expect(variables.AGENT_WEBSOCKET_URL, name).toEqual(expected('wss://'));
      expect(variables.AGENT_CONNECTIONS_ENDPOINT, name).toEqual(expected('https://'));
    }
    for (const id of Object.keys(packaged.nested)) {
      const parameters = packaged.root.Resources[id].Properties.Parameters;
      if ('WebsocketsApi' in parameters) expect(parameters.WebsocketsApi).toEqual({ Ref: 'WebsocketsApi' });
    }
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
  }, 1_200_000);
});

describe('serverless offline (real HTTP)', () => {
  let offline: ChildProcess | undefined;
  let output = '';
  const port = 3300 + Math.floor(Math.random() * 500);
  const base = `http://127.0.0.1:${port}`;

  beforeAll(async () => {
    offline = spawn(process.execPath, [serverlessBin, 'offline', 'start', '--stage', 'test'], {
      cwd: root,
      env: {
        ...process.env,
        ...testEnvironment(inject('dynamoEndpoint')),
        HTTP_PORT: String(port),
        LAMBDA_PORT: String(port + 1),
        WEBSOCKET_PORT: String(port + 2),
        LOG_LEVEL: 'INFO',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    offline.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    offline.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    for (let attempt = 0; attempt < 240; attempt += 1) {
      if (await fetch(`${base}/health`).then((response) => response.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('serverless offline did not start');
  }, 180_000);

  afterAll(async () => {
    // Waited for: the next block's serverless-offline builds into the same .esbuild folder.
    if (offline && offline.exitCode === null && offline.kill('SIGTERM')) await once(offline, 'exit');
  });

  it("runs the handlers on Node 24, as Lambda's nodejs24.x does", async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const coldStarts = output
      .split('\n')
      .filter((line) => line.includes('"cold start"'))
      .map((line) => JSON.parse(line.slice(line.indexOf('{'))) as { nodeVersion: string });
    expect(coldStarts.length).toBeGreaterThan(0);
    for (const { nodeVersion } of coldStarts) expect(nodeVersion).toMatch(/^24\./);
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

/** A request with exactly these headers (fetch will not send a Host of one's choosing). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, method, path, headers, setHost: !('host' in headers) }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe("npm start's local API: serverless offline behind its front door", () => {
  let api: LocalApi;
  let output = '';
  // A DynamoDB that takes connections and never answers, so a function can run out of its (short) time.
  const held = new Set<Socket>();
  const silentDynamo = createServer((socket) => held.add(socket));
  const session = `acme.${'S'.repeat(16)}.${'S'.repeat(43)}`;
  const token = `acme.${'T'.repeat(16)}.${'T'.repeat(43)}`;
  const vapiError = (type: string, message: string) => ({
    error_type: type.toUpperCase(),
    messages: [{ args: [], default_message: message, id: `com.vmware.vapi.std.errors.${type}` }],
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => silentDynamo.listen(0, '127.0.0.1', resolve));
    const dynamoEndpoint = `http://127.0.0.1:${(silentDynamo.address() as AddressInfo).port}`;
    api = await startLocalApi({
      port: 0,
      stage: 'test',
      stdio: 'pipe',
      env: {
        ...process.env,
        ...testEnvironment(dynamoEndpoint),
        LAMBDA_PORT: String(await freePort()),
        LAMBDA_TIMEOUT_SECONDS: '6',
        LOG_LEVEL: 'INFO',
      },
    });
    api.offline.stdout!.on('data', (chunk) => (output += chunk));
    api.offline.stderr!.on('data', (chunk) => (output += chunk));
    for (let attempt = 0; attempt < 240; attempt += 1) {
      if (await fetch(`${api.url}/health`).then((response) => response.ok, () => false)) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`serverless offline did not start:\n${output}`);
  }, 180_000);

  afterAll(async () => {
    if (api.offline.exitCode === null) {
      const exited = once(api.offline, 'exit');
      await api.close();
      await exited;
    }
    for (const socket of held) socket.destroy();
    silentDynamo.close();
  });

  it("answers a function that runs out of time with its dialect's timed_out, not a 200 with a stack trace", async () => {
    // Loaded first, so the 6 s are the request's own (serverless-offline's clock also counts the loading).
    expect((await fetch(`${api.url}/api/session`)).status).toBe(401);
    const response = await fetch(`${api.url}/api/session`, { headers: { 'vmware-api-session-id': session } });
    const text = await response.text();
    expect(response.status, text).toBe(504);
    expect(JSON.parse(text)).toEqual(vapiError('timed_out', 'The request did not complete in time.'));
  }, 60_000);

  it.each(['a b', '[', 'x/y', 'evil.example:80/', '<script>'])('refuses the Host header %j with a 400, not a 500', async (host) => {
    const response = await rawRequest(api.url, 'GET', '/api/session', { host });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.text)).toEqual(vapiError('invalid_argument', 'The Host header is not a host name.'));
  });

  it('does no CORS: no Origin is reflected and no preflight approved', async () => {
    const origin = { origin: 'https://evil.example' };
    const plain = await rawRequest(api.url, 'GET', '/health', origin);
    expect(plain.status).toBe(200);
    const preflight = await rawRequest(api.url, 'OPTIONS', '/api/session', {
      ...origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'vmware-api-session-id',
    });
    expect(preflight.status).toBe(404);
    for (const response of [plain, preflight]) {
      expect(Object.keys(response.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    }
  });

  it.each([
    ['GET', '/api/vcenter/host', vapiError('not_found', 'The resource could not be found.')],
    ['GET', '/rest/vcenter/host', { type: 'com.vmware.vapi.std.errors.not_found', value: { messages: vapiError('not_found', 'The resource could not be found.').messages } }],
    ['GET', '/compute/v2.1/flavors', { itemNotFound: { code: 404, message: 'The resource could not be found.' } }],
    ['GET', '/identity/v3/projects', { error: { code: 404, message: 'The resource could not be found.', title: 'Not Found' } }],
    ['POST', '/sdk/vim25/8.0.3.0/HostSystem/host-1/RebootHost_Task', ''],
    ['GET', '/nope', { message: 'Not Found' }],
    ['GET', '/', { message: 'Not Found' }],
  ])('answers %s %s with a 404 in its dialect, listing no routes', async (method, path, body) => {
    const response = await rawRequest(api.url, method, path);
    expect(response.status).toBe(404);
    expect(response.text === '' ? '' : JSON.parse(response.text)).toEqual(body);
  });

  it('logs no console token and no session id, only route templates', async () => {
    const response = await fetch(`${api.url}/compute/v2.1/os-console-auth-tokens/${token}`, {
      headers: { 'x-auth-token': 'demo-console-proxy-key', 'openstack-api-version': 'compute 2.31' },
    });
    expect(response.status).toBe(504); // the table never answers here
    expect(output).toContain('"route":"GET /compute/v2.1/os-console-auth-tokens/{console_token}"');
    expect(output).not.toContain(token.slice(5));
    expect(output).not.toContain(session.slice(5));
    expect(output).not.toMatch(/node_modules|\n\s+at\s/);
  }, 60_000);
});
