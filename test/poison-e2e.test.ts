/**
 * Poison records, end to end: a Kinesis → DynamoDB project made by the real scaffolder, built
 * with cargo lambda and run through the real `lambda-kit invoke` against moto on loopback. A
 * record that can never succeed is parked on the poison queue with its raw data and is not
 * reported for retry, so it does not hold up the shard; a park that fails is reported instead.
 */
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtTriggerProject } from './support/built-project.js';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { itemJson, kinesisEvent } from './support/events.js';
import { motoForFile } from './support/moto.js';
import { motoResources, uniqueName } from './support/moto-resources.js';
import { CARGO_ENV, endToEndTools } from './support/tools.js';

const { venvBin: VENV_BIN, missing } = endToEndTools('the poison tests need moto, cargo-lambda and cargo');
const moto = motoForFile('the poison tests');
const { createQueue, createTable, drainQueue, scanTable } = motoResources(moto);

/** The first build compiles the AWS SDK; on 2 cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;
const INVOKE_TIMEOUT = 120_000;

/** This file's events: the project is shared (test/support/built-project.ts), so they are written here. */
let root: string;
let dir: string;

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-poison-');
  dir = await builtTriggerProject('kinesis', 'dynamodb', VENV_BIN);
}, COLD_BUILD_TIMEOUT);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The poison queue's messages, parsed. */
const parkedOn = async (queue: string) => (await drainQueue(queue)).map((body) => JSON.parse(body));

/** The stored items, as `id → name`. */
async function storedNames(table: string): Promise<Record<string, string>> {
  return Object.fromEntries((await scanTable(table)).map((item) => [item.id!.S!, item.name!.S!]));
}

/** `lambda-kit invoke --event` with the table and the poison queue passed as the user would, with --env. */
async function invoke(event: unknown, table: string, poisonQueue: string) {
  const path = join(root, 'poison.json');
  await writeFile(path, JSON.stringify(event));
  const args = ['invoke', '--event', path, '--env', `TABLE_NAME=${table}`, '--env', `POISON_QUEUE_URL=${poisonQueue}`];
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
      const [table, poisonQueue] = await Promise.all([createTable(), createQueue('poison')]);
      const event = batch();
      const poison = event.Records[1]!;

      const first = await invoke(event, table, poisonQueue);

      expect(first.response).toEqual({ batchItemFailures: [] });
      expect(await storedNames(table)).toEqual({ 'P-1': 'espresso beans', 'P-2': 'paper cups' });
      const parked = await parkedOn(poisonQueue);
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
      expect(await parkedOn(poisonQueue)).toEqual(parked);
    },
    2 * INVOKE_TIMEOUT,
  );

  it(
    'reports the poison record for retry, and only it, when it cannot be parked',
    async () => {
      const table = await createTable();
      const event = batch();
      const nowhere = `${moto.endpoint}/123456789012/${uniqueName('no-such-queue')}`;

      const result = await invoke(event, table, nowhere);

      expect(result.response.batchItemFailures.map((f) => f.itemIdentifier)).toEqual([event.Records[1]!.kinesis.sequenceNumber]);
      expect(result.stderr).toMatch(/could not park a poison record; it is reported for retry/);
      expect(await storedNames(table)).toEqual({ 'P-1': 'espresso beans', 'P-2': 'paper cups' });
    },
    INVOKE_TIMEOUT,
  );
});
