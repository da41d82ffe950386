/**
 * Poison records, end to end: a Kinesis → DynamoDB project made by the real scaffolder, built
 * with cargo lambda and run through the real `lambda-kit invoke` against moto on loopback. A
 * record that can never succeed is parked on the poison queue with its raw data and is not
 * reported for retry, so it does not hold up the shard; a park that fails is reported instead.
 */
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostArchitecture } from '../src/project/binary.js';
import { CREATE_BIN, KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { itemJson, kinesisEvent } from './support/events.js';
import { startMoto, type MotoServer } from './support/moto.js';
import { CARGO_ENV, IN_CI, pythonTools, which } from './support/tools.js';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the poison tests need moto, cargo-lambda and cargo in CI: ${missing}`);
const VENV_BIN = 'bin' in tools ? tools.bin : '';

const ARCH = hostArchitecture() ?? 'x86_64';
/** The first build compiles the AWS SDK; on 2 cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;
const INVOKE_TIMEOUT = 120_000;

let moto: MotoServer;
let root: string;
let dir: string;
let counter = 0;

beforeAll(async () => {
  if (missing) return;
  moto = await startMoto(VENV_BIN);
  root = await tempDir('cfl-poison-');
  const args = ['poison-kinesis', '--trigger', 'kinesis', '--sink', 'dynamodb', '--arch', ARCH, '--yes'];
  await execa(process.execPath, [CREATE_BIN, ...args], { cwd: root, stdin: 'ignore' });
  dir = join(root, 'poison-kinesis');
  const env = { ...process.env, ...CARGO_ENV, PATH: `${VENV_BIN}:${process.env.PATH}`, NO_COLOR: '1' };
  const flag = ARCH === 'arm64' ? '--arm64' : '--x86-64';
  const build = await execa('cargo', ['lambda', 'build', flag], { cwd: dir, env, reject: false, all: true, stdin: 'ignore' });
  if (build.exitCode !== 0) throw new Error(`cargo lambda build failed in ${dir}:\n${build.all}`);
}, COLD_BUILD_TIMEOUT);

afterAll(async () => {
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;
const clientConfig = () => ({
  endpoint: moto.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

async function createQueue(): Promise<string> {
  const { QueueUrl } = await new SQSClient(clientConfig()).send(new CreateQueueCommand({ QueueName: unique('poison') }));
  return QueueUrl!;
}

/** Every message in the queue (received and deleted), bodies parsed. The loop ends when a receive comes back empty. */
async function drainQueue(url: string): Promise<any[]> {
  const sqs = new SQSClient(clientConfig());
  const bodies: any[] = [];
  for (let round = 0; round < 100; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => JSON.parse(m.Body!)));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  throw new Error(`${url} did not drain in 100 receives`);
}

async function createTable(): Promise<string> {
  const name = unique('results');
  await new DynamoDBClient(clientConfig()).send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  return name;
}

/** The stored items, as `id → name`. */
async function storedNames(table: string): Promise<Record<string, string>> {
  const { Items = [] } = await new DynamoDBClient(clientConfig()).send(new ScanCommand({ TableName: table }));
  return Object.fromEntries(Items.map((item) => [item.id!.S!, item.name!.S!]));
}

/** `lambda-kit invoke --event` with the table and the poison queue passed as the user would, with --env. */
async function invoke(event: unknown, table: string, poisonQueue: string) {
  await writeFile(join(dir, 'events', 'poison.json'), JSON.stringify(event));
  const args = ['invoke', '--event', 'events/poison.json', '--env', `TABLE_NAME=${table}`, '--env', `POISON_QUEUE_URL=${poisonQueue}`];
  const result = await runBin(KIT_BIN, args, dir, userEnv({ ...moto.env, CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR }));
  expect(result.exitCode, result.stderr).toBe(0);
  return { ...result, response: JSON.parse(result.stdout) as { batchItemFailures: { itemIdentifier: string }[] } };
}

const NOT_JSON = 'order #7: 2 × oat milk';
const batch = () =>
  kinesisEvent('orders-stream', [
    itemJson({ id: 'P-1', name: 'espresso beans', quantity: 3 }),
    NOT_JSON,
    itemJson({ id: 'P-2', name: 'paper cups', quantity: 250 }),
  ]);

describe.skipIf(missing)('Kinesis → DynamoDB with a poison record', () => {
  it(
    'parks the poison record with its raw data, reports nothing for retry, stores the rest; a replay is harmless',
    async () => {
      const [table, poisonQueue] = await Promise.all([createTable(), createQueue()]);
      const event = batch();
      const poison = event.Records[1]!;

      const first = await invoke(event, table, poisonQueue);

      expect(first.response).toEqual({ batchItemFailures: [] });
      expect(await storedNames(table)).toEqual({ 'P-1': 'espresso beans', 'P-2': 'paper cups' });
      const parked = await drainQueue(poisonQueue);
      expect(parked).toHaveLength(1);
      expect(parked[0]).toEqual({
        reason: expect.stringMatching(/^body is not valid JSON/),
        source: {
          eventSourceArn: poison.eventSourceARN,
          shardId: poison.eventID.split(':')[0],
          sequenceNumber: poison.kinesis.sequenceNumber,
          partitionKey: poison.kinesis.partitionKey,
        },
        payload: NOT_JSON,
        payloadEncoding: 'text',
      });

      // Lambda may deliver a batch again (a retry of a later failure, a bisected batch).
      const replay = await invoke(event, table, poisonQueue);

      expect(replay.response).toEqual({ batchItemFailures: [] });
      expect(await storedNames(table)).toEqual({ 'P-1': 'espresso beans', 'P-2': 'paper cups' });
      // At most one more copy of the same record: whoever replays it sees the same thing twice.
      expect(await drainQueue(poisonQueue)).toEqual(parked);
    },
    2 * INVOKE_TIMEOUT,
  );

  it(
    'reports the poison record for retry, and only it, when it cannot be parked',
    async () => {
      const table = await createTable();
      const event = batch();
      const nowhere = `${moto.endpoint}/123456789012/${unique('no-such-queue')}`;

      const result = await invoke(event, table, nowhere);

      expect(result.response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([event.Records[1]!.kinesis.sequenceNumber]);
      expect(result.stderr).toMatch(/could not park a poison record; it is reported for retry/);
      expect(await storedNames(table)).toEqual({ 'P-1': 'espresso beans', 'P-2': 'paper cups' });
    },
    INVOKE_TIMEOUT,
  );
});
