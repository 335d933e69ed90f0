'use strict';
/**
 * The production layout of serverless.yml's stack (docs/deployment.md says why each step):
 * - a real stage refuses to package without its own settings (console proxy URL, key digests);
 * - one IAM role per statement set of `custom.iam` (functions with the same set share it: the same
 *   privileges), named by CloudFormation, so no stage or region makes a role name too long;
 * - one log group for every function (Lambda's LoggingConfig), not one each;
 * - the agents' WebSocket endpoints derived in the template when the environment does not name them;
 * - every function whose only events are HTTP API routes moves, with its permission, integration and routes,
 *   into a nested stack per dialect (its folder under functions/), so every stack stays under half of
 *   CloudFormation's limits; the nested templates are written beside the root one and uploaded on deploy.
 * serverless-offline runs none of this (it never packages).
 */
const { mkdirSync, readFileSync, writeFileSync, readdirSync } = require('node:fs');
const { createHash } = require('node:crypto');
const { isDeepStrictEqual } = require('node:util');
const path = require('node:path');

/** Half of CloudFormation's per-template limits: what packaging refuses to exceed. */
const LIMITS = { resources: 250, outputs: 100, parameters: 100, bytes: 512 * 1024 };
/** Resources per nested stack before another one of the same dialect is started (room for its parameters). */
const NESTED_TARGET = 200;
const NESTED_PREFIX = 'cloudformation-template-nested-';

const capitalized = (name) => name[0].toUpperCase() + name.slice(1);
const pascal = (name) => name.split(/[^A-Za-z0-9]+/).filter(Boolean).map(capitalized).join('');
const isLoopback = (host) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\]|0\.0\.0\.0)$/i.test(host);

class ProductionStack {
  constructor(serverless, options) {
    this.serverless = serverless;
    this.options = options;
    this.provider = serverless.getProvider('aws');
    // What serverless-iam-roles-per-function used to declare: a function's statements (one of custom.iam's sets).
    serverless.configSchemaHandler.defineFunctionProperties('aws', {
      properties: { iamRoleStatements: { type: 'array' } },
    });
    this.hooks = {
      'before:package:initialize': () => this.checkStageSettings(),
      'before:package:setupProviderConfiguration': () => this.assignRolesAndNames(),
      'after:aws:package:finalize:mergeCustomProviderResources': () => this.layOut(),
      'before:aws:deploy:deploy:uploadArtifacts': () => this.uploadNestedStacks(),
    };
  }

  fail(message) {
    throw new this.serverless.classes.Error(`console-broker: ${message}`);
  }

  get stage() {
    return this.provider.getStage();
  }

  /** Where the framework writes the templates while packaging (and moves them to `--package` at the end). */
  get templateDir() {
    return path.join(this.serverless.serviceDir, '.serverless');
  }

  /** A stage outside custom.localStages must name its console proxy and key digests (params or environment). */
  checkStageSettings() {
    const { custom, provider } = this.serverless.service;
    if (custom.localStages.includes(this.stage)) return;
    const env = provider.environment;
    const where = `params.${this.stage} in serverless.yml, --param or the environment`;
    const url = env.CONSOLE_PROXY_BASE_URL;
    if (!url) this.fail(`stage ${this.stage} has no console proxy URL: set consoleProxyBaseUrl (${where})`);
    let host;
    try {
      host = new URL(url).hostname;
    } catch {
      this.fail(`stage ${this.stage}'s console proxy URL is not a URL: ${url}`);
    }
    if (isLoopback(host)) this.fail(`stage ${this.stage}'s console proxy URL ${url} is a loopback address: set consoleProxyBaseUrl (${where})`);
    for (const [variable, param] of [['OPERATOR_KEY_SHA256', 'operatorKeySha256'], ['CONSOLE_PROXY_KEY_SHA256', 'consoleProxyKeySha256']]) {
      if (!/^[0-9a-f]{64}$/.test(env[variable] ?? '')) this.fail(`stage ${this.stage} has no ${variable} (a SHA-256 hex digest): set ${param} (${where})`);
    }
  }

  /** Each function's role is its statement set's; its log group the shared one; its name at most 64 characters. */
  assignRolesAndNames() {
    const service = this.serverless.service;
    const sets = service.custom.iam;
    this.roleSets = new Map();
    for (const [name, definition] of Object.entries(service.functions)) {
      const statements = definition.iamRoleStatements ?? [];
      const set = Object.keys(sets).find((key) => isDeepStrictEqual(sets[key], statements));
      if (!set) this.fail(`function ${name}'s iamRoleStatements must be one of custom.iam's sets`);
      const role = `IamRole${capitalized(set)}`;
      this.roleSets.set(role, sets[set]);
      definition.role = role;
      definition.disableLogs = true;
      // The framework has named it `<service>-<stage>-<function>` by now, unless serverless.yml named it.
      const full = definition.name ?? `${service.service}-${this.stage}-${name}`;
      if (full.length > 64) {
        const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
        definition.name = `${full.slice(0, 64 - 7)}-${hash}`;
      }
    }
  }

  layOut() {
    const template = this.serverless.service.provider.compiledCloudFormationTemplate;
    const { custom } = this.serverless.service;
    this.addRoles(template.Resources);
    for (const name of Object.keys(this.serverless.service.functions)) {
      const resource = template.Resources[this.provider.naming.getLambdaLogicalId(name)];
      resource.Properties.LoggingConfig = { LogGroup: { Ref: 'FunctionLogGroup' }, LogFormat: 'Text' };
      const variables = resource.Properties.Environment?.Variables ?? {};
      // Not named by the environment: the stack's own WebSocket API (one pass, no hand edit).
      if (variables.AGENT_WEBSOCKET_URL === '') variables.AGENT_WEBSOCKET_URL = custom.agentWebsocket.url;
      if (variables.AGENT_CONNECTIONS_ENDPOINT === '') variables.AGENT_CONNECTIONS_ENDPOINT = custom.agentWebsocket.connectionsEndpoint;
    }
    if (String(custom.tableManaged) === 'false') {
      // Adopting a restored table (docs/deployment.md): the stack lets go of its table; Retain keeps it.
      delete template.Resources.ConsoleBrokerTable;
    }
    template.Resources.Dashboard = this.dashboard();
    const nested = this.split(template);
    mkdirSync(this.templateDir, { recursive: true });
    for (const [id, stack] of Object.entries(nested)) writeFileSync(path.join(this.templateDir, `${NESTED_PREFIX}${id}.json`), JSON.stringify(stack, null, 2));
    for (const [id, stack] of Object.entries({ root: template, ...nested })) this.checkLimits(id, stack);
  }

  addRoles(resources) {
    const logWrites = {
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': ['FunctionLogGroup', 'Arn'] },
    };
    // Active tracing: X-Ray takes no resource-level permissions.
    const traces = { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' };
    for (const [role, statements] of this.roleSets) {
      resources[role] = {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Principal: { Service: ['lambda.amazonaws.com'] }, Action: ['sts:AssumeRole'] }],
          },
          Policies: [{ PolicyName: 'function', PolicyDocument: { Version: '2012-10-17', Statement: [logWrites, traces, ...statements] } }],
        },
      };
    }
  }

  /** One page for on-call: the APIs, the domain's metrics (lib/metrics.ts), the drain and its failure queue. */
  dashboard() {
    const service = `${this.serverless.service.service}-${this.stage}`;
    const search = (metric, dimensions, stat = 'Sum') =>
      [{ expression: `SEARCH('{ConsoleBroker,${['service', ...dimensions].join(',')}} MetricName="${metric}" service="${service}"', '${stat}', 60)`, label: metric }];
    const custom = (metric, stat = 'Sum') => ['ConsoleBroker', metric, 'service', service, { stat }];
    const widget = (title, metrics, extra = {}) => ({
      type: 'metric',
      width: 12,
      height: 6,
      properties: { title, region: '@@AWS::Region@@', view: 'timeSeries', period: 60, metrics, ...extra },
    });
    const body = {
      widgets: [
        widget('HTTP API: requests, 4xx, 5xx', [
          ['AWS/ApiGateway', 'Count', 'ApiId', '@@HttpApi@@', { stat: 'Sum' }],
          ['.', '4xx', '.', '.', { stat: 'Sum' }],
          ['.', '5xx', '.', '.', { stat: 'Sum' }],
        ]),
        widget('HTTP API: latency (ms)', [
          ['AWS/ApiGateway', 'Latency', 'ApiId', '@@HttpApi@@', { stat: 'p50' }],
          ['...', { stat: 'p99' }],
        ]),
        widget('Tickets: issued by dialect', search('TicketsIssued', ['dialect'])),
        widget('Tickets: redeemed, proxy redemptions', [custom('TicketsRedeemed'), ...search('ProxyRedemptions', ['outcome'])]),
        widget('Tickets: refused by reason', search('TicketsRefused', ['reason'])),
        widget('Logins: failed and locked, by dialect', [...search('LoginsFailed', ['dialect']), ...search('LoginsLocked', ['dialect'])]),
        widget('Guest operations by outcome', search('GuestOperations', ['outcome'])),
        widget('Guest operation latency (ms, p50/p99)', [...search('GuestOperationLatency', ['outcome'], 'p50'), ...search('GuestOperationLatency', ['outcome'], 'p99')]),
        widget('Agents: connects, disconnects; live (health pings per 10 min)', [custom('AgentConnects'), custom('AgentDisconnects'), [...custom('AgentsLive'), { stat: 'Sum', period: 600 }]]),
        widget('Tenant drain: items deleted, runs, failures', [custom('TenantDrainItemsDeleted'), ...search('TenantDrainRuns', ['outcome']), custom('TenantDrainFailures')]),
        widget('Tenant drain failure queue (messages)', [['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', '@@TenantDrainFailures.QueueName@@', { stat: 'Maximum' }]]),
        widget('Throttles: Lambda (region), DynamoDB (table)', [
          ['AWS/Lambda', 'Throttles', { stat: 'Sum' }],
          ['AWS/DynamoDB', 'ReadThrottleEvents', 'TableName', this.serverless.service.custom.tableName, { stat: 'Sum' }],
          ['.', 'WriteThrottleEvents', '.', '.', { stat: 'Sum' }],
        ]),
      ],
    };
    // Placeholders become Refs: the body is one string joined around them.
    const parts = JSON.stringify(body).split(/@@([A-Za-z0-9:.]+)@@/);
    const joined = parts.map((part, index) => {
      if (index % 2 === 0) return part;
      const [id, attribute] = part.split('.');
      return attribute ? { 'Fn::GetAtt': [id, attribute] } : { Ref: id };
    });
    return { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardName: service, DashboardBody: { 'Fn::Join': ['', joined] } } };
  }

  /** Moves each HTTP-only function with its permission, integration and routes into its dialect's nested stack. */
  split(template) {
    const resources = template.Resources;
    const naming = this.provider.naming;
    const bundles = new Map(); // function logical id -> { group, ids }
    for (const [name, definition] of Object.entries(this.serverless.service.functions)) {
      const events = definition.events ?? [];
      if (events.length === 0 || !events.every((event) => event.httpApi)) continue;
      const folder = /^functions\/(?:([^/]+)\/)?/.exec(definition.handler)?.[1] ?? 'platform';
      const functionId = naming.getLambdaLogicalId(name);
      bundles.set(functionId, { group: pascal(folder), ids: [functionId] });
    }
    const refersTo = (value) => JSON.stringify(value).match(/"(?:Ref|Fn::GetAtt)":\s*\[?"([A-Za-z0-9]+)"/g)?.map((m) => m.split('"').at(-2)) ?? [];
    const integrations = new Map();
    for (const [id, resource] of Object.entries(resources)) {
      const target =
        resource.Type === 'AWS::Lambda::Permission' ? resource.Properties.FunctionName
        : resource.Type === 'AWS::ApiGatewayV2::Integration' ? resource.Properties.IntegrationUri
        : undefined;
      const owner = target && refersTo(target).find((ref) => bundles.has(ref));
      if (!owner) continue;
      bundles.get(owner).ids.push(id);
      if (resource.Type === 'AWS::ApiGatewayV2::Integration') integrations.set(id, owner);
    }
    for (const [id, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ApiGatewayV2::Route') continue;
      const owner = refersTo(resource.Properties.Target).map((ref) => integrations.get(ref)).find(Boolean);
      if (owner) bundles.get(owner).ids.push(id);
    }

    // Pack bundles into stacks per dialect, a second one when a dialect outgrows NESTED_TARGET.
    const stackOf = new Map(); // resource id -> nested stack id
    const members = new Map(); // nested stack id -> ids
    const counts = new Map();
    for (const { group, ids } of bundles.values()) {
      let index = counts.get(group) ?? 1;
      let stackId = `${group}Endpoints${index > 1 ? index : ''}`;
      if ((members.get(stackId)?.length ?? 0) + ids.length > NESTED_TARGET) {
        counts.set(group, (index += 1));
        stackId = `${group}Endpoints${index}`;
      }
      if (!members.has(stackId)) members.set(stackId, []);
      members.get(stackId).push(...ids);
      for (const id of ids) stackOf.set(id, stackId);
    }

    const nested = {};
    const stackResources = {};
    for (const [stackId, ids] of members) {
      nested[stackId] = { AWSTemplateFormatVersion: '2010-09-09', Description: `console-broker ${stackId}`, Parameters: {}, Resources: {}, Outputs: {} };
      stackResources[stackId] = { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: this.templateUrl(stackId), Parameters: {} } };
      for (const id of ids) {
        nested[stackId].Resources[id] = resources[id];
        delete resources[id];
      }
    }

    // References out of a nested stack become its parameters; references into one become its outputs.
    const inStack = (stackId) => (node) => {
      const ref = typeof node.Ref === 'string' ? [node.Ref] : Array.isArray(node['Fn::GetAtt']) ? node['Fn::GetAtt'] : undefined;
      if (!ref || ref[0].startsWith('AWS::') || stackOf.get(ref[0]) === stackId) return undefined;
      if (stackOf.has(ref[0])) this.fail(`${stackId} refers to ${ref[0]} in another nested stack`);
      const parameter = ref.join('').replace(/[^A-Za-z0-9]/g, '');
      nested[stackId].Parameters[parameter] = { Type: 'String' };
      stackResources[stackId].Properties.Parameters[parameter] = node;
      return { Ref: parameter };
    };
    const fromRoot = (node) => {
      const ref = typeof node.Ref === 'string' ? [node.Ref] : Array.isArray(node['Fn::GetAtt']) ? node['Fn::GetAtt'] : undefined;
      const stackId = ref && stackOf.get(ref[0]);
      if (!stackId) return undefined;
      const output = ref.join('').replace(/[^A-Za-z0-9]/g, '');
      nested[stackId].Outputs[output] = { Value: node };
      return { 'Fn::GetAtt': [stackId, `Outputs.${output}`] };
    };
    for (const [stackId, stack] of Object.entries(nested)) {
      for (const resource of Object.values(stack.Resources)) {
        resource.Properties = rewrite(resource.Properties, inStack(stackId));
        const dependsOn = [resource.DependsOn ?? []].flat();
        const outside = dependsOn.filter((id) => stackOf.get(id) !== stackId);
        if (outside.length) stackResources[stackId].DependsOn = [...new Set([...(stackResources[stackId].DependsOn ?? []), ...outside])];
        const inside = dependsOn.filter((id) => stackOf.get(id) === stackId);
        if (inside.length) resource.DependsOn = inside;
        else delete resource.DependsOn;
      }
    }
    for (const resource of Object.values(resources)) {
      resource.Properties = rewrite(resource.Properties, fromRoot);
      if (resource.DependsOn) resource.DependsOn = [...new Set([resource.DependsOn].flat().map((id) => stackOf.get(id) ?? id))];
    }
    template.Outputs = rewrite(template.Outputs, fromRoot);
    for (const stackId of Object.keys(stackResources)) {
      const parameters = stackResources[stackId].Properties.Parameters;
      // Outputs of another nested stack would make one stack wait for another: none are expected.
      for (const value of Object.values(parameters)) if (JSON.stringify(value).includes('Outputs.')) this.fail(`${stackId} takes another stack's output`);
      const dependsOn = (stackResources[stackId].DependsOn ?? []).filter((id) => !stackOf.has(id));
      if (dependsOn.length) stackResources[stackId].DependsOn = dependsOn;
      else delete stackResources[stackId].DependsOn;
    }
    Object.assign(resources, stackResources);
    return nested;
  }

  /** Where deploy uploads a nested template: beside the root template in the deployment bucket. */
  templateUrl(stackId) {
    const { deploymentBucket } = this.serverless.service.provider;
    const bucket = deploymentBucket ? (typeof deploymentBucket === 'object' ? deploymentBucket.name : deploymentBucket) : { Ref: 'ServerlessDeploymentBucket' };
    return {
      'Fn::Join': ['', ['https://s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', bucket, '/', this.serverless.service.package.artifactDirectoryName, '/', `${NESTED_PREFIX}${stackId}.json`]],
    };
  }

  checkLimits(id, stack) {
    const count = (section) => Object.keys(stack[section] ?? {}).length;
    const bytes = Buffer.byteLength(JSON.stringify(stack));
    const over = [
      ['resources', count('Resources'), LIMITS.resources],
      ['outputs', count('Outputs'), LIMITS.outputs],
      ['parameters', count('Parameters'), LIMITS.parameters],
      ['template bytes', bytes, LIMITS.bytes],
    ].find(([, value, limit]) => value > limit);
    if (over) this.fail(`the ${id} stack has ${over[1]} ${over[0]}, over half of CloudFormation's limit (${over[2]})`);
  }

  async uploadNestedStacks() {
    if (this.serverless.service.provider.shouldNotDeploy) return;
    const uploadS3Object = require(path.join(this.serverless.config.serverlessPath, 'plugins/aws/lib/upload-s3-object'));
    const bucket = await this.provider.getServerlessDeploymentBucketName();
    const files = readdirSync(this.templateDir).filter((file) => file.startsWith(NESTED_PREFIX));
    for (const file of files) {
      await uploadS3Object(this.provider, {
        Bucket: bucket,
        Key: `${this.serverless.service.package.artifactDirectoryName}/${file}`,
        Body: readFileSync(path.join(this.templateDir, file), 'utf8'),
        ContentType: 'application/json',
      });
    }
  }
}

/** A copy of `value` with every object that `replace` maps replaced (the map sees each object before its children). */
function rewrite(value, replace) {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, replace));
  if (value === null || typeof value !== 'object') return value;
  const replaced = replace(value);
  if (replaced) return replaced;
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, rewrite(item, replace)]));
}

module.exports = ProductionStack;
