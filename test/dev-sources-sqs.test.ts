/**
 * lambda-kit dev's SQS event source mapping against a real moto queue, with a scripted function:
 * what is deleted and what comes back after the visibility timeout, for each way a batch can
 * end; a long poll that an abort cuts short; an endpoint that accepts and never answers.
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { FAST_TIMING, startSource } from './support/source-harness.js';
import { awsEnv, clientConfig, motoForFile } from './support/moto.js';

const moto = motoForFile('the dev source tests');
let counter = 0;

const sqs = () => new SQSClient(clientConfig(moto));

/** A fresh queue whose messages come back `visibilityTimeout` seconds after a receive that did not delete them. */
async function queueWith(bodies: string[], visibilityTimeout = 1): Promise<{ url: string; arn: string; ids: string[] }> {
  const client = sqs();
  const name = `dev-source-${process.pid}-${++counter}`;
  const attributes = { VisibilityTimeout: String(visibilityTimeout) };
  const { QueueUrl: url } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const ids: string[] = [];
  if (bodies.length > 0) {
    const { Successful = [] } = await client.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.map((body, i) => ({
          Id: String(i),
          MessageBody: body,
          MessageAttributes: {
            origin: { DataType: 'String', StringValue: 'test' },
            blob: { DataType: 'Binary', BinaryValue: Buffer.from([0, 1, 2]) },
          },
        })),
      }),
    );
    for (const entry of Successful.sort((a, b) => Number(a.Id) - Number(b.Id))) ids.push(entry.MessageId!);
  }
  return { url: url!, arn: Attributes!.QueueArn!, ids };
}

/** What is left in the queue once every message is visible again: their bodies, sorted. */
async function leftInQueue(url: string): Promise<string[]> {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const { Messages = [] } = await sqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }));
  return Messages.map((m) => m.Body!).sort();
}

const settings = { kind: 'sqs' as const, batchSize: 10, maximumBatchingWindowInSeconds: 0, reportBatchItemFailures: true };
const env = () => moto.env;
const ids = (event: any): string[] => event.Records.map((r: any) => r.messageId);

describe.skipIf(moto.missing !== undefined)('SQS source against moto', () => {
  it('sends the event Lambda sends, deletes the good messages and keeps the one reported as failed, which comes back', async () => {
    const queue = await queueWith(['good one', 'poison', 'good two']);
    const poison = queue.ids[1]!;
    const source = startSource({ ...settings, target: queue.url, env: env() }, () => ({
      ok: true,
      answer: Buffer.from(JSON.stringify({ batchItemFailures: [{ itemIdentifier: poison }] })),
    }));
    try {
      await source.until(() => source.events.length >= 2, 'the poison message to come back');
    } finally {
      await source.stop();
    }
    const [first, second] = source.events;
    expect(ids(first).sort()).toEqual([...queue.ids].sort());
    const record = first.Records.find((r: any) => r.body === 'good one');
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      md5OfBody: createHash('md5').update('good one').digest('hex'),
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {
        origin: { stringValue: 'test', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: 'AAEC', dataType: 'Binary' },
      },
    });
    expect(record.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(record.receiptHandle).toEqual(expect.any(String));
    // At least once, as Lambda: the same message again, received a second time.
    expect(ids(second)).toEqual([poison]);
    expect(second.Records[0].attributes.ApproximateReceiveCount).toBe('2');
    expect(source.lines).toContain(
      'sqs: 3 records, 1 failed (batchItemFailures): deleted 2; kept 1, which comes back after the visibility timeout (1 s)',
    );
    expect(await leftInQueue(queue.url)).toEqual(['poison']);
  });

  it('deletes nothing when the function fails, and sends the same messages again', async () => {
    const queue = await queueWith(['a', 'b', 'c']);
    const source = startSource({ ...settings, target: queue.url, env: env() }, (_event, call) =>
      call === 1 ? { ok: false, error: 'HandlerError: boom' } : { ok: true, answer: null },
    );
    try {
      await source.until(() => source.events.length >= 2 && source.lines.length >= 3, 'the batch to come back and be deleted');
    } finally {
      await source.stop();
    }
    expect(ids(source.events[1]).sort()).toEqual([...queue.ids].sort());
    expect(source.lines[1]).toBe(
      'sqs: 3 records, function error (HandlerError: boom): deleted none; they come back after the visibility timeout (1 s)',
    );
    expect(source.lines[2]).toBe('sqs: 3 records, 0 failed: deleted 3');
    expect(await leftInQueue(queue.url)).toEqual([]);
  });

  it.each([
    ['not JSON', Buffer.from('{"batchItemFailures": ['), 'the answer is not JSON'],
    [
      'an unknown id',
      { batchItemFailures: [{ itemIdentifier: 'no-such-message' }] },
      'batchItemFailures names "no-such-message", which is no record of the batch',
    ],
    ['an empty id', { batchItemFailures: [{ itemIdentifier: '' }] }, 'a batchItemFailures entry has an empty itemIdentifier'],
  ])('keeps the whole batch when the answer is %s', async (_name, answer, why) => {
    const queue = await queueWith(['a', 'b', 'c']);
    const source = startSource({ ...settings, target: queue.url, env: env() }, () => ({ ok: true, answer }));
    try {
      await source.until(() => source.events.length >= 2, 'the batch to come back');
    } finally {
      await source.stop();
    }
    expect(ids(source.events[1]).sort()).toEqual([...queue.ids].sort());
    expect(source.lines[1]).toBe(`sqs: 3 records, all failed (${why}): deleted none; they come back after the visibility timeout (1 s)`);
  });

  it('deletes every message when the mapping has no ReportBatchItemFailures, whatever the answer lists', async () => {
    const queue = await queueWith(['a', 'b']);
    const answer = { batchItemFailures: [{ itemIdentifier: queue.ids[0] }] };
    const source = startSource({ ...settings, reportBatchItemFailures: false, target: queue.url, env: env() }, () => ({
      ok: true,
      answer,
    }));
    try {
      await source.until(() => source.lines.length >= 2, 'the batch to be settled');
    } finally {
      await source.stop();
    }
    expect(source.lines[1]).toBe('sqs: 2 records, 0 failed: deleted 2');
    expect(await leftInQueue(queue.url)).toEqual([]);
  });

  it('gathers messages sent within the batching window into one batch', async () => {
    const queue = await queueWith(['early'], 30);
    const source = startSource({ ...settings, maximumBatchingWindowInSeconds: 2, target: queue.url, env: env() }, () => ({
      ok: true,
      answer: null,
    }));
    try {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await sqs().send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [{ Id: '0', MessageBody: 'late' }] }));
      await source.until(() => source.events.length >= 1, 'a batch');
    } finally {
      await source.stop();
    }
    expect(source.events[0].Records.map((r: any) => r.body).sort()).toEqual(['early', 'late']);
  });

  it('passes a message delivered twice within one batching window twice, as Lambda would, and deletes both deliveries', async () => {
    // The window (2 s) outlasts the visibility timeout (1 s): SQS hands the same message out again meanwhile.
    const queue = await queueWith(['twice'], 1);
    const source = startSource({ ...settings, maximumBatchingWindowInSeconds: 2, target: queue.url, env: env() }, () => ({
      ok: true,
      answer: null,
    }));
    try {
      await source.until(() => source.lines.length >= 2, 'a batch to be settled');
    } finally {
      await source.stop();
    }
    const records = source.events[0].Records;
    expect(records.map((r: any) => r.messageId)).toEqual([queue.ids[0], queue.ids[0]]);
    expect(records.map((r: any) => r.attributes.ApproximateReceiveCount)).toEqual(['1', '2']);
    expect(source.lines[1]).toBe('sqs: 2 records, 0 failed: deleted 2');
    expect(await leftInQueue(queue.url)).toEqual([]);
  });

  it("ends a batch before Lambda's 6 MB limit, and hands the messages past it back at once for the next batch", async () => {
    // 30 messages of 250 KB: 7.5 MB, more than one invoke may carry. A long visibility timeout: what comes back quickly was handed back.
    const queue = await queueWith([], 60);
    const bodies = Array.from({ length: 30 }, (_, i) => `${String(i).padStart(2, '0')}${'x'.repeat(250_000)}`);
    // SQS takes 1 MiB per SendMessageBatch: four of these.
    for (let start = 0; start < bodies.length; start += 4) {
      const entries = bodies.slice(start, start + 4).map((body, i) => ({ Id: String(i), MessageBody: body }));
      await sqs().send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: entries }));
    }
    const source = startSource({ ...settings, batchSize: 100, maximumBatchingWindowInSeconds: 1, target: queue.url, env: env() }, () => ({
      ok: true,
      answer: null,
    }));
    try {
      await source.until(() => source.events.flatMap((e) => e.Records).length >= 30, 'every message', 15_000);
    } finally {
      await source.stop();
    }
    const sizes = source.events.map((event) => Buffer.byteLength(JSON.stringify(event)));
    expect(source.events.length).toBeGreaterThanOrEqual(2);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(6_291_456);
    const received = source.events.flatMap((event) => event.Records.map((r: any) => r.body.slice(0, 2))).sort();
    expect(received).toEqual(bodies.map((body) => body.slice(0, 2)));
  });

  it('returns promptly when aborted in the middle of a 20-second long poll', async () => {
    const queue = await queueWith([]);
    const source = startSource({ ...settings, target: queue.url, env: env(), timing: { ...FAST_TIMING, longPollSeconds: 20 } }, () => ({
      ok: true,
      answer: null,
    }));
    await source.until(() => source.lines.length >= 1, 'polling to start');
    // Well into the long poll, which moto holds open for 20 s.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const abortedAt = Date.now();
    await source.stop();
    expect(source.settledAt()! - abortedAt).toBeLessThan(1000);
    expect(source.events).toEqual([]);
  });

  it('is a one-line error when the queue does not exist', async () => {
    const source = startSource({ ...settings, target: `${moto.endpoint}/123456789012/no-such-queue`, env: env() }, () => ({
      ok: true,
      answer: null,
    }));
    const error = await source.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^sqs: GetQueueAttributes: QueueDoesNotExist: [^\n]+$/);
  });
});

describe('SQS source against an endpoint that accepts and never answers', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let connections = 0;

  beforeAll(async () => {
    server = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('gives each call a bounded time, logs it, retries with back-off, and still stops at once on abort', async () => {
    const endpoint = `http://127.0.0.1:${port}`;
    const timing = { ...FAST_TIMING, callGraceMs: 300, firstBackoffMs: 100, maxBackoffMs: 200 };
    const credentials = awsEnv(endpoint);
    const source = startSource({ ...settings, target: `${endpoint}/123456789012/q`, env: credentials, timing }, () => ({
      ok: true,
      answer: null,
    }));
    const startedAt = Date.now();
    await source.until(() => source.lines.length >= 3, 'three failed attempts', 10_000);
    // Three attempts of 0.3 s with pauses of 0.1, 0.2, 0.2 s: bounded, neither hung nor spinning.
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(source.lines.slice(0, 3)).toEqual([
      'sqs: GetQueueAttributes: no answer in 0.3 s; retrying in 0.1 s',
      'sqs: GetQueueAttributes: no answer in 0.3 s; retrying in 0.2 s',
      'sqs: GetQueueAttributes: no answer in 0.3 s; retrying in 0.2 s',
    ]);
    expect(connections).toBeGreaterThanOrEqual(3);
    const abortedAt = Date.now();
    await source.stop();
    expect(source.settledAt()! - abortedAt).toBeLessThan(500);
    expect(source.events).toEqual([]);
  });

  it('stops at once when aborted while a call hangs, and reports no failure', async () => {
    const endpoint = `http://127.0.0.1:${port}`;
    const credentials = awsEnv(endpoint);
    const before = connections;
    const timing = { ...FAST_TIMING, callGraceMs: 20_000 };
    const source = startSource({ ...settings, target: `${endpoint}/123456789012/q`, env: credentials, timing }, () => ({
      ok: true,
      answer: null,
    }));
    await source.until(() => connections > before, 'the call to reach the endpoint', 5000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const abortedAt = Date.now();
    await source.stop();
    expect(source.settledAt()! - abortedAt).toBeLessThan(500);
    expect(source.lines).toEqual([]);
  });
});
