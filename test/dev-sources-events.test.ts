/**
 * The pure parts of lambda-kit dev's event source mappings: reading a batch answer as Lambda
 * does, the events' builders (S3's key encoding above all), which listed objects are new, and
 * the settings read from template.yaml. Property-based where the input space is wide.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { readBatchResponse } from '../src/dev/sources/batch-response.js';
import { compareSequenceNumbers } from '../src/dev/sources/kinesis-event.js';
import { NewObjectTracker } from '../src/dev/sources/new-objects.js';
import { keyFromS3EventKey, s3EventKey, s3Sequencer, type ListedObject } from '../src/dev/sources/s3-event.js';
import { eventSourcesOf } from '../src/dev/sources/source-settings.js';
import { sqsEventRecord } from '../src/dev/sources/sqs-event.js';
import { runSource } from '../src/dev/sources/run-source.js';
import { queueRegion } from '../src/dev/sources/sqs-source.js';

const ids = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 12 });
/** The forms the dev loop may hand an answer over in: bytes, text, or parsed. */
const asBytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const forms = (value: unknown) => [value, JSON.stringify(value), asBytes(value)];

describe('readBatchResponse', () => {
  it('reports exactly the listed records, in the batch order, whatever the order and repeats of the list, in every form', () => {
    fc.assert(
      fc.property(ids, fc.func(fc.boolean()), fc.integer({ min: 0, max: 2 }), (batch, pick, repeats) => {
        const failed = batch.filter((id) => pick(id));
        const listed = [...failed, ...failed.slice(0, repeats)].reverse().map((itemIdentifier) => ({ itemIdentifier }));
        for (const answer of forms({ batchItemFailures: listed })) {
          const verdict = readBatchResponse(answer, batch);
          expect(verdict).toEqual(failed.length === 0 ? { kind: 'all-succeeded' } : { kind: 'some-failed', failed });
        }
      }),
    );
  });

  it('fails the whole batch when one listed identifier names no record of it', () => {
    fc.assert(
      fc.property(ids, fc.string({ minLength: 1 }), (batch, stranger) => {
        fc.pre(!batch.includes(stranger));
        const verdict = readBatchResponse({ batchItemFailures: [{ itemIdentifier: batch[0] }, { itemIdentifier: stranger }] }, batch);
        expect(verdict.kind).toBe('whole-batch-failed');
      }),
    );
  });

  it('takes the empty answers Lambda takes as success, and fails the batch on those it cannot trust', () => {
    const batch = ['m-1', 'm-2'];
    for (const success of [null, undefined, {}, '', Buffer.alloc(0), { batchItemFailures: [] }, { batchItemFailures: null }, 'null']) {
      expect(readBatchResponse(success, batch), JSON.stringify(success)).toEqual({ kind: 'all-succeeded' });
    }
    const failures: [unknown, string][] = [
      ['{"batchItemFailures": [', 'the answer is not JSON'],
      [Buffer.from([0xff, 0xfe]), 'the answer is not JSON'],
      [[{ itemIdentifier: 'm-1' }], 'the answer is not an object with batchItemFailures'],
      ['"done"', 'the answer is not an object with batchItemFailures'],
      [{ batchItemFailures: 'm-1' }, 'batchItemFailures is not a list'],
      [{ batchItemFailures: [{ id: 'm-1' }] }, 'a batchItemFailures entry has no itemIdentifier'],
      [{ batchItemFailures: ['m-1'] }, 'a batchItemFailures entry has no itemIdentifier'],
      [{ batchItemFailures: [{ itemIdentifier: null }] }, 'a batchItemFailures entry has an empty itemIdentifier'],
      [{ batchItemFailures: [{ itemIdentifier: 7 }] }, 'a batchItemFailures entry has an empty itemIdentifier'],
      [
        { batchItemFailures: [{ itemIdentifier: 'm-\u001b[2J' }] },
        'batchItemFailures names "m-\\u001b[2J", which is no record of the batch',
      ],
    ];
    for (const [answer, why] of failures)
      expect(readBatchResponse(answer, batch), String(answer)).toEqual({ kind: 'whole-batch-failed', why });
  });

  it('never throws, whatever the function answers', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.uint8Array(), fc.string()), ids, (answer, batch) => {
        expect(['all-succeeded', 'some-failed', 'whole-batch-failed']).toContain(readBatchResponse(answer, batch).kind);
      }),
    );
  });
});

describe('S3 event keys', () => {
  it('encode as S3 writes them in events', () => {
    expect(s3EventKey('photos/my cat+dog (1).jpg')).toBe('photos/my+cat%2Bdog+%281%29.jpg');
    expect(s3EventKey('year=2024/month:07/a~b!c*d_e-f.g')).toBe('year%3D2024/month%3A07/a%7Eb%21c*d_e-f.g');
    expect(s3EventKey('café/日本.txt')).toBe('caf%C3%A9/%E6%97%A5%E6%9C%AC.txt');
  });

  it('decode back to the key, as a handler decodes them, for any key', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (key) => {
        const encoded = s3EventKey(key);
        expect(encoded).toMatch(/^[A-Za-z0-9.*_\-/+%]*$/);
        expect(keyFromS3EventKey(encoded)).toBe(key);
      }),
    );
  });

  it('sequencers of later puts sort after earlier ones', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 44 }), fc.integer({ min: 0, max: 2 ** 44 }), fc.nat(0xfffe), (a, b, counter) => {
        const [x, y] = [s3Sequencer(new Date(Math.min(a, b)), counter), s3Sequencer(new Date(Math.max(a, b)), counter + 1)];
        expect(x < y).toBe(true);
        expect(x).toHaveLength(y.length);
      }),
    );
  });
});

describe('Kinesis sequence numbers', () => {
  it('compare as numbers, not as text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 56n }), fc.bigInt({ min: 0n, max: 10n ** 56n }), (a, b) => {
        expect(compareSequenceNumbers(String(a), String(b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
  });
});

describe('NewObjectTracker', () => {
  const object = (key: string, time: number, eTag = `"${key}-${time}"`): ListedObject => ({
    key,
    size: 1,
    eTag,
    lastModified: new Date(time),
  });

  /** Rounds of puts at ever later times, listed after each round: the bucket as S3 would list it. */
  const rounds = fc.array(
    fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd/e f', 'g', 'h'), fc.integer({ min: 1, max: 5000 })), { maxLength: 6 }),
    {
      minLength: 1,
      maxLength: 8,
    },
  );

  it('reports each object put after the baseline once, per put, and never one from the baseline, whatever its cap', () => {
    fc.assert(
      fc.property(rounds, fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 100_000 }), (puts, cap, windowMs) => {
        const tracker = new NewObjectTracker(windowMs, cap);
        const bucket = new Map<string, ListedObject>();
        let clock = 1_700_000_000_000;
        const list = () => {
          for (const o of bucket.values()) tracker.see(o);
          return tracker.endListing();
        };
        const [baseline, ...later] = puts;
        for (const [key, step] of baseline!) {
          clock += step;
          bucket.set(key, object(key, clock));
        }
        expect(list()).toEqual([]);
        for (const round of later) {
          const expected = new Map<string, ListedObject>();
          for (const [key, step] of round) {
            clock += step;
            const put = object(key, clock);
            bucket.set(key, put);
            expected.set(key, put);
          }
          expect(new Set(list())).toEqual(new Set(expected.values()));
          expect(tracker.size).toBeLessThanOrEqual(cap);
          // Listed again with nothing new: nothing to report.
          expect(list()).toEqual([]);
        }
      }),
    );
  });

  it('reports an object that shows up late with an older time than newer ones, within the window', () => {
    const tracker = new NewObjectTracker(60_000, 100);
    tracker.endListing();
    tracker.see(object('new', 100_000));
    expect(tracker.endListing().map((o) => o.key)).toEqual(['new']);
    tracker.see(object('new', 100_000));
    tracker.see(object('slow upload', 90_000));
    expect(tracker.endListing().map((o) => o.key)).toEqual(['slow upload']);
  });

  it('forgets a listing that failed half way, so the next one reports its objects', () => {
    const tracker = new NewObjectTracker();
    tracker.endListing();
    tracker.see(object('x', 5));
    tracker.abandonListing();
    tracker.see(object('x', 5));
    expect(tracker.endListing().map((o) => o.key)).toEqual(['x']);
  });
});

describe('sqsEventRecord', () => {
  it('carries every part of a message as Lambda names it', () => {
    fc.assert(
      fc.property(fc.string(), fc.uint8Array({ maxLength: 20 }), fc.array(fc.string(), { maxLength: 3 }), (body, bytes, list) => {
        const record = sqsEventRecord(
          {
            MessageId: 'id-1',
            ReceiptHandle: 'rh',
            Body: body,
            MD5OfBody: 'md5',
            Attributes: { ApproximateReceiveCount: '3' },
            MessageAttributes: {
              bin: { DataType: 'Binary', BinaryValue: bytes },
              list: { DataType: 'String.List', StringListValues: list },
            },
          },
          'arn:aws:sqs:eu-west-1:123456789012:q',
          'eu-west-1',
        );
        expect(record.body).toBe(body);
        expect(Buffer.from(record.messageAttributes.bin!.binaryValue!, 'base64')).toEqual(Buffer.from(bytes));
        expect(record.messageAttributes.list).toEqual({ stringListValues: list, binaryListValues: [], dataType: 'String.List' });
        expect(record).toMatchObject({
          messageId: 'id-1',
          receiptHandle: 'rh',
          attributes: { ApproximateReceiveCount: '3' },
          eventSource: 'aws:sqs',
          awsRegion: 'eu-west-1',
        });
      }),
    );
  });
});

describe('eventSourcesOf', () => {
  const template = (events: string, extra = '') =>
    parseCfnYaml(`
Parameters:
  Batch:
    Type: Number
    Default: 25
${extra}
Resources:
  InputQueue:
    Type: AWS::SQS::Queue
  InputStream:
    Type: AWS::Kinesis::Stream
  InputBucket:
    Type: AWS::S3::Bucket
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
${events
  .trim()
  .split('\n')
  .map((line) => `        ${line}`)
  .join('\n')}
`);

  it('reads the settings of the generated SQS, Kinesis and S3 triggers, with Lambda defaults for the rest', () => {
    const events = `
QueueMessages:
  Type: SQS
  Properties:
    Queue: !GetAtt InputQueue.Arn
    BatchSize: 10
    FunctionResponseTypes:
      - ReportBatchItemFailures
StreamRecords:
  Type: Kinesis
  Properties:
    Stream: !GetAtt InputStream.Arn
    StartingPosition: TRIM_HORIZON
    BatchSize: !Ref Batch
    MaximumBatchingWindowInSeconds: 5
    MaximumRetryAttempts: 3
ObjectCreated:
  Type: S3
  Properties:
    Bucket: !Ref InputBucket
    Events: s3:ObjectCreated:*
Api:
  Type: HttpApi
  Properties:
    Path: /items
    Method: POST
`;
    expect(eventSourcesOf(template(events), 'AppFunction')).toEqual([
      {
        eventName: 'QueueMessages',
        kind: 'sqs',
        batchSize: 10,
        maximumBatchingWindowInSeconds: 0,
        reportBatchItemFailures: true,
        startingPosition: undefined,
        startingPositionTimestamp: undefined,
        maximumRetryAttempts: undefined,
        enabled: true,
        source: { logicalId: 'InputQueue' },
        keyFilter: undefined,
      },
      {
        eventName: 'StreamRecords',
        kind: 'kinesis',
        batchSize: 25,
        maximumBatchingWindowInSeconds: 5,
        reportBatchItemFailures: false,
        startingPosition: 'TRIM_HORIZON',
        startingPositionTimestamp: undefined,
        maximumRetryAttempts: 3,
        enabled: true,
        source: { logicalId: 'InputStream' },
        keyFilter: undefined,
      },
      {
        eventName: 'ObjectCreated',
        kind: 's3',
        batchSize: 1,
        maximumBatchingWindowInSeconds: 0,
        reportBatchItemFailures: false,
        startingPosition: undefined,
        startingPositionTimestamp: undefined,
        maximumRetryAttempts: undefined,
        enabled: true,
        source: { logicalId: 'InputBucket' },
        keyFilter: undefined,
      },
    ]);
  });

  it('fills in Lambda defaults, and takes a literal ARN as the source', () => {
    const [sqs, longForm, kinesis] = eventSourcesOf(
      template(`
Q:
  Type: SQS
  Properties:
    Queue: arn:aws:sqs:us-east-1:123456789012:orders
    Enabled: false
LongForm:
  Type: SQS
  Properties:
    Queue:
      Fn::GetAtt: InputQueue.Arn
K:
  Type: Kinesis
  Properties:
    Stream: arn:aws:kinesis:us-east-1:123456789012:stream/orders
    MaximumRetryAttempts: -1
`),
      'AppFunction',
    );
    expect(sqs).toMatchObject({
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      enabled: false,
      source: { literal: 'arn:aws:sqs:us-east-1:123456789012:orders' },
    });
    expect(longForm!.source).toEqual({ logicalId: 'InputQueue' });
    expect(kinesis).toMatchObject({ batchSize: 100, startingPosition: 'LATEST', maximumRetryAttempts: -1 });
  });

  it("reads an S3 event's key filter, whatever the case of its rule names", () => {
    const events = `
Uploads:
  Type: S3
  Properties:
    Bucket: !Ref InputBucket
    Events: s3:ObjectCreated:*
    Filter:
      S3Key:
        Rules:
          - Name: Prefix
            Value: uploads/
          - Name: suffix
            Value: .jpg
`;
    expect(eventSourcesOf(template(events), 'AppFunction')[0]!.keyFilter).toEqual({ prefix: 'uploads/', suffix: '.jpg' });
    const wrong = events.replace('Name: suffix', 'Name: extension');
    expect(() => eventSourcesOf(template(wrong), 'AppFunction')).toThrow(
      'template.yaml: AppFunction Events.Uploads: Filter must be {S3Key: {Rules: [{Name: prefix or suffix, Value: text}]}}, not {Name: …}',
    );
  });

  it('accepts every batch size and window in Lambda range, and refuses the rest with one line naming the event', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 10_005 }), fc.integer({ min: -5, max: 305 }), (batchSize, window) => {
        const events = `K:\n  Type: Kinesis\n  Properties:\n    Stream: s\n    BatchSize: ${batchSize}\n    MaximumBatchingWindowInSeconds: ${window}`;
        const valid = batchSize >= 1 && batchSize <= 10_000 && window >= 0 && window <= 300;
        try {
          const [settings] = eventSourcesOf(template(events), 'AppFunction');
          expect(valid).toBe(true);
          expect(settings).toMatchObject({ batchSize, maximumBatchingWindowInSeconds: window });
        } catch (error) {
          expect(valid).toBe(false);
          expect(error).toBeInstanceOf(UserError);
          expect((error as Error).message).toMatch(
            /^template\.yaml: AppFunction Events\.K: (BatchSize|MaximumBatchingWindowInSeconds) must be [^\n]+$/,
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it.each([
    [
      'Q:\n  Type: SQS\n  Properties:\n    Queue: q\n    BatchSize: 50',
      'a BatchSize over 10 (50) needs MaximumBatchingWindowInSeconds of at least 1, as Lambda requires',
    ],
    [
      'Q:\n  Type: SQS\n  Properties:\n    Queue: q\n    FunctionResponseTypes: [ReportBatchFailures]',
      'FunctionResponseTypes must be [ReportBatchItemFailures] or [], not [ReportBatchFailures]',
    ],
    [
      'K:\n  Type: Kinesis\n  Properties:\n    Stream: s\n    StartingPosition: OLDEST',
      'StartingPosition must be one of LATEST, TRIM_HORIZON, AT_TIMESTAMP, not OLDEST',
    ],
    ['K:\n  Type: Kinesis\n  Properties:\n    Stream: s\n    Enabled: maybe', 'Enabled must be true or false, not maybe'],
    [
      'K:\n  Type: Kinesis\n  Properties:\n    Stream: s\n    BatchSize: !Ref Missing',
      'BatchSize is !Ref Missing, which is not a parameter of the template',
    ],
  ])('refuses %j with one line', (events, message) => {
    const event = events.split(':')[0];
    expect(() => eventSourcesOf(template(events), 'AppFunction')).toThrow(
      new UserError(`template.yaml: AppFunction Events.${event}: ${message}`),
    );
  });
});

describe('runSource', () => {
  const invoke = async () => ({ ok: true as const, answer: null });
  const base = { target: 'q', reportBatchItemFailures: false, env: {}, invoke, signal: new AbortController().signal, log: () => {} };

  it.each([
    [
      { kind: 'sqs' as const, batchSize: 0, maximumBatchingWindowInSeconds: 0 },
      'sqs: the batch size must be a whole number from 1 to 10000, not 0',
    ],
    [
      { kind: 'kinesis' as const, batchSize: 10, maximumBatchingWindowInSeconds: 301 },
      'kinesis: the batching window must be a whole number of seconds from 0 to 300, not 301',
    ],
    [
      { kind: 'sqs' as const, batchSize: 11, maximumBatchingWindowInSeconds: 0 },
      'sqs: a batch size over 10 (11) needs a batching window of at least 1 second, as Lambda requires',
    ],
    [
      { kind: 'sqs' as const, batchSize: 1, maximumBatchingWindowInSeconds: 0, target: 'orders' },
      'sqs: "orders" is not a queue URL (https://sqs.<region>.amazonaws.com/<account>/<name>) or ARN',
    ],
    [
      { kind: 'kinesis' as const, batchSize: 1, maximumBatchingWindowInSeconds: 0, target: 'arn:aws:sqs:us-east-1:1:q' },
      'kinesis: "arn:aws:sqs:us-east-1:1:q" is not a stream ARN (arn:aws:kinesis:<region>:<account>:stream/<name>) or name',
    ],
    [
      { kind: 's3' as const, batchSize: 1, maximumBatchingWindowInSeconds: 0, target: 'a' },
      's3: "a" is not a bucket name or ARN (arn:aws:s3:::<name>)',
    ],
  ])('refuses settings Lambda would refuse, before any call: %j', async (settings, message) => {
    const error = await runSource({ ...base, ...settings }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe(message);
  });
});

describe('queueRegion', () => {
  it('reads the region a queue URL or ARN names, and none from a stand-in', () => {
    expect(queueRegion('https://sqs.eu-west-1.amazonaws.com/123456789012/orders')).toBe('eu-west-1');
    expect(queueRegion('https://ap-southeast-2.queue.amazonaws.com/123456789012/orders')).toBe('ap-southeast-2');
    expect(queueRegion('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/orders')).toBe('cn-north-1');
    expect(queueRegion('arn:aws:sqs:us-gov-west-1:123456789012:orders')).toBe('us-gov-west-1');
    expect(queueRegion('http://127.0.0.1:5000/123456789012/orders')).toBeUndefined();
    expect(queueRegion('https://sqs.example.com/123456789012/orders')).toBeUndefined();
  });
});
