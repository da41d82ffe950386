/**
 * Reading a function's answer against the event it was sent (src/runtime-api/function-answer.ts):
 * lambda_runtime's event-shape error, Rust type names made short, and batchItemFailures counted
 * against the event's records. Pure, so examples from lambda_runtime 1.5 and properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  batchOutcome,
  describeBatch,
  eventShapeProblem,
  expectedEventName,
  isEventShapeLogLine,
  shortErrorType,
} from '../src/runtime-api/function-answer.js';

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const DESERIALIZE_TYPE = '&lambda_runtime::deserializer::DeserializeError';
const CONTEXT = "failed to deserialize the incoming data into the function's payload type: ";

describe('shortErrorType', () => {
  it.each([
    [DESERIALIZE_TYPE, 'DeserializeError'],
    ['&lambda_runtime::Diagnostic', 'Diagnostic'],
    ['&alloc::boxed::Box<dyn core::error::Error + core::marker::Send + core::marker::Sync>', 'Box<dyn Error + Send + Sync>'],
    ['&alloc::string::String', 'String'],
    ['HandlerError', 'HandlerError'],
    ['Runtime.ExitError', 'Runtime.ExitError'],
    ['&str', '&str'],
  ])('%s → %s', (full, short) => {
    expect(shortErrorType(full)).toBe(short);
  });

  it('leaves no module path, and is idempotent', () => {
    const segment = fc.stringMatching(/^[a-z_][a-z0-9_]{0,8}$/);
    const typeName = fc
      .tuple(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/))
      .map(([path, name]) => [...path, name].join('::'));
    fc.assert(
      fc.property(fc.constantFrom('', '&'), typeName, (reference, name) => {
        const short = shortErrorType(`${reference}${name}`);
        expect(short).not.toContain('::');
        expect(short).toBe(name.split('::').at(-1));
        expect(shortErrorType(short)).toBe(short);
      }),
    );
  });
});

describe('eventShapeProblem', () => {
  it('reads lambda_runtime 1.5 messages: at the root, and at a path (said once)', () => {
    expect(eventShapeProblem(DESERIALIZE_TYPE, `${CONTEXT}missing field \`Records\` at line 1 column 117\n`)).toBe(
      'missing field `Records` at line 1 column 117',
    );
    expect(
      eventShapeProblem(
        DESERIALIZE_TYPE,
        `${CONTEXT}[Records[0].messageId] Records[0].messageId: invalid type: integer \`5\`, expected a string at line 1 column 26\n`,
      ),
    ).toBe('Records[0].messageId: invalid type: integer `5`, expected a string at line 1 column 26');
    // Another runtime version might not repeat the path; it is put in front then.
    expect(eventShapeProblem(undefined, `${CONTEXT}[Records[2].body] expected a string`)).toBe('Records[2].body: expected a string');
  });

  it('is undefined for any other error', () => {
    expect(eventShapeProblem('HandlerError', 'bad item')).toBeUndefined();
    expect(eventShapeProblem('&lambda_runtime::Diagnostic', 'failed to deserialize the item')).toBeUndefined();
    expect(eventShapeProblem(undefined, undefined)).toBeUndefined();
  });

  it('never throws, and answers on one condition: the type or the message says so', () => {
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: undefined }), fc.option(fc.string(), { nil: undefined }), (type, message) => {
        const problem = eventShapeProblem(type, message);
        const says = (type !== undefined && shortErrorType(type) === 'DeserializeError') || (message ?? '').startsWith(CONTEXT);
        expect(problem !== undefined).toBe(says);
      }),
    );
  });

  it('knows the runtime log line that says the same thing', () => {
    const line = JSON.stringify({
      level: 'ERROR',
      fields: {
        message:
          'Request payload deserialization into LambdaEvent<T> failed. The handler will not be called. Log at TRACE level to see the payload.',
      },
    });
    expect(isEventShapeLogLine(line)).toBe(true);
    expect(isEventShapeLogLine('ERROR message failed; SQS will deliver it again')).toBe(false);
  });
});

describe('expectedEventName', () => {
  it('names the event of the first trigger it knows', () => {
    expect(expectedEventName(['SQS'])).toBe('an SQS event');
    expect(expectedEventName(['Unknown', 'DynamoDB'])).toBe('a DynamoDB stream event');
    expect(expectedEventName([])).toBeUndefined();
  });
});

describe('batchOutcome and describeBatch', () => {
  const sqs = (n: number) => ({ Records: Array.from({ length: n }, (_, i) => ({ messageId: `m-${i}`, body: '{}' })) });
  const kinesis = (n: number) => ({
    Records: Array.from({ length: n }, (_, i) => ({ kinesis: { sequenceNumber: `4965${i}` }, eventSource: 'aws:kinesis' })),
  });
  const dynamodb = (n: number) => ({
    Records: Array.from({ length: n }, (_, i) => ({ dynamodb: { SequenceNumber: `1110${i}` }, eventSource: 'aws:dynamodb' })),
  });
  const failures = (...ids: unknown[]) => json({ batchItemFailures: ids.map((itemIdentifier) => ({ itemIdentifier })) });

  it.each([
    ['SQS, all failed', sqs(3), failures('m-0', 'm-1', 'm-2'), '3 of 3 records failed (batchItemFailures)'],
    ['SQS, one failed', sqs(3), failures('m-1'), '1 of 3 records failed (batchItemFailures)'],
    ['SQS, none failed', sqs(3), failures(), 'all 3 records succeeded'],
    ['SQS, one record', sqs(1), failures(), 'the record succeeded'],
    ['Kinesis, two failed', kinesis(4), failures('49651', '49653'), '2 of 4 records failed (batchItemFailures)'],
    ['DynamoDB, all failed', dynamodb(2), failures('11100', '11101'), '2 of 2 records failed (batchItemFailures)'],
    ['an id named twice', sqs(2), failures('m-0', 'm-0'), '1 of 2 records failed (batchItemFailures)'],
    [
      'an id of no record',
      sqs(3),
      failures('m-0', 'nope'),
      'batchItemFailures lists 1 identifier that names no record of the event: Lambda retries all 3 records',
    ],
    ['records without ids', { Records: [{}, {}] }, failures('a'), '1 of 2 records failed (batchItemFailures)'],
    ['no Records', { anything: 1 }, failures('a', 'b'), '2 records failed (batchItemFailures)'],
    ['no Records, none failed', { anything: 1 }, failures(), 'no record failed (batchItemFailures is empty)'],
  ])('%s', (_label, event, answer, line) => {
    const outcome = batchOutcome(json(event), answer);
    expect(outcome).toBeDefined();
    expect(describeBatch(outcome!)).toBe(line);
  });

  it('is undefined for an answer that is no partial batch response', () => {
    for (const answer of ['{"records":3}', 'null', '[]', '{"batchItemFailures":{}}', 'not json', '']) {
      expect(batchOutcome(json(sqs(3)), Buffer.from(answer))).toBeUndefined();
    }
  });

  it('counts, for any SQS batch and any failures named, each failed record once and never more than the batch', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20 }), fc.array(fc.integer({ min: 0, max: 25 }), { maxLength: 30 }), (size, picked) => {
        const ids = picked.map((i) => `m-${i}`);
        const outcome = batchOutcome(json(sqs(size)), failures(...ids))!;
        const inBatch = new Set(picked.filter((i) => i < size));
        expect(outcome.records).toBe(size);
        expect(outcome.failed).toBe(inBatch.size);
        expect(outcome.unknown).toBe(picked.filter((i) => i >= size).length);
        expect(describeBatch(outcome)).not.toMatch(/\n/);
      }),
    );
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }), (event, answer) => {
        const outcome = batchOutcome(Buffer.from(event), Buffer.from(answer));
        if (outcome) expect(describeBatch(outcome)).toBeTypeOf('string');
      }),
    );
  });
});
