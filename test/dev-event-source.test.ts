/**
 * Reading a function's queue, stream or bucket trigger out of template.yaml for `lambda-kit dev`
 * (src/dev/event-source.ts), and its routes (src/dev/api-routes.ts): what the generated templates
 * write, Lambda's defaults where they are silent, and any value at all without an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventSourceOf } from '../src/dev/event-source.js';
import { apiRoutesOf } from '../src/dev/api-routes.js';

const withEvents = (events: unknown) => ({ Resources: { AppFunction: { Type: 'AWS::Serverless::Function', Properties: { Events: events } } } });

describe('eventSourceOf', () => {
  it('reads the generated SQS, Kinesis and S3 events, naming the stack resource each one polls', () => {
    expect(
      eventSourceOf(
        withEvents({
          QueueMessages: {
            Type: 'SQS',
            Properties: { Queue: { 'Fn::GetAtt': ['InputQueue', 'Arn'] }, BatchSize: 10, FunctionResponseTypes: ['ReportBatchItemFailures'] },
          },
        }),
        'AppFunction',
      ),
    ).toEqual({
      eventName: 'QueueMessages',
      kind: 'sqs',
      batchSize: 10,
      maximumBatchingWindowInSeconds: 0,
      reportBatchItemFailures: true,
      startingPosition: undefined,
      maximumRetryAttempts: undefined,
      source: { logicalId: 'InputQueue' },
    });
    const kinesis = { Stream: 'arn:aws:kinesis:us-east-1:1:stream/s', StartingPosition: 'TRIM_HORIZON', BatchSize: '100', MaximumRetryAttempts: 3 };
    expect(eventSourceOf(withEvents({ StreamRecords: { Type: 'Kinesis', Properties: kinesis } }), 'AppFunction')).toMatchObject({
      kind: 'kinesis',
      batchSize: 100,
      reportBatchItemFailures: false,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 3,
      source: { literal: 'arn:aws:kinesis:us-east-1:1:stream/s' },
    });
    expect(eventSourceOf(withEvents({ ObjectCreated: { Type: 'S3', Properties: { Bucket: { Ref: 'InputBucket' } } } }), 'AppFunction')).toMatchObject({
      kind: 's3',
      source: { logicalId: 'InputBucket' },
    });
  });

  it('Lambda’s defaults where the template is silent: batch 10 for SQS, 100 for Kinesis, no window', () => {
    expect(eventSourceOf(withEvents({ Q: { Type: 'SQS', Properties: {} } }), 'AppFunction')).toMatchObject({ batchSize: 10, maximumBatchingWindowInSeconds: 0, source: undefined });
    expect(eventSourceOf(withEvents({ K: { Type: 'Kinesis' } }), 'AppFunction')).toMatchObject({ batchSize: 100 });
    expect(eventSourceOf(withEvents({ A: { Type: 'HttpApi' } }), 'AppFunction')).toBeUndefined();
  });

  it('settings written as numbers or digits come back as the numbers', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 0, max: 300 }), fc.boolean(), (batch, window, asText) => {
        const props = { BatchSize: asText ? String(batch) : batch, MaximumBatchingWindowInSeconds: asText ? String(window) : window };
        expect(eventSourceOf(withEvents({ Q: { Type: 'SQS', Properties: props } }), 'AppFunction')).toMatchObject({
          batchSize: batch,
          maximumBatchingWindowInSeconds: window,
        });
      }),
    );
  });

  it('any template at all, however odd, is read without an exception', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (events, whole) => {
        eventSourceOf(withEvents(events), 'AppFunction');
        eventSourceOf(whole, 'AppFunction');
        apiRoutesOf(withEvents(events), 'AppFunction');
        apiRoutesOf(whole, 'AppFunction');
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.record({ Type: fc.constantFrom('SQS', 'Kinesis', 'S3', 'HttpApi', 'Api'), Properties: fc.anything() })), (events) => {
        eventSourceOf(withEvents(events), 'AppFunction');
        apiRoutesOf(withEvents(events), 'AppFunction');
      }),
    );
  });
});
