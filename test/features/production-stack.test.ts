/**
 * The stack as a hosting provider deploys it (docs/deployment.md): any stage name up to 16 characters in any
 * commercial region packages within CloudFormation's and IAM's limits; a real stage refuses to package without
 * its own settings; a point-in-time-restored table can be adopted. Packaging is slow: the grid is the worst
 * cases (16-character stages, the longest region names, the names the issue reported), two at a time.
 */
import { describe, expect, it } from 'vitest';
import { boundedAll } from '../support/bounded.js';
import { deployedSettings, packageStage, roleOf, runServerless, type Packaged } from '../support/packaged.js';

const grid = [
  ['staging', 'eu-west-1'],
  ['prod', 'eu-central-1'],
  ['a234567890123456', 'ap-southeast-7'],
  ['staging-customer', 'ap-northeast-3'],
] as const;

/** Every name CloudFormation or a service caps, with its cap. */
const NAME_LIMITS: Record<string, [string, number]> = {
  'AWS::Lambda::Function': ['FunctionName', 64],
  'AWS::IAM::Role': ['RoleName', 64],
  'AWS::DynamoDB::Table': ['TableName', 255],
  'AWS::Logs::LogGroup': ['LogGroupName', 512],
  'AWS::CloudWatch::Dashboard': ['DashboardName', 255],
  'AWS::ApiGatewayV2::Api': ['Name', 128],
  'AWS::Events::Rule': ['Name', 64],
  'AWS::SQS::Queue': ['QueueName', 80],
};

describe('any stage and region', () => {
  it('packages every pair of the grid within the limits, with the stage\'s own console proxy and no loopback URL', async () => {
    const results = await boundedAll(grid.length, 2, (index) => packageStage(grid[index]![0], grid[index]![1], deployedSettings));
    for (const [index, packaged] of results.entries()) {
      const [stage, region] = grid[index]!;
      expect(packaged.code, `${stage} ${region}: ${packaged.output}`).toBe(0);
      expect(packaged.output).toContain(`Packaging console-broker for stage ${stage} (${region})`);
      for (const [id, stack] of Object.entries<any>({ root: packaged.root, ...packaged.nested })) {
        expect(Object.keys(stack.Resources).length, `${stage} ${id}`).toBeLessThanOrEqual(250);
        expect(Object.keys(stack.Outputs ?? {}).length, `${stage} ${id}`).toBeLessThanOrEqual(100);
        expect(packaged.bytes[id], `${stage} ${id}`).toBeLessThanOrEqual(512 * 1024);
      }
      for (const [id, resource] of Object.entries<any>(packaged.resources)) {
        const [property, limit] = NAME_LIMITS[resource.Type] ?? [];
        const name = property && resource.Properties?.[property];
        if (typeof name === 'string') expect(name.length, `${stage} ${region} ${id}.${property}: ${name}`).toBeLessThanOrEqual(limit!);
        if (resource.Type === 'AWS::Lambda::Function') {
          expect(resource.Properties.Environment.Variables.CONSOLE_PROXY_BASE_URL, id).toBe(deployedSettings.CONSOLE_PROXY_BASE_URL);
        }
      }
      const text = JSON.stringify([packaged.root, packaged.nested]);
      expect(text).not.toMatch(/127\.0\.0\.1|localhost|\[::1\]/);
      // Function names stay unique when the longest are shortened.
      const names = Object.values<any>(packaged.resources)
        .filter((resource) => resource.Type === 'AWS::Lambda::Function')
        .map((resource) => resource.Properties.FunctionName);
      expect(new Set(names).size).toBe(names.length);
    }
  }, 1_800_000);
});

describe('settings of a real stage', () => {
  it.each([
    ['no console proxy URL', { ...deployedSettings, CONSOLE_PROXY_BASE_URL: '' }, /console-broker: stage prod (has no console proxy URL|'s console proxy URL http:\/\/127\.0\.0\.1:6080 is a loopback address): set consoleProxyBaseUrl/],
    ['a loopback console proxy URL', { ...deployedSettings, CONSOLE_PROXY_BASE_URL: 'http://localhost:6080' }, /console-broker: stage prod's console proxy URL http:\/\/localhost:6080 is a loopback address/],
    ['no operator key digest', { ...deployedSettings, OPERATOR_KEY_SHA256: '' }, /console-broker: stage prod has no OPERATOR_KEY_SHA256 \(a SHA-256 hex digest\): set operatorKeySha256/],
    ['no console proxy key digest', { ...deployedSettings, CONSOLE_PROXY_KEY_SHA256: 'not-hex' }, /console-broker: stage prod has no CONSOLE_PROXY_KEY_SHA256/],
  ])('refuses to package with %s, in one line saying which', async (_case, settings, message) => {
    const { code, output } = await runServerless(['package', '--stage', 'prod', '--region', 'eu-central-1', '--package', '/nonexistent/never-written'], settings);
    expect(code).not.toBe(0);
    expect(output).toMatch(message);
    expect(output).not.toContain('Packaging console-broker'.repeat(2));
  }, 300_000);
});

describe('adopting a point-in-time-restored table (docs/deployment.md)', () => {
  it('names the restored table everywhere, and lets go of the old one without deleting it', async () => {
    const restored = 'console-broker-prod-restored-1';
    const packaged: Packaged = await packageStage('prod', 'eu-central-1', deployedSettings, [
      `--param=tableName=${restored}`,
      '--param=tableManaged=false',
    ]);
    expect(packaged.code, packaged.output).toBe(0);
    // Step 1 deploys without the table resource: CloudFormation forgets it, and Retain keeps the old table.
    expect(packaged.resources.ConsoleBrokerTable).toBeUndefined();
    const functions = Object.entries<any>(packaged.resources).filter(([, resource]) => resource.Type === 'AWS::Lambda::Function' && resource.Properties.Environment);
    expect(functions.length).toBeGreaterThan(60);
    for (const [id, lambda] of functions) {
      expect(lambda.Properties.Environment.Variables.TABLE_NAME, id).toBe(restored);
      const statements = packaged.resources[roleOf(packaged, id)].Properties.Policies.flatMap((policy: any) => policy.PolicyDocument.Statement);
      for (const statement of statements.filter((statement: any) => [statement.Action].flat().some((action: string) => action.startsWith('dynamodb:')))) {
        expect(JSON.stringify(statement.Resource), id).toContain(`:table/${restored}`);
      }
    }
    expect(JSON.stringify(packaged.root)).not.toContain('table/console-broker-prod"');
    expect(JSON.stringify(packaged.resources.TableThrottlesAlarm)).toContain(`"Value":"${restored}"`);
    expect(packaged.root.Outputs.TableName.Value).toBe(restored);
  }, 900_000);
});
