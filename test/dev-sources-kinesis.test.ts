/**
 * lambda-kit dev's Kinesis event source mapping against a real moto stream, with a scripted
 * function: the event Lambda sends, reading from LATEST or TRIM_HORIZON, resuming from the lowest
 * failed sequence number, and retrying a failed batch a bounded number of times, with pauses.
 */
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  KinesisClient,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { FAST_TIMING, startSource } from './support/source-harness.js';
import { clientConfig, motoForFile } from './support/moto.js';

const moto = motoForFile('the dev source tests');
let counter = 0;

const kinesis = () =>
  new KinesisClient({
    ...clientConfig(moto),
    // moto speaks HTTP/1.1 only; the Kinesis client's default is HTTP/2.
    requestHandler: new NodeHttpHandler(),
  });

async function createStream(): Promise<{ name: string; arn: string }> {
  const name = `dev-stream-${process.pid}-${++counter}`;
  await kinesis().send(new CreateStreamCommand({ StreamName: name, ShardCount: 1 }));
  const { StreamDescriptionSummary } = await kinesis().send(new DescribeStreamSummaryCommand({ StreamName: name }));
  return { name, arn: StreamDescriptionSummary!.StreamARN! };
}

/** Puts the texts in one request, so that they appear together; returns their sequence numbers. */
async function putTogether(stream: string, texts: string[]): Promise<string[]> {
  const { Records = [] } = await kinesis().send(
    new PutRecordsCommand({ StreamName: stream, Records: texts.map((text) => ({ Data: Buffer.from(text), PartitionKey: 'orders' })) }),
  );
  return Records.map((record) => record.SequenceNumber!);
}

/** Puts each text as one record, in order; returns their sequence numbers. */
async function put(stream: string, texts: string[]): Promise<string[]> {
  const sequenceNumbers: string[] = [];
  for (const text of texts) {
    const { SequenceNumber } = await kinesis().send(
      new PutRecordCommand({ StreamName: stream, Data: Buffer.from(text), PartitionKey: 'orders' }),
    );
    sequenceNumbers.push(SequenceNumber!);
  }
  return sequenceNumbers;
}

const settings = { kind: 'kinesis' as const, batchSize: 100, maximumBatchingWindowInSeconds: 0, reportBatchItemFailures: true };
const texts = (event: any): string[] => event.Records.map((r: any) => Buffer.from(r.kinesis.data, 'base64').toString());
const sequenceNumbers = (event: any): string[] => event.Records.map((r: any) => r.kinesis.sequenceNumber);

describe.skipIf(moto.missing !== undefined)('Kinesis source against moto', () => {
  it('reads from LATEST by default, and sends the event Lambda sends', async () => {
    const stream = await createStream();
    await put(stream.name, ['before dev started']);
    const source = startSource({ ...settings, target: stream.arn, env: moto.env }, () => ({ ok: true, answer: { batchItemFailures: [] } }));
    let sent: string[] = [];
    const putAt = Date.now();
    try {
      await source.until(() => source.lines.length >= 1, 'reading to start');
      sent = await putTogether(stream.name, ['{"id":1}', 'two', 'three']);
      await source.until(() => source.events.length >= 1 && source.lines.length >= 2, 'a batch');
    } finally {
      await source.stop();
    }
    expect(source.lines[0]).toBe(
      `kinesis: reading 1 shard of ${stream.name} from LATEST (batch size 100, batching window 0 s, ReportBatchItemFailures)`,
    );
    expect(source.events).toHaveLength(1);
    const [event] = source.events;
    expect(texts(event)).toEqual(['{"id":1}', 'two', 'three']);
    const [record] = event.Records;
    expect(record).toMatchObject({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: 'orders',
        sequenceNumber: sent[0],
        data: Buffer.from('{"id":1}').toString('base64'),
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `shardId-000000000000:${sent[0]}`,
      eventName: 'aws:kinesis:record',
      awsRegion: 'us-east-1',
      eventSourceARN: stream.arn,
    });
    // Epoch seconds, with a fraction, as Lambda sends it.
    expect(Math.abs(record.kinesis.approximateArrivalTimestamp - putAt / 1000)).toBeLessThan(30);
    expect(source.lines[1]).toBe(`kinesis: shardId-000000000000: 3 records, 0 failed: done up to ${sent[2]}`);
  });

  it('resumes from the lowest failed sequence number, and sends what came before it only once', async () => {
    const stream = await createStream();
    const sent = await put(stream.name, ['one', 'two', 'three', 'four']);
    // The function reports two and four as failed the first time, and nothing after.
    const failed = { batchItemFailures: [{ itemIdentifier: sent[3] }, { itemIdentifier: sent[1] }] };
    const source = startSource({ ...settings, startingPosition: 'TRIM_HORIZON', target: stream.arn, env: moto.env }, (_event, call) => ({
      ok: true,
      answer: call === 1 ? failed : {},
    }));
    try {
      await source.until(() => source.events.length >= 2 && source.lines.length >= 3, 'the retry');
      // Time for a wrong third delivery to show.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await source.stop();
    }
    expect(source.events.map(sequenceNumbers)).toEqual([sent, sent.slice(1)]);
    expect(source.lines.slice(1)).toEqual([
      `kinesis: shardId-000000000000: 4 records, 2 failed (batchItemFailures): retry 1 of 10 from ${sent[1]} in 0.1 s`,
      `kinesis: shardId-000000000000: 3 records, 0 failed: done up to ${sent[3]}`,
    ]);
  });

  it('retries a batch whose function fails with pauses that grow, gives up after MaximumRetryAttempts, and reads on', async () => {
    const stream = await createStream();
    const sent = await put(stream.name, ['poison']);
    const calls: number[] = [];
    const source = startSource(
      { ...settings, startingPosition: 'TRIM_HORIZON', maximumRetryAttempts: 2, target: stream.arn, env: moto.env },
      (event) => {
        calls.push(Date.now());
        return texts(event).includes('poison') ? { ok: false, error: 'HandlerError: cannot read poison' } : { ok: true, answer: null };
      },
    );
    let after: string[] = [];
    try {
      await source.until(() => source.lines.some((line) => line.includes('gave up')), 'giving up');
      after = await put(stream.name, ['next']);
      await source.until(() => source.events.length >= 4, 'the next record');
    } finally {
      await source.stop();
    }
    expect(source.events.map(texts)).toEqual([['poison'], ['poison'], ['poison'], ['next']]);
    const shard = 'kinesis: shardId-000000000000: 1 record, function error (HandlerError: cannot read poison)';
    expect(source.lines.slice(1, 4)).toEqual([
      `${shard}: retry 1 of 2 from ${sent[0]} in 0.1 s`,
      `${shard}: retry 2 of 2 from ${sent[0]} in 0.2 s`,
      `${shard}: gave up after 2 retries (MaximumRetryAttempts); skipping to after ${sent[0]}`,
    ]);
    expect(sequenceNumbers(source.events[3])).toEqual(after);
    // Not spinning: the pauses come between the attempts.
    expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(100);
    expect(calls[2]! - calls[1]!).toBeGreaterThanOrEqual(200);
  });

  it('gathers the records that arrive within the batching window into one batch', async () => {
    const stream = await createStream();
    await put(stream.name, ['early']);
    const source = startSource(
      { ...settings, startingPosition: 'TRIM_HORIZON', maximumBatchingWindowInSeconds: 2, target: stream.arn, env: moto.env },
      () => ({ ok: true, answer: null }),
    );
    try {
      await new Promise((resolve) => setTimeout(resolve, 700));
      await put(stream.name, ['late']);
      await source.until(() => source.events.length >= 1, 'a batch');
    } finally {
      await source.stop();
    }
    expect(source.events.map(texts)).toEqual([['early', 'late']]);
  });

  it("ends a batch before Lambda's 6 MB limit, and reads the rest in the next", async () => {
    const stream = await createStream();
    // Seven records of 1 MB: 9.3 MB in base64, more than one invoke may carry.
    const sent = await put(
      stream.name,
      Array.from({ length: 7 }, (_, i) => `${i}${'k'.repeat(1_000_000 - 1)}`),
    );
    const source = startSource({ ...settings, startingPosition: 'TRIM_HORIZON', target: stream.arn, env: moto.env }, () => ({
      ok: true,
      answer: null,
    }));
    try {
      await source.until(() => source.events.flatMap((e) => e.Records).length >= 7, 'every record');
    } finally {
      await source.stop();
    }
    expect(source.events.map(sequenceNumbers)).toEqual([sent.slice(0, 4), sent.slice(4)]);
    for (const event of source.events) expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThanOrEqual(6_291_456);
  });

  it('stops at once when aborted between polls of an idle shard', async () => {
    const stream = await createStream();
    const timing = { ...FAST_TIMING, idlePollMs: 10_000 };
    const source = startSource({ ...settings, target: stream.arn, env: moto.env, timing }, () => ({ ok: true, answer: null }));
    await source.until(() => source.lines.length >= 1, 'reading to start');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const abortedAt = Date.now();
    await source.stop();
    expect(source.settledAt()! - abortedAt).toBeLessThan(500);
  });

  it('is a one-line error when the stream does not exist', async () => {
    const source = startSource(
      { ...settings, target: 'arn:aws:kinesis:us-east-1:123456789012:stream/no-such-stream', env: moto.env },
      () => ({
        ok: true,
        answer: null,
      }),
    );
    const error = await source.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^kinesis: ListShards: ResourceNotFoundException[^\n]*$/);
  });
});
