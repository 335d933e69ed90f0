import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type BatchGetCommandInput,
  type BatchGetCommandOutput,
  type BatchWriteCommandInput,
  type BatchWriteCommandOutput,
  type DeleteCommandInput,
  type DeleteCommandOutput,
  type GetCommandInput,
  type GetCommandOutput,
  type PutCommandInput,
  type PutCommandOutput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { DomainError, Internal, Unavailable } from '../core/errors.js';
import { client } from './client.js';

/** The operations the store sends: each request (a value its builder made) and what DynamoDB answers. */
interface Operations {
  Get: [GetCommandInput, GetCommandOutput];
  Put: [PutCommandInput, PutCommandOutput];
  Delete: [DeleteCommandInput, DeleteCommandOutput];
  Update: [UpdateCommandInput, UpdateCommandOutput];
  Query: [QueryCommandInput, QueryCommandOutput];
  BatchGet: [BatchGetCommandInput, BatchGetCommandOutput];
  BatchWrite: [BatchWriteCommandInput, BatchWriteCommandOutput];
}
export type Operation = keyof Operations;

const commands = {
  Get: GetCommand,
  Put: PutCommand,
  Delete: DeleteCommand,
  Update: UpdateCommand,
  Query: QueryCommand,
  BatchGet: BatchGetCommand,
  BatchWrite: BatchWriteCommand,
} as const;

const UNAVAILABLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'ResourceNotFoundException',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

const isConditionFailure = (error: unknown): boolean =>
  (error as { name?: string })?.name === 'ConditionalCheckFailedException';

/** Transport and capacity failures are the domain's "unavailable"; anything else unexpected is internal. */
function translated(error: unknown): unknown {
  if (error instanceof DomainError || isConditionFailure(error)) return error;
  const name = (error as { name?: string })?.name ?? '';
  const code = (error as { code?: string })?.code ?? '';
  const hasResponse = Boolean((error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode);
  if (UNAVAILABLE_ERRORS.has(name) || code.startsWith('E') || !hasResponse) {
    return Unavailable('The data service is unavailable; retry later.', error);
  }
  return Internal('Unexpected data service error.', error);
}

/**
 * The store's one sender: every request is built as a value first, then sent here. Condition failures are
 * left to `sendIf`, whose caller knows what they mean.
 */
export async function send<K extends Operation>(operation: K, request: Operations[K][0]): Promise<Operations[K][1]> {
  // One cast, here: the table above pairs each operation with its command, input and output.
  const Command = commands[operation] as unknown as new (input: Operations[K][0]) => GetCommand;
  try {
    return (await client().send(new Command(request))) as Operations[K][1];
  } catch (error) {
    throw translated(error);
  }
}

/**
 * Sends a request whose condition may fail, the one place that catches the failure: @returns the output,
 * or `undefined` when the condition did not hold (what that means is the caller's to say).
 */
export async function sendIf<K extends Operation>(operation: K, request: Operations[K][0]): Promise<Operations[K][1] | undefined> {
  try {
    return await send(operation, request);
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}
