/**
 * The recording endpoint `lambda-kit invoke` points a function at when no stack is given: the
 * answers as a pure function, with fast-check over what may arrive, then the endpoint itself over
 * real sockets on 127.0.0.1 (an unknown call, a malformed one, a body over the cap, a client that
 * never finishes its request).
 */
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { answerAwsCall, MAX_REQUEST_BYTES, RecordingAws, type RecordedTables } from '../src/runtime-api/recording-aws.js';

const PUT = 'DynamoDB_20120810.PutItem';
const SEND = 'AmazonSQS.SendMessage';
const BATCH = 'AmazonSQS.SendMessageBatch';

// `?? 'null'`: JSON.stringify gives undefined for undefined, which fast-check's anything() makes.
const json = (value: unknown) => Buffer.from(JSON.stringify(value) ?? 'null');
const answer = (target: string | undefined, body: unknown, tables: RecordedTables = new Map()) =>
  answerAwsCall(target, Buffer.isBuffer(body) ? body : json(body), tables);
const errorOf = (body: string) => JSON.parse(body) as { __type: string; message: string };

/** One line, nothing a terminal would act on. */
const ONE_SAFE_LINE = /^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$/;

describe('answerAwsCall', () => {
  it('answers a PutItem with {} and records the item as plain JSON, id first', () => {
    const item = {
      quantity: { N: '3' },
      name: { S: 'espresso beans' },
      id: { S: 'A-1001' },
      tags: { L: [{ S: 'new' }] },
      gift: { BOOL: false },
    };
    const result = answer(PUT, { TableName: 'ResultsTable', Item: item, ConditionExpression: 'attribute_not_exists(id)' });
    expect(result.status).toBe(200);
    expect(result.body).toBe('{}');
    expect(result.call).toEqual({
      text: 'dynamodb PutItem ResultsTable {"id":"A-1001","gift":false,"name":"espresso beans","quantity":3,"tags":["new"]}',
      answered: true,
    });
  });

  it('checks attribute_not_exists(id) against the items recorded before, as DynamoDB would', () => {
    const tables: RecordedTables = new Map();
    const put = (name: string) =>
      answer(
        PUT,
        { TableName: 't', Item: { id: { S: 'A-1' }, name: { S: name } }, ConditionExpression: 'attribute_not_exists(id)' },
        tables,
      );
    expect(put('first').status).toBe(200);
    const second = put('second');
    expect(second.status).toBe(400);
    // What the Rust SDK maps to ConditionalCheckFailedException: the code after the `#`.
    expect(errorOf(second.body).__type).toMatch(/#ConditionalCheckFailedException$/);
    expect(second.call.answered).toBe(false);
    expect(second.call.text).toMatch(/^dynamodb PutItem t \{"id":"A-1","name":"second"\} refused: its condition failed/);
    // Another table holds nothing yet.
    expect(
      answer(PUT, { TableName: 'u', Item: { id: { S: 'A-1' } }, ConditionExpression: 'attribute_not_exists(id)' }, tables).status,
    ).toBe(200);
  });

  it('checks the ordered condition: a newer version lands, an equal or older one is refused', () => {
    const tables: RecordedTables = new Map();
    const put = (version: string) =>
      answer(
        PUT,
        {
          TableName: 't',
          Item: { id: { S: 'A-1' }, sourceVersion: { S: version } },
          ConditionExpression: 'attribute_not_exists(#version) OR #version < :version',
          ExpressionAttributeNames: { '#version': 'sourceVersion' },
          ExpressionAttributeValues: { ':version': { S: version } },
        },
        tables,
      ).status;
    expect([put('0002'), put('0002'), put('0001'), put('0003')]).toEqual([200, 400, 400, 200]);
  });

  it('says so when a condition is one it does not check', () => {
    const result = answer(PUT, { TableName: 't', Item: { id: { S: 'x' } }, ConditionExpression: 'size(#n) > :zero' });
    expect(result.status).toBe(200);
    expect(result.call.text).toMatch(/\(its condition is not checked locally\)$/);
  });

  it('answers SendMessage with the body’s MD5 and a message id', () => {
    const body = '{"reason":"invalid item","payload":"é ☃ 𝄞"}';
    const result = answer(SEND, { QueueUrl: 'http://127.0.0.1:1/000000000000/InputDeadLetterQueue', MessageBody: body });
    expect(result.status).toBe(200);
    const output = JSON.parse(result.body) as { MD5OfMessageBody: string; MessageId: string };
    expect(output.MD5OfMessageBody).toBe(createHash('md5').update(body, 'utf8').digest('hex'));
    expect(output.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.call.text).toBe(`sqs SendMessage InputDeadLetterQueue ${body}`);
  });

  it('answers SendMessageBatch entry by entry, refusing a body SQS would refuse', () => {
    const entries = [
      { Id: '0', MessageBody: '{"id":"A-1"}' },
      { Id: '1', MessageBody: 'bell \u0007' },
      { Id: '2', MessageBody: '{"id":"A-3"}' },
    ];
    const result = answer(BATCH, { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/ResultsQueue', Entries: entries });
    expect(result.status).toBe(200);
    const output = JSON.parse(result.body) as {
      Successful: { Id: string; MD5OfMessageBody: string }[];
      Failed: { Id: string; SenderFault: boolean; Code: string }[];
    };
    expect(output.Successful.map((s) => s.Id)).toEqual(['0', '2']);
    expect(output.Successful[0]!.MD5OfMessageBody).toBe(createHash('md5').update('{"id":"A-1"}').digest('hex'));
    expect(output.Failed).toEqual([{ Id: '1', SenderFault: true, Code: 'InvalidMessageContents', Message: expect.any(String) }]);
    expect(result.call).toEqual({
      text: 'sqs SendMessageBatch ResultsQueue 2 messages (1 refused: invalid or empty body): {"id":"A-1"} | {"id":"A-3"}',
      answered: false,
    });
  });

  it.each([
    [{ QueueUrl: 'q', Entries: [] }, 'EmptyBatchRequest'],
    [
      { QueueUrl: 'q', Entries: Array.from({ length: 11 }, (_, i) => ({ Id: String(i), MessageBody: 'x' })) },
      'TooManyEntriesInBatchRequest',
    ],
    [
      {
        QueueUrl: 'q',
        Entries: [
          { Id: 'a', MessageBody: 'x' },
          { Id: 'a', MessageBody: 'y' },
        ],
      },
      'BatchEntryIdsNotDistinct',
    ],
    [{ QueueUrl: 'q', Entries: [{ Id: 'a b', MessageBody: 'x' }] }, 'InvalidBatchEntryId'],
    [{ Entries: [{ Id: 'a', MessageBody: 'x' }] }, 'MissingParameter'],
  ])('refuses a batch SQS would refuse: %j → %s', (input, code) => {
    const result = answer(BATCH, input);
    expect(result.status).toBe(400);
    expect(errorOf(result.body).__type).toBe(code);
    expect(result.call.answered).toBe(false);
  });

  it('answers any other operation with UnknownOperationException, naming it', () => {
    const result = answer('DynamoDB_20120810.GetItem', { TableName: 't', Key: { id: { S: 'x' } } });
    expect(result.status).toBe(400);
    expect(errorOf(result.body).__type).toBe('UnknownOperationException');
    expect(result.call).toEqual({
      text: 'dynamodb GetItem: not answered locally (only PutItem, SendMessage and SendMessageBatch are)',
      answered: false,
    });
    expect(answer('AmazonSQS.PutItem', {}).status).toBe(400);
    expect(answer(undefined, {}).call.text).toMatch(/^a request without X-Amz-Target: /);
  });

  it.each([
    ['not JSON', Buffer.from('{"TableName": '), 'the request body is not JSON'],
    ['an array', json([1]), 'the request body is not a JSON object'],
    ['nested 10,000 deep', Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`), 'the request nests more than 64 levels deep'],
    ['an item of no attribute values', json({ TableName: 't', Item: { id: 'A-1' } }), 'Item must be a map of attribute values'],
  ])('refuses a malformed PutItem (%s) with a 400 naming the problem', (_what, body, problem) => {
    const result = answerAwsCall(PUT, body, new Map());
    expect(result.status).toBe(400);
    expect(errorOf(result.body).message).toContain(problem);
    expect(result.call.text).toContain(problem);
  });

  it('never throws: whatever arrives, the answer is JSON and one safe line', () => {
    const target = fc.oneof(
      fc.constantFrom(PUT, SEND, BATCH, undefined, 'DynamoDB_20120810.Query'),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const attribute = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.record({ S: fc.string({ unit: 'binary' }) }),
        fc.record({ N: fc.oneof(fc.double().map(String), fc.string()) }),
        fc.record({ BOOL: fc.boolean() }),
        fc.record({ NULL: fc.constant(true) }),
        fc.record({ L: fc.array(tie('value'), { maxLength: 3 }) }),
        fc.record({ M: fc.dictionary(fc.string(), tie('value'), { maxKeys: 3 }) }),
        fc.anything(),
      ),
    })).value;
    const input = fc.oneof(
      fc.record({
        TableName: fc.string({ unit: 'binary' }),
        Item: fc.dictionary(fc.string({ unit: 'binary' }), attribute),
        ConditionExpression: fc.option(fc.string(), { nil: undefined }),
      }),
      fc.record({ QueueUrl: fc.string({ unit: 'binary' }), MessageBody: fc.string({ unit: 'binary' }) }),
      fc.record({
        QueueUrl: fc.string(),
        Entries: fc.array(fc.record({ Id: fc.string(), MessageBody: fc.string({ unit: 'binary' }) }), { maxLength: 12 }),
      }),
      fc.anything(),
    );
    const body = fc.oneof(
      input.map(json),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    );
    const tables: RecordedTables = new Map();
    fc.assert(
      fc.property(target, body, (t, b) => {
        const result = answerAwsCall(t, b, tables);
        expect([200, 400]).toContain(result.status);
        expect(() => JSON.parse(result.body)).not.toThrow();
        expect(result.call.text).toMatch(ONE_SAFE_LINE);
        expect(result.call.text.length).toBeLessThan(4000);
        if (result.status === 400) expect(result.call.answered).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('shows any item it stores as the JSON value DynamoDB would hand back', () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(
          fc.string({ minLength: 1 }).filter((k) => k !== '__proto__'),
          tie('value'),
          { maxKeys: 3 },
        ),
      ),
    })).value;
    const marshall = (value: unknown): unknown => {
      if (value === null) return { NULL: true };
      if (typeof value === 'string') return { S: value };
      if (typeof value === 'number') return { N: String(value) };
      if (typeof value === 'boolean') return { BOOL: value };
      if (Array.isArray(value)) return { L: value.map(marshall) };
      return { M: Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, marshall(v)])) };
    };
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => /^[\w ]+$/.test(s)),
        plain,
        (id, value) => {
          const result = answer(PUT, { TableName: 't', Item: { id: { S: id }, value: marshall(value) } });
          expect(result.status).toBe(200);
          const shown = result.call.text.slice('dynamodb PutItem t '.length);
          // Short items are shown whole, and read back as the item.
          if (shown.length < 290) expect(JSON.parse(shown)).toEqual({ id, value });
        },
      ),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The endpoint, over real sockets

let recorder: RecordingAws | undefined;
afterEach(async () => {
  await recorder?.close();
  recorder = undefined;
});

function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  path = '/',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { method: body === undefined ? 'GET' : 'POST', headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    request.on('error', reject);
    request.end(body);
  });
}

describe('RecordingAws', () => {
  it('answers over HTTP with the awsJson content type and a request id, and records each call as it comes', async () => {
    const seen: string[] = [];
    recorder = await RecordingAws.start({ onCall: (call) => seen.push(call.text) });
    expect(recorder.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(recorder.queueUrl('ResultsQueue')).toBe(`${recorder.endpoint}/000000000000/ResultsQueue`);
    const put = await post(
      recorder.endpoint,
      { 'x-amz-target': PUT, 'content-type': 'application/x-amz-json-1.0' },
      json({ TableName: 'T', Item: { id: { S: 'A' } } }),
    );
    expect(put).toMatchObject({
      status: 200,
      body: '{}',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': expect.stringMatching(/^[0-9a-f-]{36}$/) },
    });
    const unknown = await post(recorder.endpoint, { 'x-amz-target': 'AmazonSQS.ReceiveMessage' }, json({ QueueUrl: 'q' }));
    expect(unknown.status).toBe(400);
    // SQS's clients read the code from this header too (awsQuery compatibility).
    expect(unknown.headers['x-amzn-query-error']).toBe('UnknownOperationException;Sender');
    const wrongPath = await post(recorder.endpoint, {}, undefined, '/latest/meta-data/');
    expect(wrongPath.status).toBe(404);
    expect(seen).toEqual([
      'dynamodb PutItem T {"id":"A"}',
      'sqs ReceiveMessage: not answered locally (only PutItem, SendMessage and SendMessageBatch are)',
      'GET /latest/meta-data/: not an AWS JSON call (POST /)',
    ]);
    expect(recorder.calls.map((c) => c.answered)).toEqual([true, false, false]);
  });

  it('refuses a body over the cap with 413, without reading it, whether announced or streamed', async () => {
    recorder = await RecordingAws.start({ maxRequestBytes: 1024 });
    const announced = await post(recorder.endpoint, { 'x-amz-target': SEND }, Buffer.alloc(2048, 'a'));
    expect(announced.status).toBe(413);

    // Chunked, with no length announced: refused once the cap is passed, and the connection closed.
    const streamed = await new Promise<{ status: number }>((resolve, reject) => {
      const request = httpRequest(
        `${recorder!.endpoint}/`,
        { method: 'POST', headers: { 'x-amz-target': SEND, 'transfer-encoding': 'chunked' } },
        (response) => {
          response.resume();
          resolve({ status: response.statusCode ?? 0 });
        },
      );
      request.on('error', reject);
      // At most 64 chunks of 1 KiB: the answer comes long before the last.
      let sent = 0;
      const more = () => {
        if (sent++ < 64 && !request.destroyed) request.write(Buffer.alloc(1024, 'b'), () => setTimeout(more, 5));
      };
      more();
    });
    expect(streamed.status).toBe(413);
    expect(recorder.calls.map((c) => c.text)).toEqual([
      'a request of more than 1,024 bytes: not read, not answered',
      'a request of more than 1,024 bytes: not read, not answered',
    ]);
    expect(MAX_REQUEST_BYTES).toBe(2 * 1024 * 1024);
  });

  it('closes at once, though a client connected and never finished its request', async () => {
    recorder = await RecordingAws.start();
    const { port } = new URL(recorder.endpoint);
    const socket = connect(Number(port), '127.0.0.1');
    // The close resets it: that is the point.
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nx-amz-target: ${PUT}\r\ncontent-length: 100\r\n\r\n{"TableName":`);
    const ended = new Promise((resolve) => socket.once('close', resolve));
    const started = performance.now();
    await recorder.close();
    await ended;
    expect(performance.now() - started).toBeLessThan(1000);
    // Nothing arrived whole, so nothing is recorded.
    expect(recorder.calls).toEqual([]);
    await expect(post(recorder.endpoint, {}, json({}))).rejects.toThrow(/ECONNREFUSED/);
    await recorder.close();
  });
});
