import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { config } from './config.js';

/**
 * Background jobs are Lambda functions started by an asynchronous invoke (`InvocationType: 'Event'`): Lambda
 * queues the event, answers 202 at once and retries a failed run twice by itself. Locally the endpoint is
 * serverless-offline's Lambda port, which runs the function without awaiting it, as Lambda does.
 */
let lambda: LambdaClient | undefined;

function lambdaClient(): LambdaClient {
  if (lambda) return lambda;
  const endpoint = config.lambdaEndpoint();
  // The SDK's own retry strategy (3 attempts) covers a throttled invoke.
  lambda = new LambdaClient({ endpoint, ...(endpoint && !process.env.AWS_REGION ? { region: 'local' } : {}) });
  return lambda;
}

/** Queues one run of `functionName` with `event`; resolves once Lambda accepted it. */
export async function startJob(functionName: string, event: unknown): Promise<void> {
  await lambdaClient().send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(event)) }),
  );
}
