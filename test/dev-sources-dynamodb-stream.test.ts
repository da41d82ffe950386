/**
 * lambda-kit dev's DynamoDB Streams event source mapping against a real moto table and its
 * stream, with a scripted function: the event Lambda sends for a put and an update, resuming
 * from the lowest failed sequence number, splitting a failed batch (BisectBatchOnFunctionError),
 * the stream found from the table's name, and an endpoint that accepts and never answers; and
 * the real dev binary in a generated project, with a stand-in cargo, against a moto table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb-streams';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributeJson } from '../src/dev/sources/dynamodb-stream-event.js';
import { eventSourcesOf } from '../src/dev/sources/source-settings.js';
import { UserError } from '../src/errors.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { CREATE_BIN, KIT_BIN, ROOT, tempDir, userEnv } from './support/cli.js';
import { clientConfig, motoForFile } from './support/moto.js';
import { FAST_TIMING, startSource } from './support/source-harness.js';
import { shimDir } from './support/tools.js';
import { standInCargo } from './support/stand-in-cargo.js';

const moto = motoForFile('the dev source tests');
let counter = 0;

const dynamodb = () => new DynamoDBClient(clientConfig(moto));

/** A table with a NEW_AND_OLD_IMAGES stream, as the generated template makes; returns its name and stream ARN. */
async function createTable(): Promise<{ name: string; streamArn: string }> {
  const name = `dev-table-${process.pid}-${++counter}`;
  await dynamodb().send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  const { Table } = await dynamodb().send(new DescribeTableCommand({ TableName: name }));
  return { name, streamArn: Table!.LatestStreamArn! };
}

async function putItems(table: string, ids: string[]): Promise<void> {
  for (const id of ids) await dynamodb().send(new PutItemCommand({ TableName: table, Item: { id: { S: id }, quantity: { N: '3' } } }));
}

const settings = { kind: 'dynamodb' as const, batchSize: 100, maximumBatchingWindowInSeconds: 0, reportBatchItemFailures: true };
const ids = (event: any): string[] => event.Records.map((r: any) => r.dynamodb.Keys.id.S);
const sequenceNumbers = (event: any): string[] => event.Records.map((r: any) => r.dynamodb.SequenceNumber);
const SAMPLE = JSON.parse(readFileSync(join(ROOT, 'templates/trigger/dynamodb-stream/events/dynamodb-stream.json'), 'utf8'));

describe.skipIf(moto.missing !== undefined)('DynamoDB Streams source against moto', () => {
  it('sends the event Lambda sends for a put and an update, as the sample event has it', async () => {
    const table = await createTable();
    const source = startSource({ ...settings, target: table.streamArn, env: moto.env }, () => ({ ok: true, answer: null }));
    const putAt = Date.now();
    try {
      await source.until(() => source.lines.length >= 1, 'reading to start');
      await dynamodb().send(
        new PutItemCommand({
          TableName: table.name,
          Item: { id: { S: 'A-1001' }, quantity: { N: '3' }, photo: { B: Buffer.from([0, 1, 2, 255]) }, tags: { SS: ['x', 'y'] } },
        }),
      );
      await source.until(() => source.events.length >= 1, 'the put');
      await dynamodb().send(new PutItemCommand({ TableName: table.name, Item: { id: { S: 'A-1001' }, quantity: { N: '2' } } }));
      await source.until(() => source.events.length >= 2, 'the update');
    } finally {
      await source.stop();
    }
    expect(source.lines[0]).toBe(
      `dynamodb: reading 1 shard of the stream of table ${table.name} from LATEST (batch size 100, batching window 0 s, ReportBatchItemFailures)`,
    );
    const [insert] = source.events[0].Records;
    const [modify] = source.events[1].Records;
    expect(source.events[0].Records).toHaveLength(1);
    expect(insert).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      eventSourceARN: table.streamArn,
      dynamodb: {
        Keys: { id: { S: 'A-1001' } },
        // Binary as base64, as the wire and Lambda carry it.
        NewImage: { id: { S: 'A-1001' }, quantity: { N: '3' }, photo: { B: 'AAEC/w==' }, tags: { SS: ['x', 'y'] } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(insert.dynamodb.OldImage).toBeUndefined();
    expect(modify).toMatchObject({
      eventName: 'MODIFY',
      dynamodb: { OldImage: { quantity: { N: '3' } }, NewImage: { id: { S: 'A-1001' }, quantity: { N: '2' } } },
    });
    // The same parts, named and typed as in the sample event a handler is tested with.
    const sample = SAMPLE.Records[0];
    expect(Object.keys(insert).sort()).toEqual(Object.keys(sample).sort());
    expect(Object.keys(modify.dynamodb).sort()).toEqual(Object.keys(SAMPLE.Records[1].dynamodb).sort());
    for (const key of Object.keys(sample)) expect(typeof insert[key], key).toBe(typeof sample[key]);
    for (const key of Object.keys(sample.dynamodb)) expect(typeof insert.dynamodb[key], key).toBe(typeof sample.dynamodb[key]);
    expect(insert.dynamodb.SequenceNumber).toMatch(/^\d+$/);
    expect(BigInt(modify.dynamodb.SequenceNumber)).toBeGreaterThan(BigInt(insert.dynamodb.SequenceNumber));
    // Whole epoch seconds, as the stream gives them.
    expect(Number.isInteger(insert.dynamodb.ApproximateCreationDateTime)).toBe(true);
    expect(Math.abs(insert.dynamodb.ApproximateCreationDateTime - putAt / 1000)).toBeLessThan(30);
    expect(source.lines[1]).toBe(
      `dynamodb: shardId-00000001541626099285-f35f62ef: 1 record, 0 failed: done up to ${insert.dynamodb.SequenceNumber}`,
    );
  });

  it('resumes from the lowest failed sequence number, and sends what came before it only once', async () => {
    const table = await createTable();
    await putItems(table.name, ['one', 'two', 'three', 'four']);
    const source = startSource({ ...settings, startingPosition: 'TRIM_HORIZON', target: table.streamArn, env: moto.env }, (event, call) => {
      const [, second, , fourth] = sequenceNumbers(event);
      // Two and four fail the first time, in the wrong order; nothing fails after.
      return { ok: true, answer: call === 1 ? { batchItemFailures: [{ itemIdentifier: fourth }, { itemIdentifier: second }] } : {} };
    });
    try {
      await source.until(() => source.events.length >= 2 && source.lines.length >= 3, 'the retry');
      // Time for a wrong third delivery to show.
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await source.stop();
    }
    expect(source.events.map(ids)).toEqual([
      ['one', 'two', 'three', 'four'],
      ['two', 'three', 'four'],
    ]);
    const sent = sequenceNumbers(source.events[0]);
    expect(source.lines.slice(1)).toEqual([
      `dynamodb: shardId-00000001541626099285-f35f62ef: 4 records, 2 failed (batchItemFailures): retry 1 of 10 from ${sent[1]} in 0.1 s`,
      `dynamodb: shardId-00000001541626099285-f35f62ef: 3 records, 0 failed: done up to ${sent[3]}`,
    ]);
  });

  it('splits a batch the function fails in two until the poison record is alone, retries it MaximumRetryAttempts times, and reads on', async () => {
    const table = await createTable();
    await putItems(table.name, ['a', 'b', 'poison', 'd']);
    const source = startSource(
      {
        ...settings,
        reportBatchItemFailures: false,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 1,
        startingPosition: 'TRIM_HORIZON',
        target: table.streamArn,
        env: moto.env,
      },
      (event) => (ids(event).includes('poison') ? { ok: false, error: 'HandlerError: poison' } : { ok: true, answer: null }),
    );
    try {
      await source.until(() => source.events.some((event) => ids(event).includes('d') && !ids(event).includes('poison')), 'd alone');
    } finally {
      await source.stop();
    }
    expect(source.events.map(ids)).toEqual([['a', 'b', 'poison', 'd'], ['a', 'b'], ['poison', 'd'], ['poison'], ['poison'], ['d']]);
    const shard = 'dynamodb: shardId-00000001541626099285-f35f62ef';
    const failed = 'function error (HandlerError: poison)';
    const [, , poison] = sequenceNumbers(source.events[0]);
    expect(source.lines.slice(1, 7)).toEqual([
      expect.stringMatching(
        new RegExp(`^${shard}: 4 records, ${failed.replace(/[()]/g, '\\$&')}: split into 2 and 2 \\(BisectBatchOnFunctionError\\)`),
      ),
      expect.stringContaining(`${shard}: 2 records, 0 failed: done up to`),
      expect.stringContaining(`${shard}: 2 records, ${failed}: split into 1 and 1 (BisectBatchOnFunctionError), from ${poison}`),
      `${shard}: 1 record, ${failed}: retry 1 of 1 from ${poison} in 0.1 s`,
      `${shard}: 1 record, ${failed}: gave up after 1 retry (MaximumRetryAttempts); skipping to after ${poison}`,
      expect.stringContaining(`${shard}: 1 record, 0 failed: done up to`),
    ]);
  });

  it("finds the stream from the table's name, as the deployed stack's InputTable gives it", async () => {
    const table = await createTable();
    const source = startSource({ ...settings, startingPosition: 'TRIM_HORIZON', target: table.name, env: moto.env }, () => ({
      ok: true,
      answer: null,
    }));
    try {
      await putItems(table.name, ['by-name']);
      await source.until(() => source.events.length >= 1, 'a batch');
    } finally {
      await source.stop();
    }
    expect(source.events[0].Records[0].eventSourceARN).toBe(table.streamArn);
    expect(ids(source.events[0])).toEqual(['by-name']);
  });

  it('is a one-line error for a table without a stream, and for a target that names no table or stream', async () => {
    const missing = startSource({ ...settings, target: 'no-such-table', env: moto.env }, () => ({ ok: true, answer: null }));
    const error = await missing.done.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('dynamodb: table "no-such-table" has no stream');
    const bad = startSource({ ...settings, target: 'https://example.com/x', env: moto.env }, () => ({ ok: true, answer: null }));
    await expect(bad.done).rejects.toThrow(/^dynamodb: "https:\/\/example\.com\/x" is not a stream ARN .* or table name$/);
  });
});

describe('DynamoDB Streams source against an endpoint that accepts and never answers', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    server = createServer((socket) => {
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

  it('says so in a line per attempt, retries with back-off, stays up, and stops at once on abort', async () => {
    const endpoint = `http://127.0.0.1:${port}`;
    const env = { AWS_ENDPOINT_URL: endpoint, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' };
    const streamArn = 'arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/2026-05-01T08:50:00.000';
    const source = startSource(
      { ...settings, target: streamArn, env, timing: { ...FAST_TIMING, callGraceMs: 300, maxBackoffMs: 200 } },
      () => ({ ok: true, answer: null }),
    );
    const startedAt = Date.now();
    await source.until(() => source.lines.length >= 3, 'three failed attempts', 10_000);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    expect(source.lines.slice(0, 3)).toEqual([
      'dynamodb: DescribeStream: no answer in 0.3 s; retrying in 0.1 s',
      'dynamodb: DescribeStream: no answer in 0.3 s; retrying in 0.2 s',
      'dynamodb: DescribeStream: no answer in 0.3 s; retrying in 0.2 s',
    ]);
    expect(source.settledAt()).toBeUndefined();
    const abortedAt = Date.now();
    await source.stop();
    expect(source.settledAt()! - abortedAt).toBeLessThan(500);
    expect(source.events).toEqual([]);
  });
});

describe('the DynamoDB Streams trigger as template.yaml declares it', () => {
  it("reads the generated template's mapping settings: batch size, TRIM_HORIZON, bisection, retries, ReportBatchItemFailures", () => {
    // The trigger's own events fragment, as every generated project has it.
    const events = readFileSync(join(ROOT, 'templates/trigger/dynamodb-stream/sam/events.hbs'), 'utf8');
    const template = parseCfnYaml(
      `Resources:\n  InputTable:\n    Type: AWS::DynamoDB::Table\n  InputDeadLetterQueue:\n    Type: AWS::SQS::Queue\n  AppFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n${events
        .split('\n')
        .map((line) => `        ${line}`)
        .join('\n')}`,
    );
    expect(eventSourcesOf(template, 'AppFunction')).toEqual([
      expect.objectContaining({
        eventName: 'TableChanges',
        kind: 'dynamodb',
        batchSize: 100,
        maximumBatchingWindowInSeconds: 0,
        reportBatchItemFailures: true,
        startingPosition: 'TRIM_HORIZON',
        maximumRetryAttempts: 3,
        bisectBatchOnFunctionError: true,
        source: { logicalId: 'InputTable' },
      }),
    ]);
  });

  it('refuses AT_TIMESTAMP, which a DynamoDB stream does not have, and a BisectBatchOnFunctionError that is no boolean', () => {
    const template = (properties: string) =>
      parseCfnYaml(
        `Resources:\n  AppFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Changes:\n          Type: DynamoDB\n          Properties:\n            Stream: arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x\n${properties}`,
      );
    expect(() => eventSourcesOf(template('            StartingPosition: AT_TIMESTAMP\n'), 'AppFunction')).toThrow(
      /StartingPosition must be one of LATEST, TRIM_HORIZON, not "?AT_TIMESTAMP"?$/,
    );
    expect(() => eventSourcesOf(template('            BisectBatchOnFunctionError: sometimes\n'), 'AppFunction')).toThrow(
      /BisectBatchOnFunctionError must be true or false/,
    );
    expect(eventSourcesOf(template(''), 'AppFunction')[0]).toMatchObject({
      kind: 'dynamodb',
      batchSize: 100,
      startingPosition: 'LATEST',
      source: { literal: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x' },
    });
  });
});

describe('attributeJson', () => {
  const scalar = fc.oneof(
    fc.string().map((S) => ({ S })),
    fc.integer().map((n) => ({ N: String(n) })),
    fc.uint8Array({ maxLength: 16 }).map((B) => ({ B })),
    fc.array(fc.string(), { maxLength: 3 }).map((SS) => ({ SS })),
    fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 }).map((BS) => ({ BS })),
    fc.boolean().map((BOOL) => ({ BOOL })),
    fc.constant({ NULL: true }),
  );
  const { value } = fc.letrec<{ value: AttributeValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(tie('value'), { maxLength: 3 }).map((L) => ({ L })),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), tie('value'), { maxKeys: 3 }).map((M) => ({ M })),
    ) as fc.Arbitrary<AttributeValue>,
  }));

  /** Reads wire JSON back as the SDK gives it: base64 binary → bytes. */
  const fromJson = (json: any): unknown => {
    const [[type, raw]] = Object.entries(json) as [[string, any]];
    if (type === 'B') return { B: new Uint8Array(Buffer.from(raw, 'base64')) };
    if (type === 'BS') return { BS: raw.map((b: string) => new Uint8Array(Buffer.from(b, 'base64'))) };
    if (type === 'L') return { L: raw.map(fromJson) };
    if (type === 'M') return { M: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, fromJson(v)])) };
    return { [type]: raw };
  };

  it('writes every value as JSON (binary as base64) that reads back to the same value', () => {
    fc.assert(
      fc.property(value, (attribute) => {
        const json = JSON.parse(JSON.stringify(attributeJson(attribute)));
        expect(fromJson(json)).toEqual(attribute);
      }),
    );
  });
});

/** Fails each record whose item is named "poison", by its sequence number; logs each id it handles. */
const RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const event = await res.json();
    const failures = event.Records.filter((r) => r.dynamodb.NewImage.name.S === 'poison').map((r) => ({ itemIdentifier: r.dynamodb.SequenceNumber }));
    for (const r of event.Records) console.log('handled ' + r.dynamodb.Keys.id.S + ' from ' + r.eventSourceARN);
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ batchItemFailures: failures }) });
  }
})();
`;

describe.skipIf(moto.missing !== undefined)('lambda-kit dev --source <moto table> in a generated DynamoDB Streams project', () => {
  let root: string | undefined;
  let dev: ChildProcess | undefined;

  afterAll(async () => {
    if (dev && dev.exitCode === null) {
      dev.kill('SIGINT');
      await new Promise((resolve) => dev!.once('exit', resolve));
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("reads the table's stream from TRIM_HORIZON, retries a reported record MaximumRetryAttempts (3) times, gives up and reads on", async () => {
    root = await tempDir('cfl-dev-table-');
    await execa(process.execPath, [CREATE_BIN, 'dev-table', '--trigger', 'dynamodb-stream', '--sink', 'none', '--yes'], {
      cwd: root,
      stdin: 'ignore',
    });
    const table = await createTable();
    // Before dev starts: TRIM_HORIZON, the template's starting position, reads them too.
    for (const [id, name] of [
      ['g1', 'good'],
      ['p1', 'poison'],
    ] as const)
      await dynamodb().send(new PutItemCommand({ TableName: table.name, Item: { id: { S: id }, name: { S: name } } }));
    const runtime = join(root, 'runtime.js');
    await writeFile(runtime, RUNTIME);
    const bin = shimDir(join(root, 'bin'), { cargo: standInCargo('dev-table') });
    const env = userEnv({ ...moto.env, PATH: `${bin}:${process.env.PATH}`, CARGO_TARGET_DIR: join(root, 'target'), RUNTIME_JS: runtime });
    dev = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0', '--source', table.name], {
      cwd: join(root, 'dev-table'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const until = async (text: string) => {
      for (const deadline = Date.now() + 45_000; !output.includes(text); ) {
        if (Date.now() > deadline || dev!.exitCode !== null) throw new Error(`no "${text}"; output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const count = (text: string) => output.split(text).length - 1;

    await until('gave up after 3 retries (MaximumRetryAttempts)');
    await dynamodb().send(new PutItemCommand({ TableName: table.name, Item: { id: { S: 'g2' }, name: { S: 'good' } } }));
    await until('handled g2');
    expect(output).toContain(`TableChanges: polling ${table.name} (batch size 100, window 0 s, ReportBatchItemFailures)`);
    expect(output).toContain(
      `from TRIM_HORIZON (batch size 100, batching window 0 s, ReportBatchItemFailures, BisectBatchOnFunctionError)`,
    );
    // The good record before the poison one once; the poison one on the first try and 3 retries; the next record once.
    expect([count('handled g1 '), count('handled p1 '), count('handled g2 ')], output).toEqual([1, 4, 1]);
    expect(output).toContain(`handled g1 from ${table.streamArn}`);
    dev.kill('SIGINT');
    await new Promise((resolve) => dev!.once('exit', resolve));
    expect(dev.exitCode, output).toBe(130);
  }, 90_000);
});
