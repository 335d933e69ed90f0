/**
 * deploy/production-stack.cjs's split on small templates shaped as the framework compiles them: a function
 * with one or two HTTP API routes (vCenter's /api and /rest forms in one function), a dialect that outgrows
 * one nested stack, and the references across stacks.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const ProductionStack = createRequire(import.meta.url)('../../deploy/production-stack.cjs');

const capitalized = (name: string) => name[0]!.toUpperCase() + name.slice(1);

/** The framework's resources for a function and its routes (as `serverless package` writes them). */
function compiled(name: string, routes: string[]): Record<string, any> {
  const id = `${capitalized(name)}LambdaFunction`;
  const resources: Record<string, any> = {
    [id]: { Type: 'AWS::Lambda::Function', Properties: { Role: { 'Fn::GetAtt': ['IamRoleVmRead', 'Arn'] } }, DependsOn: ['IamRoleVmRead'] },
    [`${capitalized(name)}LambdaPermissionHttpApi`]: {
      Type: 'AWS::Lambda::Permission',
      Properties: { FunctionName: { 'Fn::GetAtt': [id, 'Arn'] }, SourceArn: { 'Fn::Join': ['', ['arn:', { Ref: 'HttpApi' }, '/*']] } },
    },
    [`HttpApiIntegration${capitalized(name)}`]: {
      Type: 'AWS::ApiGatewayV2::Integration',
      Properties: { ApiId: { Ref: 'HttpApi' }, IntegrationUri: { 'Fn::GetAtt': [id, 'Arn'] } },
    },
  };
  for (const route of routes) {
    resources[`HttpApiRoute${route}`] = {
      Type: 'AWS::ApiGatewayV2::Route',
      Properties: { ApiId: { Ref: 'HttpApi' }, RouteKey: route, Target: { 'Fn::Join': ['/', ['integrations', { Ref: `HttpApiIntegration${capitalized(name)}` }]] } },
      DependsOn: `HttpApiIntegration${capitalized(name)}`,
    };
  }
  return resources;
}

function plugin(functions: Record<string, { handler: string; events: unknown[] }>) {
  const serverless = {
    service: { service: 'console-broker', functions, provider: {}, package: { artifactDirectoryName: 'serverless/console-broker/ci/1' }, custom: {} },
    configSchemaHandler: { defineFunctionProperties: () => undefined },
    classes: { Error },
    getProvider: () => ({ naming: { getLambdaLogicalId: (name: string) => `${capitalized(name)}LambdaFunction` }, getStage: () => 'ci' }),
  };
  return new ProductionStack(serverless, {});
}

describe('the split into nested stacks per dialect', () => {
  it('moves a function with both of its routes, its permission and integration; the root passes what they refer to', () => {
    const functions = {
      getVm: { handler: 'functions/vcenter/getVm.handler', events: [{ httpApi: { method: 'GET', path: '/api/vcenter/vm/{vm}' } }, { httpApi: { method: 'GET', path: '/rest/vcenter/vm/{vm}' } }] },
      agentConnect: { handler: 'functions/guest/agent-socket.connect', events: [{ websocket: { route: '$connect' } }] },
    };
    const template = {
      Resources: {
        ...compiled('getVm', ['ApiVm', 'RestVm']),
        ...compiled('agentConnect', []),
        HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
        IamRoleVmRead: { Type: 'AWS::IAM::Role', Properties: {} },
        HttpApiStage: { Type: 'AWS::ApiGatewayV2::Stage', Properties: { ApiId: { Ref: 'HttpApi' } }, DependsOn: ['HttpApiRouteApiVm'] },
      },
      Outputs: { GetVmArn: { Value: { 'Fn::GetAtt': ['GetVmLambdaFunction', 'Arn'] } } },
    };
    const nested = plugin(functions).split(template);

    expect(Object.keys(nested)).toEqual(['VcenterEndpoints']);
    expect(Object.keys(nested.VcenterEndpoints.Resources).sort()).toEqual(
      ['GetVmLambdaFunction', 'GetVmLambdaPermissionHttpApi', 'HttpApiIntegrationGetVm', 'HttpApiRouteApiVm', 'HttpApiRouteRestVm'].sort(),
    );
    // The WebSocket function stays in the root.
    expect(template.Resources).toHaveProperty('AgentConnectLambdaFunction');
    const stack = (template.Resources as Record<string, any>).VcenterEndpoints;
    expect(stack.Properties.Parameters).toEqual({ IamRoleVmReadArn: { 'Fn::GetAtt': ['IamRoleVmRead', 'Arn'] }, HttpApi: { Ref: 'HttpApi' } });
    expect(stack.DependsOn).toEqual(['IamRoleVmRead']);
    expect(nested.VcenterEndpoints.Resources.GetVmLambdaFunction).toEqual({ Type: 'AWS::Lambda::Function', Properties: { Role: { Ref: 'IamRoleVmReadArn' } } });
    expect(nested.VcenterEndpoints.Resources.HttpApiRouteRestVm.DependsOn).toEqual(['HttpApiIntegrationGetVm']);
    // The stage waits for the nested stack holding its route; the root's output reads the nested one's.
    expect((template.Resources as Record<string, any>).HttpApiStage.DependsOn).toEqual(['VcenterEndpoints']);
    expect(template.Outputs.GetVmArn.Value).toEqual({ 'Fn::GetAtt': ['VcenterEndpoints', 'Outputs.GetVmLambdaFunctionArn'] });
    expect(nested.VcenterEndpoints.Outputs.GetVmLambdaFunctionArn).toEqual({ Value: { 'Fn::GetAtt': ['GetVmLambdaFunction', 'Arn'] } });
  });

  it('starts a second stack for a dialect past 200 resources', () => {
    const functions = Object.fromEntries(
      Array.from({ length: 60 }, (_, index) => [`op${index}`, { handler: `functions/nova/op${index}.handler`, events: [{ httpApi: {} }] }]),
    );
    const resources = Object.assign(
      { HttpApi: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} }, IamRoleVmRead: { Type: 'AWS::IAM::Role', Properties: {} } },
      ...Object.keys(functions).map((name) => compiled(name, [`Route${name}`])),
    );
    const nested = plugin(functions).split({ Resources: resources, Outputs: {} });
    expect(Object.fromEntries(Object.entries<any>(nested).map(([id, stack]) => [id, Object.keys(stack.Resources).length]))).toEqual({
      NovaEndpoints: 200,
      NovaEndpoints2: 40,
    });
  });
});
