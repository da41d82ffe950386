/**
 * lambda-kit dev's S3 notifications against a real moto bucket, with a scripted function: the
 * objects there when dev starts send nothing; each object put afterwards sends one
 * ObjectCreated:Put event, as S3 writes it.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { FAST_TIMING, startSource } from './support/source-harness.js';
import { clientConfig, motoForFile } from './support/moto.js';

const moto = motoForFile('the dev source tests');
let counter = 0;

const s3 = () => new S3Client({ ...clientConfig(moto), forcePathStyle: true });

async function bucketWith(keys: string[]): Promise<string> {
  const bucket = `dev-bucket-${process.pid}-${++counter}`;
  await s3().send(new CreateBucketCommand({ Bucket: bucket }));
  for (const key of keys) await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `old ${key}` }));
  return bucket;
}

const settings = { kind: 's3' as const, batchSize: 1, maximumBatchingWindowInSeconds: 0, reportBatchItemFailures: false };
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(moto.missing !== undefined)('S3 source against moto', () => {
  it('sends one ObjectCreated:Put event per object put after dev started, and none for the objects already there', async () => {
    const bucket = await bucketWith(['a.txt', 'photos/old.jpg']);
    const source = startSource({ ...settings, target: bucket, env: moto.env }, () => ({ ok: true, answer: null }));
    const key = 'photos/my cat+dog (1).jpg';
    const body = 'new photo';
    try {
      await source.until(() => source.lines.length >= 1, 'the baseline listing');
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      await source.until(() => source.events.length >= 1, 'the event');
      // Several more listings: the object sends no second event.
      await pause(600);
      expect(source.events).toHaveLength(1);
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'put again, as S3 sends an event for each put' }));
      await source.until(() => source.events.length >= 2, 'the event of the second put');
    } finally {
      await source.stop();
    }
    expect(source.lines[0]).toBe(
      `s3: watching bucket ${bucket}: the 2 objects in it now send no event; each new one sends ObjectCreated:Put`,
    );
    const [first, second] = source.events;
    expect(first.Records).toHaveLength(1);
    const [record] = first.Records;
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: 'us-east-1',
      eventName: 'ObjectCreated:Put',
      s3: {
        s3SchemaVersion: '1.0',
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: { key: 'photos/my+cat%2Bdog+%281%29.jpg', size: body.length, eTag: createHash('md5').update(body).digest('hex') },
      },
    });
    expect(new Date(record.eventTime).toISOString()).toBe(record.eventTime);
    expect(record.s3.object.sequencer).toMatch(/^[0-9A-F]{16}$/);
    expect(second.Records[0].s3.object.key).toBe(record.s3.object.key);
    expect(second.Records[0].s3.object.sequencer > record.s3.object.sequencer).toBe(true);
    expect(source.lines[1]).toBe(`s3: ObjectCreated:Put "${key}" (9 bytes): done`);
  });

  it('says when the function fails on an object, and goes on with the next', async () => {
    const bucket = await bucketWith([]);
    const source = startSource({ ...settings, target: `arn:aws:s3:::${bucket}`, env: moto.env }, (event) =>
      event.Records[0].s3.object.key === 'bad.json' ? { ok: false, error: 'HandlerError: bad' } : { ok: true, answer: null },
    );
    try {
      await source.until(() => source.lines.length >= 1, 'the baseline listing');
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'bad.json', Body: '{' }));
      await source.until(() => source.events.length >= 1, 'the first event');
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: 'good.json', Body: '{}' }));
      await source.until(() => source.events.length >= 2, 'the second event');
    } finally {
      await source.stop();
    }
    expect(source.lines.slice(0, 3)).toEqual([
      `s3: watching bucket ${bucket}: the 0 objects in it now send no event; each new one sends ObjectCreated:Put`,
      's3: ObjectCreated:Put "bad.json" (1 byte): function error (HandlerError: bad); Lambda would retry it twice, dev does not',
      's3: ObjectCreated:Put "good.json" (2 bytes): done',
    ]);
  });

  it("sends events only for keys that match the notification's prefix and suffix", async () => {
    const bucket = await bucketWith([]);
    const keyFilter = { prefix: 'uploads/', suffix: '.jpg' };
    const source = startSource({ ...settings, target: bucket, env: moto.env, keyFilter }, () => ({ ok: true, answer: null }));
    try {
      await source.until(() => source.lines.length >= 1, 'the baseline listing');
      for (const key of ['uploads/notes.txt', 'other/cat.jpg', 'uploads/cat.jpg']) {
        await s3().send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' }));
      }
      await source.until(() => source.events.length >= 1, 'the event');
      await pause(500);
    } finally {
      await source.stop();
    }
    expect(source.lines[0]).toBe(
      `s3: watching bucket ${bucket}: the 0 objects in it now send no event; each new one starting "uploads/" and ending ".jpg" sends ObjectCreated:Put`,
    );
    expect(source.events.map((event) => event.Records[0].s3.object.key)).toEqual(['uploads/cat.jpg']);
  });

  it('stops at once when aborted between listings', async () => {
    const bucket = await bucketWith([]);
    const timing = { ...FAST_TIMING, idlePollMs: 10_000 };
    const source = startSource({ ...settings, target: bucket, env: moto.env, timing }, () => ({ ok: true, answer: null }));
    await source.until(() => source.lines.length >= 1, 'the baseline listing');
    const abortedAt = Date.now();
    await source.stop();
    expect(source.settledAt()! - abortedAt).toBeLessThan(500);
  });

  it('is a one-line error when the bucket does not exist', async () => {
    const source = startSource({ ...settings, target: 'no-such-bucket-here', env: moto.env }, () => ({ ok: true, answer: null }));
    const error = await source.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/^s3: ListObjectsV2: NoSuchBucket[^\n]*$/);
  });
});
