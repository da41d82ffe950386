/**
 * The bench's realistic sink: one results queue per runtime in moto, so that each runtime's
 * messages can be counted on their own.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsEnv } from '../../tools/moto.js';
import { RUNTIMES, type Runtime } from './figures.js';
import type { QueueTarget } from './local.js';

export interface MotoQueues {
  targets: Record<Runtime, QueueTarget>;
  /** How many messages the runtime's queue holds, and then empties it. */
  drain(runtime: Runtime): Promise<number>;
  close(): void;
}

export async function motoQueues(endpoint: string): Promise<MotoQueues> {
  const env = awsEnv(endpoint);
  const client = new SQSClient({
    endpoint,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
  const targets = {} as Record<Runtime, QueueTarget>;
  for (const runtime of RUNTIMES) {
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: `churn-bench-${runtime}` }));
    targets[runtime] = { endpoint, queueUrl: QueueUrl! };
  }
  return {
    targets,
    // moto slows down as a queue grows (thousands of messages a run), so each run starts empty.
    async drain(runtime) {
      const QueueUrl = targets[runtime].queueUrl;
      const { Attributes } = await client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
      );
      await client.send(new PurgeQueueCommand({ QueueUrl }));
      return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    },
    close: () => client.destroy(),
  };
}
