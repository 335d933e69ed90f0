/**
 * What each function's IAM role allows on the table, read from serverless.yml the way the deployment does.
 * dynalite has no IAM, so without this check a missing action shows only on AWS (AccessDenied → 500).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { parse } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));

function loadAllowedActions(): Map<string, Set<string>> {
  const serverless = parse(readFileSync(`${root}serverless.yml`, 'utf8'));
  const sets = serverless.custom.iam as Record<string, { Action: string | string[]; Resource: unknown }[]>;
  const allowed = new Map<string, Set<string>>();
  for (const entry of serverless.functions as string[]) {
    const file = /\$\{file\(\.\/(.+)\)\}/.exec(entry)![1]!;
    for (const [name, definition] of Object.entries(parse(readFileSync(`${root}${file}`, 'utf8')) as Record<string, any>)) {
      const setName = /\$\{self:custom\.iam\.(\w+)\}/.exec(definition.iamRoleStatements ?? '')?.[1];
      const statements = setName ? sets[setName] ?? [] : [];
      // An action on the table's indexes is allowed by a statement whose resources name the index ARN.
      const actions = statements.flatMap((statement) => {
        const onIndex = JSON.stringify(statement.Resource).includes('indexArn');
        const onTable = JSON.stringify(statement.Resource).includes('tableArn');
        return [statement.Action].flat().flatMap((action) => {
          const bare = action.replace(/^dynamodb:/, '');
          return [...(onTable ? [bare] : []), ...(onIndex ? [`${bare}@index`] : [])];
        });
      });
      allowed.set(name, new Set(actions));
    }
  }
  return allowed;
}

const allowedActions = loadAllowedActions();

/** Fails when `functionName` called a DynamoDB action its role does not allow. */
export function expectAllowedByIam(functionName: string, actions: Iterable<string>): void {
  const allowed = allowedActions.get(functionName) ?? new Set<string>();
  const denied = [...actions].filter((action) => !allowed.has(action));
  expect(denied, `${functionName} calls DynamoDB actions its IAM role in serverless.yml does not allow`).toEqual([]);
}
