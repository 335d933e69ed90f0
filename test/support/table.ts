/**
 * Every item of the suite's table, all pages of a Scan: the table holds tenants of thousands of VMs
 * (test/features/fleet-lists.test.ts), far more than one 1 MB page, so a check of "what is stored" reads them all.
 */
import { ScanCommand, type ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { client } from '../../lib/store/client.js';

export async function scanTable(filter: Pick<ScanCommandInput, 'FilterExpression' | 'ExpressionAttributeValues'> = {}) {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await client().send(new ScanCommand({ TableName: process.env.TABLE_NAME, ...filter, ExclusiveStartKey }));
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}
