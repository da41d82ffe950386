/**
 * The sinks the end-to-end tests point generated functions at, made in moto, and what landed in
 * them: DynamoDB tables keyed by `id` and SQS queues, each with a name of its own (moto is shared
 * by a file's tests, and several files' functions may write at once).
 */
import { type AttributeValue, CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { clientConfig } from './moto.js';
import type { MotoServer } from '../../src/tools/moto.js';

/** A queue takes at most this many receives of 10 to drain: more is a function that never stops sending. */
const MAX_RECEIVES = 100;

let counter = 0;
/** A name no other test (of this process) has taken. */
export const uniqueName = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export function motoResources(moto: Pick<MotoServer, 'endpoint' | 'env'>) {
  const dynamodb = () => new DynamoDBClient(clientConfig(moto));
  const sqs = () => new SQSClient(clientConfig(moto));
  return {
    /** A new table whose hash key is the string `id`; its name. */
    async createTable(prefix = 'results'): Promise<string> {
      const name = uniqueName(prefix);
      await dynamodb().send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        }),
      );
      return name;
    },

    /** Every item in the table, as written (attribute types kept), sorted by id. */
    async scanTable(name: string): Promise<Record<string, AttributeValue>[]> {
      const { Items = [] } = await dynamodb().send(new ScanCommand({ TableName: name }));
      return Items.sort((a, b) => a.id!.S!.localeCompare(b.id!.S!));
    },

    /** A new queue; its URL. */
    async createQueue(prefix = 'results'): Promise<string> {
      const { QueueUrl } = await sqs().send(new CreateQueueCommand({ QueueName: uniqueName(prefix) }));
      return QueueUrl!;
    },

    /** Every message in the queue, received and deleted: the bodies, sorted. */
    async drainQueue(url: string): Promise<string[]> {
      const client = sqs();
      const bodies: string[] = [];
      for (let receives = 0; receives < MAX_RECEIVES; receives++) {
        const { Messages = [] } = await client.send(
          new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }),
        );
        if (Messages.length === 0) return bodies.sort();
        bodies.push(...Messages.map((m) => m.Body!));
        await client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: url,
            Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
          }),
        );
      }
      throw new Error(`${url} did not drain in ${MAX_RECEIVES} receives`);
    },
  };
}
