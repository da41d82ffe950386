/**
 * The churn example's Node.js and Python twins, each run by our runtime client under the Runtime
 * API emulator as Lambda runs it, sending to the bench's SQS responder: the same messages as the
 * reference scorer (src/examples/churn/model.ts), in chunks of ten, and failures reported per
 * record, never thrown. First the responder itself, against the real JS SDK and boto3.
 *
 * Needs dist/ (npm run build) for the Node runtime client, and the Python venv of
 * scripts/python-tools.sh for boto3.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { cp, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSqsResponder, type ReceivedMessage, type SqsResponder, type SqsResponderOptions } from '../src/bench/sqs-responder.js';
import { generateCustomers, type CustomerRecord } from '../src/examples/churn/data.js';
import { score, validateModel, type Model } from '../src/examples/churn/model.js';
import { LocalFunction, type LocalInvocation } from '../src/runtime-api/local-function.js';
import { awsEnv } from '../src/tools/moto.js';
import { ROOT, tempDir } from './support/cli.js';
import { kinesisEvent } from './support/events.js';
import { requirePythonTools } from './support/tools.js';

const NODE_RUNTIME = join(ROOT, 'dist/bench/runtimes/node-runtime.js');
const PYTHON_RUNTIME = join(ROOT, 'src/bench/runtimes/python_runtime.py');
const TWINS = join(ROOT, 'templates/example/churn/twins');
const MODEL_FILE = join(ROOT, 'templates/example/churn/model.json');

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

const responders: SqsResponder[] = [];
async function responder(options?: SqsResponderOptions): Promise<SqsResponder> {
  const started = await startSqsResponder(options);
  responders.push(started);
  return started;
}
afterEach(async () => {
  await Promise.all(responders.splice(0).map((r) => r.close()));
});

/** The venv's python, which has boto3; a developer without the venv skips. */
const venvPython = (ctx: { skip: (note?: string) => void }) => join(requirePythonTools(ctx), 'python');

describe('the SQS responder', () => {
  const client = (endpoint: string, maxAttempts = 3) =>
    new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts });

  it('answers the JS SDK: MD5s it accepts, and the entries it was told to fail', async () => {
    const sqs = await responder({ failIds: ['1'] });
    const bodies = ['{"a":1}', 'rejected', 'non-ASCII: é € 😀'];
    const output = await client(sqs.endpoint).send(
      new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: bodies.map((MessageBody, i) => ({ Id: String(i), MessageBody })) }),
    );
    // The SDK compares each MD5OfMessageBody with its own: a wrong one would have thrown.
    expect(output.Successful!.map((e) => [e.Id, e.MD5OfMessageBody])).toEqual([
      ['0', md5(bodies[0]!)],
      ['2', md5(bodies[2]!)],
    ]);
    expect(output.Successful![0]!.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(output.Failed).toEqual([{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.stringContaining('1') }]);
    expect(sqs.received()).toEqual([
      { id: '0', body: bodies[0], queueUrl: sqs.queueUrl, request: 1 },
      { id: '2', body: bodies[2], queueUrl: sqs.queueUrl, request: 1 },
    ]);
    expect(sqs.takeReceived()).toHaveLength(2);
    expect(sqs.received()).toEqual([]);
  });

  it('fails whole requests with 400 (not retried) or 500 (retried), as SQS does', async () => {
    const sqs = await responder({ failRequests: [['4', 400]] });
    sqs.failRequests.set('5', 500);
    const send = (id: string, maxAttempts = 3) =>
      client(sqs.endpoint, maxAttempts).send(
        new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: [{ Id: id, MessageBody: 'x' }] }),
      );
    await expect(send('4')).rejects.toMatchObject({ $metadata: { httpStatusCode: 400, attempts: 1 } });
    await expect(send('5', 2)).rejects.toMatchObject({ $metadata: { httpStatusCode: 500, attempts: 2 } });
    await expect(send('6')).resolves.toMatchObject({ Successful: [{ Id: '6' }] });
    expect(sqs.received().map((m) => m.id)).toEqual(['6']);
  });

  it("refuses flaky entries as the service's fault their first n times, and counts every arrival", async () => {
    const sqs = await responder({ flakyIds: [['a', 2]], failRequests: [['z', 400]] });
    const send = (ids: string[]) =>
      client(sqs.endpoint, 1).send(
        new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: ids.map((Id) => ({ Id, MessageBody: Id })) }),
      );
    for (const attempt of [1, 2]) {
      const output = await send(['a', 'b']);
      expect(output.Failed, `attempt ${attempt}`).toEqual([
        { Id: 'a', SenderFault: false, Code: 'InternalError', Message: expect.any(String) },
      ]);
    }
    expect((await send(['a'])).Successful!.map((e) => e.Id)).toEqual(['a']);
    await expect(send(['z'])).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    expect(Object.fromEntries(sqs.arrivals())).toEqual({ a: 3, b: 2, z: 1 });
    expect(sqs.received().map((m) => m.id)).toEqual(['b', 'b', 'a']);
  });

  it('refuses what SQS refuses: more than ten entries, duplicate ids', async () => {
    const sqs = await responder();
    const entries = (ids: string[]) => ids.map((Id) => ({ Id, MessageBody: Id }));
    const send = (ids: string[]) =>
      client(sqs.endpoint, 1).send(new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: entries(ids) }));
    await expect(send(Array.from({ length: 11 }, (_, i) => String(i)))).rejects.toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    await expect(send(['a', 'a'])).rejects.toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    expect(sqs.received()).toEqual([]);
  });

  it('keeps nothing when not recording, and answers all the same', async () => {
    const sqs = await responder({ record: false });
    const output = await client(sqs.endpoint).send(
      new SendMessageBatchCommand({ QueueUrl: sqs.queueUrl, Entries: [{ Id: '0', MessageBody: 'x' }] }),
    );
    expect(output.Successful).toHaveLength(1);
    expect(sqs.received()).toEqual([]);
  });

  it('answers boto3, entry failures and request failures included', async (ctx) => {
    const python = venvPython(ctx);
    const sqs = await responder({ failIds: ['1'], failRequests: [['9', 400]] });
    const script = `
import json, sys
import boto3
from botocore.exceptions import ClientError
sqs = boto3.client("sqs")
out = sqs.send_message_batch(QueueUrl=sys.argv[1], Entries=[{"Id": "0", "MessageBody": "é"}, {"Id": "1", "MessageBody": "b"}])
out.pop("ResponseMetadata")
try:
    sqs.send_message_batch(QueueUrl=sys.argv[1], Entries=[{"Id": "9", "MessageBody": "c"}])
except ClientError as error:
    out["error"] = [error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Code"]]
print(json.dumps(out))
`;
    const run = await execa(python, ['-c', script, sqs.queueUrl], {
      env: { PATH: process.env.PATH ?? '', ...awsEnv(sqs.endpoint) },
      extendEnv: false,
    });
    const out = JSON.parse(run.stdout);
    expect(out.Successful).toEqual([{ Id: '0', MessageId: expect.any(String), MD5OfMessageBody: md5('é') }]);
    expect(out.Failed).toEqual([{ Id: '1', SenderFault: true, Code: 'InvalidParameterValue', Message: expect.any(String) }]);
    expect(out.error[0]).toBe(400);
    expect(out.error[1]).toMatch(/NonExistentQueue|QueueDoesNotExist/);
    expect(sqs.received()).toEqual([{ id: '0', body: 'é', queueUrl: sqs.queueUrl, request: 1 }]);
  });
});

type Twin = 'node' | 'python';
const TWIN_NAMES: Twin[] = ['node', 'python'];

/** What each runtime client runs: its command, and a handler that shows what it was given. */
const RUNTIMES = {
  node: {
    command: (_ctx: { skip: (note?: string) => void }) => process.execPath,
    script: NODE_RUNTIME,
    module: 'index.mjs',
    source: `
export const handler = async (event, context) => {
  if (event.fail) throw new TypeError(event.fail);
  const { awsRequestId, invokedFunctionArn, functionName, memoryLimitInMB } = context;
  return { event, awsRequestId, invokedFunctionArn, functionName, memoryLimitInMB, remaining: context.getRemainingTimeInMillis(), trace: process.env._X_AMZN_TRACE_ID };
};`,
  },
  python: {
    command: venvPython,
    script: PYTHON_RUNTIME,
    module: 'app.py',
    source: `
import os

def handler(event, context):
    if event.get("fail"):
        raise TypeError(event["fail"])
    return {
        "event": event,
        "awsRequestId": context.aws_request_id,
        "invokedFunctionArn": context.invoked_function_arn,
        "functionName": context.function_name,
        "memoryLimitInMB": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "trace": os.environ["_X_AMZN_TRACE_ID"],
    }
`,
  },
} as const;

describe.each(TWIN_NAMES)('the %s runtime client', (runtime) => {
  const running: LocalFunction[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((fn) => fn.stop()));
  });

  async function start(ctx: { skip: (note?: string) => void }, handler: string): Promise<LocalFunction> {
    const { command, script, module, source } = RUNTIMES[runtime];
    const dir = await tempDir(`cfl-runtime-${runtime}-`);
    await writeFile(join(dir, module), source);
    const fn = await LocalFunction.start({
      command: command(ctx),
      args: [script],
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '',
        LAMBDA_TASK_ROOT: dir,
        _HANDLER: handler,
        AWS_LAMBDA_FUNCTION_NAME: 'echo',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      },
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
      timeoutMs: 10_000,
    });
    running.push(fn);
    return fn;
  }

  it('hands the handler each event with its context, and posts its result or its error', async (ctx) => {
    const fn = await start(ctx, runtime === 'node' ? 'index.handler' : 'app.handler');
    const first = await fn.invoke({ n: 1, s: 'é' }, { requestId: 'req-1', traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1' });
    expect(first.outcome === 'response' && JSON.parse(first.payload.toString())).toEqual({
      event: { n: 1, s: 'é' },
      awsRequestId: 'req-1',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
      functionName: 'echo',
      memoryLimitInMB: '256',
      remaining: expect.any(Number),
      trace: 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1',
    });
    expect(first.outcome === 'response' && JSON.parse(first.payload.toString()).remaining).toBeGreaterThan(9000);
    expect(first.initDurationMs).toBeGreaterThan(0);

    expect(await fn.invoke({ fail: 'boom' })).toMatchObject({ outcome: 'error', errorType: 'TypeError', errorMessage: 'boom' });
    // The loop goes on after a function error, in the same process.
    expect(await fn.invoke({ n: 3 })).toMatchObject({ outcome: 'response' });
  });

  it('reports a missing handler or module as an init error', async (ctx) => {
    const missingExport = await start(ctx, runtime === 'node' ? 'index.nope' : 'app.nope');
    expect(await missingExport.invoke({})).toMatchObject({ outcome: 'init-error', errorType: 'Runtime.HandlerNotFound' });
    const missingModule = await start(ctx, 'nothing.handler');
    expect(await missingModule.invoke({})).toMatchObject({ outcome: 'init-error', errorType: 'Runtime.ImportModuleError' });
  });
});

describe('the churn twins', () => {
  let modelText: string;
  let model: Model;
  const running: LocalFunction[] = [];

  beforeAll(async () => {
    const built = statSync(NODE_RUNTIME, { throwIfNoEntry: false });
    const source = statSync(join(ROOT, 'src/bench/runtimes/node-runtime.ts'));
    if (!built || built.mtimeMs < source.mtimeMs) throw new Error(`${NODE_RUNTIME} is missing or stale: run npm run build`);
    modelText = await readFile(MODEL_FILE, 'utf8');
    model = validateModel(JSON.parse(modelText));
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((fn) => fn.stop()));
  });

  /** The twin in a directory of its own, with a model.json beside it as the render puts it. */
  async function twinDir(twin: Twin, model: string): Promise<string> {
    const dir = await tempDir(`cfl-churn-${twin}-`);
    await cp(join(TWINS, twin), dir, { recursive: true });
    await writeFile(join(dir, 'model.json'), model);
    // ESM ignores NODE_PATH: the SDK must be found from the function's own node_modules.
    if (twin === 'node') await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    return dir;
  }

  async function startTwin(
    twin: Twin,
    ctx: { skip: (note?: string) => void },
    sqs: SqsResponder,
    options: { model?: string; env?: Record<string, string | undefined> } = {},
  ): Promise<LocalFunction> {
    const command = twin === 'node' ? process.execPath : venvPython(ctx);
    const dir = await twinDir(twin, options.model ?? modelText);
    const env: Record<string, string | undefined> = {
      PATH: process.env.PATH ?? '',
      ...awsEnv(sqs.endpoint),
      // No profile of the machine's may leak in.
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
      QUEUE_URL: sqs.queueUrl,
      LAMBDA_TASK_ROOT: dir,
      _HANDLER: twin === 'node' ? 'index.handler' : 'app.handler',
      AWS_LAMBDA_FUNCTION_NAME: `churn-${twin}`,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      ...options.env,
    };
    const fn = await LocalFunction.start({
      command,
      args: [twin === 'node' ? NODE_RUNTIME : PYTHON_RUNTIME],
      cwd: dir,
      env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      timeoutMs: 20_000,
    });
    running.push(fn);
    return fn;
  }

  function answer(result: LocalInvocation): { batchItemFailures: { itemIdentifier: string }[] } {
    if (result.outcome !== 'response') throw new Error(`expected a response, got ${JSON.stringify({ ...result, payload: undefined })}`);
    return JSON.parse(result.payload.toString('utf8'));
  }

  /** Every message is the reference prediction for the record its id names. */
  function expectPredictions(messages: ReceivedMessage[], customers: CustomerRecord[], queueUrl: string): void {
    for (const message of messages) {
      const customer = customers[Number(message.id)]!;
      const expected = score(model, customer);
      // Compact, keys in the contract's order; the probability as the language prints it.
      expect(message.body).toMatch(/^\{"customer_id":"[^"]+","probability":[0-9.e+-]+,"label":"(churn|stay)","model_version":"[^"]+"\}$/);
      const got = JSON.parse(message.body);
      expect(got).toEqual({
        customer_id: customer.customer_id,
        probability: expect.any(Number),
        label: expected.label,
        model_version: model.version,
      });
      expect(Math.abs(got.probability - expected.probability)).toBeLessThanOrEqual(1e-9);
      expect(message.queueUrl).toBe(queueUrl);
    }
  }

  /** The ids of each SendMessageBatch request, in request order. */
  const chunks = (messages: ReceivedMessage[]) => {
    const byRequest = new Map<number, string[]>();
    for (const m of messages) byRequest.set(m.request, [...(byRequest.get(m.request) ?? []), m.id]);
    return [...byRequest.values()];
  };

  it('both twins send the reference predictions, one per record, in chunks of ten, cold and warm', async (ctx) => {
    const customers = generateCustomers(25, 42);
    const event = kinesisEvent(
      'InputStream',
      customers.map((c) => JSON.stringify(c)),
    );
    const sent = new Map<Twin, ReceivedMessage[]>();

    for (const twin of TWIN_NAMES) {
      const sqs = await responder();
      const fn = await startTwin(twin, ctx, sqs);
      for (const start of ['cold', 'warm']) {
        const result = await fn.invoke(event);
        expect(answer(result), `${twin} ${start}`).toEqual({ batchItemFailures: [] });
        const messages = sqs.takeReceived();
        expect(messages.map((m) => m.id).sort((a, b) => Number(a) - Number(b))).toEqual(customers.map((_, i) => String(i)));
        // Chunks of consecutive records: 0-9, 10-19, 20-24, whichever arrives first.
        const ids = chunks(messages).map((chunk) => chunk.map(Number).sort((a, b) => a - b));
        expect(ids.sort((a, b) => a[0]! - b[0]!)).toEqual([
          [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
          [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
          [20, 21, 22, 23, 24],
        ]);
        expectPredictions(messages, customers, sqs.queueUrl);
        sent.set(twin, messages);
      }
    }

    // And the twins agree with each other, message for message.
    const byId = (twin: Twin) => new Map(sent.get(twin)!.map((m) => [m.id, JSON.parse(m.body)]));
    const [node, python] = [byId('node'), byId('python')];
    for (const [id, fromNode] of node) {
      const fromPython = python.get(id);
      expect({ ...fromPython, probability: 0 }).toEqual({ ...fromNode, probability: 0 });
      expect(Math.abs(fromPython.probability - fromNode.probability)).toBeLessThanOrEqual(1e-9);
    }
  });

  describe.each(TWIN_NAMES)('the %s twin', (twin) => {
    it('reports invalid records and failed sends in record order, logging each once', async (ctx) => {
      const customers = generateCustomers(25, 7);
      const bodies = customers.map((c) => JSON.stringify(c));
      bodies[3] = '{ not json';
      bodies[7] = JSON.stringify({ ...customers[7], contract: 'weekly' });
      bodies[16] = JSON.stringify({ ...customers[16], support_calls: -1 });
      const event = kinesisEvent('InputStream', bodies);
      // The valid records go out as [0 1 2 4 5 6 8 9 10 11] [12 13 14 15 17 18 19 20 21 22] [23 24]:
      // SQS rejects entry 5, and the whole request of the last chunk fails.
      const sqs = await responder({ failIds: ['5'], failRequests: [['24', 400]] });
      const fn = await startTwin(twin, ctx, sqs);

      const result = await fn.invoke(event);
      const failed = [3, 5, 7, 16, 23, 24];
      const sequenceNumbers = event.Records.map((r) => r.kinesis.sequenceNumber);
      expect(answer(result).batchItemFailures).toEqual(failed.map((i) => ({ itemIdentifier: sequenceNumbers[i] })));
      for (const [i, sequenceNumber] of sequenceNumbers.entries()) {
        expect(
          result.logs.filter((line) => line.includes(sequenceNumber)),
          `log lines naming record ${i}`,
        ).toHaveLength(failed.includes(i) ? 1 : 0);
      }
      const messages = sqs.received();
      expect(chunks(messages).map((chunk) => chunk.map(Number).sort((a, b) => a - b))).toEqual(
        expect.arrayContaining([
          [0, 1, 2, 4, 6, 8, 9, 10, 11],
          [12, 13, 14, 15, 17, 18, 19, 20, 21, 22],
        ]),
      );
      expect(messages).toHaveLength(19);
      expectPredictions(messages, customers, sqs.queueUrl);
    });

    it('fails the init on a bad model, with a message naming the problem', async (ctx) => {
      const sqs = await responder();
      const bad = JSON.parse(await readFile(MODEL_FILE, 'utf8'));
      bad.numeric[2].std = 0;
      const fn = await startTwin(twin, ctx, sqs, { model: JSON.stringify(bad) });
      const result = await fn.invoke(kinesisEvent('InputStream', []));
      expect(result).toMatchObject({ outcome: 'init-error', errorMessage: expect.stringMatching(/total_charges.*std/) });
      expect(await fn.exited).toMatchObject({ exitCode: 1 });
    });

    it('fails the init on a model missing a category level', async (ctx) => {
      const sqs = await responder();
      const bad = JSON.parse(await readFile(MODEL_FILE, 'utf8'));
      delete bad.categorical[1].weights['credit-card'];
      const fn = await startTwin(twin, ctx, sqs, { model: JSON.stringify(bad) });
      expect(await fn.invoke({ Records: [] })).toMatchObject({
        outcome: 'init-error',
        errorMessage: expect.stringContaining('payment_method'),
      });
    });

    it('fails the init without QUEUE_URL, naming it', async (ctx) => {
      const sqs = await responder();
      const fn = await startTwin(twin, ctx, sqs, { env: { QUEUE_URL: undefined } });
      expect(await fn.invoke({ Records: [] })).toMatchObject({
        outcome: 'init-error',
        errorMessage: expect.stringContaining('QUEUE_URL is not set'),
      });
    });
  });
});
