/**
 * One fresh in-memory dynalite for the whole run, with the table from serverless.yml and the demo data.
 * Test files share it; a file that needs a clean slate makes its own tenant.
 */
import type { TestProject } from 'vitest/node';
import { ensureTable, startLocalDynamo, type LocalDynamo } from '../../scripts/local-dynamodb.js';
import { applyTestEnvironment, TEST_TABLE } from './environment.js';

let dynamo: LocalDynamo | undefined;

export async function setup(project: TestProject): Promise<void> {
  dynamo = await startLocalDynamo();
  applyTestEnvironment(dynamo.endpoint);
  await ensureTable(dynamo.endpoint, TEST_TABLE);
  const { seedDemoData } = await import('../../scripts/demo-data.js');
  await seedDemoData();
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown(): Promise<void> {
  await dynamo?.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
