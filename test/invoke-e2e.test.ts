/**
 * Generated functions, proven end to end on a local AWS stand-in. For each trigger, a project
 * made by the real scaffolder is built the way users build it (`cargo lambda build`, a debug
 * build for speed, once for every file that runs it: test/support/built-project.ts) and run under our Runtime API emulator: through the real `lambda-kit invoke`,
 * and, where one process must serve several invocations, through the same library it uses. The
 * function writes to a moto server on loopback, and every assertion about a side effect reads
 * moto: the DynamoDB item, or the SQS message.
 *
 * Sinks vary across triggers, so both are exercised: API → SQS, Kinesis → SQS, S3 → DynamoDB,
 * SQS → DynamoDB.
 *
 * "Sink unreachable" is a port that refuses connections; it then starts forwarding to moto,
 * and the same function process must serve the next invocation.
 */
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFunctionBinary } from '../src/project/binary.js';
import { loadProject, pickFunction } from '../src/project/project.js';
import { lambdaEnvironment } from '../src/runtime-api/lambda-env.js';
import { LocalFunction, type LocalInvocation } from '../src/runtime-api/local-function.js';
import { builtTriggerProject } from './support/built-project.js';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { compactItem, httpApiEvent, itemJson, kinesisEvent, s3Event, sqsEvent, type Item } from './support/events.js';
import { motoForFile, switchablePort } from './support/moto.js';
import { motoResources } from './support/moto-resources.js';
import { CARGO_ENV, endToEndTools } from './support/tools.js';

const { venvBin: VENV_BIN, missing } = endToEndTools('the end-to-end tests need moto, cargo-lambda and cargo');
const moto = motoForFile('the end-to-end tests');
const { createQueue, createTable, drainQueue, scanTable } = motoResources(moto);

/** The first build compiles the AWS SDK for the Lambda target; on 2 cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;
const INVOKE_TIMEOUT = 120_000;

/** This file's events: the projects are shared (test/support/built-project.ts), so they are written here, not in them. */
let root: string;
/** Where the batch triggers park poison records (POISON_QUEUE_URL, DEAD_LETTER_QUEUE_URL), unless a test gives its own. */
let parkingQueue: string;
const timings: string[] = [];

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-e2e-');
  parkingQueue = await createQueue();
}, 60_000);

afterAll(async () => {
  if (root) rmSync(root, { recursive: true, force: true });
  if (timings.length) console.info(`invoke e2e timings:\n  ${timings.join('\n  ')}`);
});

// ---------------------------------------------------------------------------------------------
// Projects: made by the real scaffolder, built with cargo lambda, once for every file that asks

/** The built project of `trigger` → `sink` (for this machine's architecture: the function runs here). */
async function built(trigger: string, sink: string): Promise<string> {
  const started = performance.now();
  const dir = await builtTriggerProject(trigger, sink, VENV_BIN);
  timings.push(`build ${trigger} → ${sink}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return dir;
}

/** `lambda-kit invoke` as a user runs it in the project, with moto's settings in the environment. */
function kit(dir: string, args: string[], env: Record<string, string> = {}) {
  const parking = { POISON_QUEUE_URL: parkingQueue, DEAD_LETTER_QUEUE_URL: parkingQueue };
  return runBin(
    KIT_BIN,
    ['invoke', ...args],
    dir,
    userEnv({ ...moto.env, ...parking, CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR, ...env }),
  );
}

/** The same function, started once to serve several invocations: what `lambda-kit invoke` runs. */
async function startFunction(dir: string, callerEnv: Record<string, string>): Promise<LocalFunction> {
  const project = await loadProject(dir);
  const fn = pickFunction(project, undefined);
  const binary = await findFunctionBinary(project, fn, { CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR });
  const parking = { POISON_QUEUE_URL: parkingQueue, DEAD_LETTER_QUEUE_URL: parkingQueue };
  const caller = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...parking, ...callerEnv };
  const { env } = lambdaEnvironment({ fn, functionName: fn.logicalId, taskRoot: dirname(binary.path), caller });
  return LocalFunction.start({ command: binary.path, cwd: dir, env, timeoutMs: fn.timeout * 1000 });
}

/** The event written to this file's own directory; its path, for `--event`. */
async function writeEvent(name: string, event: unknown): Promise<string> {
  const path = join(root, name);
  await writeFile(path, JSON.stringify(event, null, 2));
  return path;
}

function payloadOf(result: LocalInvocation): any {
  if (result.outcome !== 'response')
    throw new Error(`expected a response, got ${JSON.stringify({ ...result, logs: result.logs.slice(-5) })}`);
  return JSON.parse(result.payload.toString('utf8'));
}

function note(label: string, result: LocalInvocation) {
  if ('durationMs' in result) {
    timings.push(
      `${label}: ${result.durationMs.toFixed(1)} ms${result.initDurationMs === undefined ? '' : ` (init ${result.initDurationMs.toFixed(1)} ms)`}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// What the functions store

const dynamoItem = (item: Item) => ({ id: { S: item.id }, name: { S: item.name }, quantity: { N: String(item.quantity) } });

const SAMPLE: Item[] = [
  { id: 'A-1001', name: 'espresso beans', quantity: 3 },
  { id: 'A-1002', name: 'oat milk', quantity: 12 },
  { id: 'A-1003', name: 'paper cups', quantity: 250 },
];

const BATCH: Item[] = [
  { id: 'B-3001', name: 'crème fraîche', quantity: 2 },
  { id: 'B-3002', name: 'filter papers (size 4)', quantity: 100 },
  { id: 'B-3003', name: 'decaf "house" blend', quantity: 1 },
  { id: 'B-3004', name: 'ceramic mugs', quantity: 24 },
  { id: 'B-3005', name: 'chai concentrate', quantity: 6 },
];

const failuresOf = (response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((f) => f.itemIdentifier).sort();

// ---------------------------------------------------------------------------------------------

describe.skipIf(missing)('API (HTTP API → SQS)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await built('api', 'sqs');
  }, COLD_BUILD_TIMEOUT);

  it(
    'lambda-kit invoke, sample event: 201 with the item, and the item is the message in SQS',
    async () => {
      const queue = await createQueue();
      const result = await kit(dir, [], { QUEUE_URL: queue });
      expect(result.exitCode, result.stderr).toBe(0);
      const response = JSON.parse(result.stdout);
      expect(response.statusCode).toBe(201);
      expect(JSON.parse(response.body)).toEqual(SAMPLE[0]);
      expect(result.stderr).toContain(`Invoking AppFunction locally: `);
      expect(result.stderr).toMatch(/Duration [\d.]+ ms · Memory \d+\/512 MB · Init [\d.]+ ms \(cold start\)/);
      expect(await drainQueue(queue)).toEqual([compactItem(SAMPLE[0]!)]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'lambda-kit invoke --event, another caller’s request: 201, and the message carries the body as sent',
    async () => {
      const queue = await createQueue();
      const item = BATCH[0]!;
      const event = await writeEvent('pos-terminal.json', httpApiEvent(itemJson(item)));
      const result = await kit(dir, ['--event', event, '--env', `QUEUE_URL=${queue}`]);
      expect(result.exitCode, result.stderr).toBe(0);
      const response = JSON.parse(result.stdout);
      expect(response.statusCode).toBe(201);
      expect(response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response.body)).toEqual(item);
      expect(await drainQueue(queue)).toEqual([compactItem(item)]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'answers 400 for invalid JSON and for a missing field (naming it), 405 for GET, and stores nothing of them',
    async () => {
      const queue = await createQueue();
      const fn = await startFunction(dir, { ...moto.env, QUEUE_URL: queue });
      try {
        const notJson = payloadOf(await fn.invoke(httpApiEvent('{"id": "B-1", "name": ')));
        expect(notJson.statusCode).toBe(400);
        expect(JSON.parse(notJson.body).error).toMatch(/^body is not valid JSON: /);

        const noName = payloadOf(await fn.invoke(httpApiEvent('{"id": "B-2", "quantity": 3}')));
        expect(noName.statusCode).toBe(400);
        expect(JSON.parse(noName.body)).toEqual({ error: 'invalid item: missing field `name`' });

        const get = payloadOf(await fn.invoke(httpApiEvent('', { method: 'GET' })));
        expect(get.statusCode).toBe(405);

        // Base64 bodies (binary media types) are decoded before parsing.
        const encoded = payloadOf(await fn.invoke(httpApiEvent(itemJson(BATCH[1]!), { base64: true })));
        expect(encoded.statusCode).toBe(201);
      } finally {
        await fn.stop();
      }
      expect(await drainQueue(queue)).toEqual([compactItem(BATCH[1]!)]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'answers 503 without details while SQS is unreachable, then serves the next request in the same process',
    async () => {
      const queue = await createQueue();
      const port = await switchablePort(moto.port);
      const fn = await startFunction(dir, { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port.port}`, QUEUE_URL: queue });
      try {
        const down = await fn.invoke(httpApiEvent(itemJson(BATCH[2]!)));
        note('api → sqs, sink down (cold)', down);
        const response = payloadOf(down);
        expect(response.statusCode).toBe(503);
        expect(JSON.parse(response.body)).toEqual({ error: 'the service is unavailable, please try again later' });
        expect(response.body).not.toMatch(/127\.0\.0\.1|dispatch|connect|refused|sqs/i);
        // The cause is in the log, for the operator.
        expect(down.logs.join('\n')).toMatch(/could not store the item/);

        await port.open();
        const up = await fn.invoke(httpApiEvent(itemJson(BATCH[2]!)));
        note('api → sqs, warm', up);
        expect(payloadOf(up).statusCode).toBe(201);
        expect(up.initDurationMs).toBeUndefined();
      } finally {
        await fn.stop();
        await port.close();
      }
      expect(await drainQueue(queue)).toEqual([compactItem(BATCH[2]!)]);
    },
    INVOKE_TIMEOUT,
  );
});

describe.skipIf(missing)('Kinesis → SQS', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await built('kinesis', 'sqs');
  }, COLD_BUILD_TIMEOUT);

  it(
    'lambda-kit invoke, sample event: no failures, one message per record',
    async () => {
      const queue = await createQueue();
      const result = await kit(dir, ['--env', `QUEUE_URL=${queue}`]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ batchItemFailures: [] });
      expect(await drainQueue(queue)).toEqual(SAMPLE.map(compactItem).sort());
    },
    INVOKE_TIMEOUT,
  );

  it(
    'lambda-kit invoke, a batch from two shards of a KMS-encrypted stream: every record sent',
    async () => {
      const queue = await createQueue();
      const event = await writeEvent('two-shards.json', kinesisEvent('orders-stream', BATCH.map(itemJson), { kms: true }));
      const result = await kit(dir, ['--event', event], { QUEUE_URL: queue });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ batchItemFailures: [] });
      expect(await drainQueue(queue)).toEqual(BATCH.map(compactItem).sort());
    },
    INVOKE_TIMEOUT,
  );

  it(
    'a poisoned record is parked, not retried, and the others are sent',
    async () => {
      const [queue, poisonQueue] = await Promise.all([createQueue(), createQueue()]);
      const broken = '{"id": "B-9", "name": "broken';
      const event = kinesisEvent('orders-stream', [itemJson(BATCH[0]!), broken, itemJson(BATCH[1]!), itemJson(BATCH[2]!)]);
      const poisoned = event.Records[1]!.kinesis.sequenceNumber;
      const result = await kit(dir, ['--event', await writeEvent('poisoned.json', event)], {
        QUEUE_URL: queue,
        POISON_QUEUE_URL: poisonQueue,
      });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(failuresOf(JSON.parse(result.stdout))).toEqual([]);
      expect(result.stderr).toMatch(/WARN +poison record; parking it sequence_number=\d+ error="body is not valid JSON/);
      expect(await drainQueue(queue)).toEqual([BATCH[0]!, BATCH[1]!, BATCH[2]!].map(compactItem).sort());
      const parked = (await drainQueue(poisonQueue)).map((body) => JSON.parse(body));
      expect(parked).toMatchObject([{ payload: broken, payloadEncoding: 'text', source: { sequenceNumber: poisoned } }]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'reports every record while SQS is unreachable, then serves the next batch in the same process',
    async () => {
      const queue = await createQueue();
      const port = await switchablePort(moto.port);
      const fn = await startFunction(dir, { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port.port}`, QUEUE_URL: queue });
      const event = kinesisEvent('orders-stream', SAMPLE.map(itemJson));
      try {
        const down = await fn.invoke(event);
        note('kinesis → sqs, sink down (cold)', down);
        expect(failuresOf(payloadOf(down))).toEqual(event.Records.map((r) => r.kinesis.sequenceNumber).sort());
        await port.open();
        const up = await fn.invoke(event);
        note('kinesis → sqs, warm', up);
        expect(payloadOf(up)).toEqual({ batchItemFailures: [] });
      } finally {
        await fn.stop();
        await port.close();
      }
      expect(await drainQueue(queue)).toEqual(SAMPLE.map(compactItem).sort());
    },
    INVOKE_TIMEOUT,
  );
});

describe.skipIf(missing)('S3 → DynamoDB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await built('s3', 'dynamodb');
  }, COLD_BUILD_TIMEOUT);

  it(
    'lambda-kit invoke, sample event: the object’s record in DynamoDB, key decoded',
    async () => {
      const table = await createTable();
      const result = await kit(dir, ['--env', `TABLE_NAME=${table}`]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toBeNull();
      const sample = JSON.parse(await readFile(join(dir, 'events/s3.json'), 'utf8')).Records[0];
      const bucket: string = sample.s3.bucket.name;
      expect(await scanTable(table)).toEqual([
        {
          id: { S: `${bucket}/incoming/daily report (2026-05-01).csv` },
          bucket: { S: bucket },
          key: { S: 'incoming/daily report (2026-05-01).csv' },
          size: { N: String(sample.s3.object.size) },
          etag: { S: sample.s3.object.eTag },
          versionId: { S: sample.s3.object.versionId },
          eventName: { S: 'ObjectCreated:Put' },
          eventTime: { S: sample.eventTime },
          // The object's sequencer, zero-padded so that later events compare greater.
          sourceVersion: { S: sample.s3.object.sequencer.replace(/^0+/, '').padStart(64, '0') },
        },
      ]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'lambda-kit invoke, three uploads: keys with +, %2F, %2B and UTF-8 decoded, each recorded',
    async () => {
      const table = await createTable();
      const bucket = 'orders-inbox-123456789012-us-east-1';
      const event = s3Event(bucket, [
        {
          key: 'reports/Q1+summary%2Ffinal+%28v2%29.csv',
          size: 15_728_640,
          eventName: 'ObjectCreated:CompleteMultipartUpload',
          eTag: '5d41402abc4b2a76b9719d911017c592-3',
          versionId: 'Ki8.ZqH0c3Fv9w1bT2sY4nLp6rXe5uAj',
        },
        { key: 'menus/caf%C3%A9+menu.pdf', size: 20_480, eTag: '9e107d9d372bb6826bd81d3542a419d6' },
        { key: 'a%2Bb+c.txt', size: 0, eventName: 'ObjectCreated:Copy' },
      ]);
      const result = await kit(dir, ['--event', await writeEvent('uploads.json', event)], { TABLE_NAME: table });
      expect(result.exitCode, result.stderr).toBe(0);
      const items = await scanTable(table);
      expect(items.map((i) => i.key!.S)).toEqual(['a+b c.txt', 'menus/café menu.pdf', 'reports/Q1 summary/final (v2).csv']);
      expect(items[2]).toEqual({
        id: { S: `${bucket}/reports/Q1 summary/final (v2).csv` },
        bucket: { S: bucket },
        key: { S: 'reports/Q1 summary/final (v2).csv' },
        size: { N: '15728640' },
        etag: { S: '5d41402abc4b2a76b9719d911017c592-3' },
        versionId: { S: 'Ki8.ZqH0c3Fv9w1bT2sY4nLp6rXe5uAj' },
        eventName: { S: 'ObjectCreated:CompleteMultipartUpload' },
        eventTime: { S: '2026-05-01T09:30:00.250Z' },
        sourceVersion: { S: 'A1B2C3D4E5F67890'.padStart(64, '0') },
      });
      // Absent in the event, absent in the item.
      expect(items[0]).toMatchObject({ size: { N: '0' }, eventName: { S: 'ObjectCreated:Copy' } });
      expect(items[0]!.etag).toBeUndefined();
      expect(items[0]!.versionId).toBeUndefined();
    },
    INVOKE_TIMEOUT,
  );

  it(
    'fails the invocation while DynamoDB is unreachable (exit 1), then records in the same process',
    async () => {
      const table = await createTable();
      const port = await switchablePort(moto.port);
      const event = s3Event('orders-inbox-123456789012-us-east-1', [{ key: 'late/upload.json', size: 321 }]);

      const cli = await kit(dir, ['--event', await writeEvent('late.json', event)], {
        TABLE_NAME: table,
        AWS_ENDPOINT_URL: `http://127.0.0.1:${port.port}`,
      });
      expect(cli.exitCode).toBe(1);
      expect(cli.stderr).toMatch(/^lambda-kit: the function failed: .+: 1 object\(s\) could not be recorded; see the log$/m);

      const fn = await startFunction(dir, { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port.port}`, TABLE_NAME: table });
      try {
        const down = await fn.invoke(event);
        note('s3 → dynamodb, sink down (cold)', down);
        expect(down).toMatchObject({ outcome: 'error', errorMessage: '1 object(s) could not be recorded; see the log' });
        await port.open();
        const up = await fn.invoke(event);
        note('s3 → dynamodb, warm', up);
        expect(payloadOf(up)).toBeNull();
      } finally {
        await fn.stop();
        await port.close();
      }
      expect((await scanTable(table)).map((i) => i.key!.S)).toEqual(['late/upload.json']);
    },
    INVOKE_TIMEOUT,
  );
});

describe.skipIf(missing)('SQS → DynamoDB', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await built('sqs', 'dynamodb');
  }, COLD_BUILD_TIMEOUT);

  it(
    'lambda-kit invoke, sample event: no failures, one item per message',
    async () => {
      const table = await createTable();
      const result = await kit(dir, [], { TABLE_NAME: table });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ batchItemFailures: [] });
      expect(await scanTable(table)).toEqual(SAMPLE.map(dynamoItem));
    },
    INVOKE_TIMEOUT,
  );

  it(
    'lambda-kit invoke, a batch of five messages: every item stored with its types',
    async () => {
      const table = await createTable();
      const event = await writeEvent('batch.json', sqsEvent('orders-intake', BATCH.map(itemJson)));
      const result = await kit(dir, ['--event', event, '--env', `TABLE_NAME=${table}`]);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ batchItemFailures: [] });
      expect(await scanTable(table)).toEqual(BATCH.map(dynamoItem));
    },
    INVOKE_TIMEOUT,
  );

  it(
    'a poisoned message is parked on the dead-letter queue at once, not retried, and the others are stored',
    async () => {
      const [table, deadLetterQueue] = await Promise.all([createTable(), createQueue()]);
      const invalid = '{"id": "B-9", "quantity": 1}';
      const event = sqsEvent('orders-intake', [itemJson(BATCH[0]!), invalid, itemJson(BATCH[1]!)]);
      const poisoned = event.Records[1]!.messageId;
      const env = { TABLE_NAME: table, DEAD_LETTER_QUEUE_URL: deadLetterQueue };
      const result = await kit(dir, ['--event', await writeEvent('poisoned.json', event)], env);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(failuresOf(JSON.parse(result.stdout))).toEqual([]);
      expect(result.stderr).toContain('invalid item: missing field `name`');
      expect(await scanTable(table)).toEqual([BATCH[0]!, BATCH[1]!].map(dynamoItem));
      const parked = (await drainQueue(deadLetterQueue)).map((body) => JSON.parse(body));
      expect(parked).toEqual([
        {
          reason: 'invalid item: missing field `name`',
          source: { eventSourceArn: event.Records[1]!.eventSourceARN, messageId: poisoned },
          payload: invalid,
          payloadEncoding: 'text',
        },
      ]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'reports every message while DynamoDB is unreachable, then serves the next batch in the same process',
    async () => {
      const table = await createTable();
      const port = await switchablePort(moto.port);
      const fn = await startFunction(dir, { ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${port.port}`, TABLE_NAME: table });
      const event = sqsEvent('orders-intake', SAMPLE.map(itemJson));
      try {
        const down = await fn.invoke(event);
        note('sqs → dynamodb, sink down (cold)', down);
        expect(failuresOf(payloadOf(down))).toEqual(event.Records.map((r) => r.messageId).sort());
        await port.open();
        const up = await fn.invoke(event);
        note('sqs → dynamodb, warm', up);
        expect(payloadOf(up)).toEqual({ batchItemFailures: [] });
      } finally {
        await fn.stop();
        await port.close();
      }
      expect(await scanTable(table)).toEqual(SAMPLE.map(dynamoItem));
    },
    INVOKE_TIMEOUT,
  );

  it(
    'says which variable to set when the function stops at init for want of it (exit 1)',
    async () => {
      const result = await kit(dir, []);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('environment variable TABLE_NAME is not set');
      expect(result.stderr.trim().split('\n').at(-1)).toBe(
        'lambda-kit: the function exited with code 1 during init, before it took the event. Set TABLE_NAME (!Ref ResultsTable in template.yaml) with --env TABLE_NAME=<value>.',
      );
    },
    INVOKE_TIMEOUT,
  );
});
