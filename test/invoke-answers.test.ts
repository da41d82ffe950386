/**
 * What `lambda-kit invoke` says about the answer, through the real bin: an event the function
 * cannot read (said once, with the shape it expects), a batch answer summarised against the
 * records sent, and the event's path as the user typed it.
 *
 * The function is a small Node runtime that reads its event as lambda_runtime 1.5 does: for an
 * event without `Records` it logs lambda_runtime's ERROR line and posts the same error body
 * (deserializer.rs, diagnostic.rs); for a batch it fails the records MODE names. The same runs
 * deployed for --remote, behind a Lambda API on loopback (test/support/lambda-service.ts). A
 * real generated function, built with cargo lambda, closes the file.
 */
import { createServer } from 'node:net';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtTriggerProject } from './support/built-project.js';
import { CREATE_BIN, KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { httpApiEvent, kinesisEvent, sqsEvent } from './support/events.js';
import { LambdaService } from './support/lambda-service.js';
import { awsEnv, clientConfig, LAMBDA_ROLE, startMoto, type MotoServer } from './support/moto.js';
import { CARGO_ENV, IN_CI, pythonTools, which } from './support/tools.js';

const BATCH_FUNCTION = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const post = (path, body) => fetch(api + path, { method: 'POST', body: JSON.stringify(body) });
const idOf = (r) => r.messageId ?? r.kinesis?.sequenceNumber ?? r.dynamodb?.SequenceNumber;
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const body = await res.text();
    const event = JSON.parse(body);
    if (!Array.isArray(event.Records)) {
      // lambda_runtime: an ERROR line, then the error body, with serde's position in the event.
      const column = body.length;
      console.log(JSON.stringify({ level: 'ERROR', fields: { message: 'Request payload deserialization into LambdaEvent<T> failed. The handler will not be called. Log at TRACE level to see the payload.', error: 'DeserializeError { inner: Error { path: Path { segments: [] }, original: Error("missing field \`Records\`", line: 1, column: ' + column + ') } }' } }));
      await post('/invocation/' + id + '/error', {
        errorType: '&lambda_runtime::deserializer::DeserializeError',
        errorMessage: "failed to deserialize the incoming data into the function's payload type: missing field \`Records\` at line 1 column " + column + '\\n',
      });
      continue;
    }
    const ids = event.Records.map(idOf);
    const failed = process.env.MODE === 'fail-all' ? ids : process.env.MODE === 'fail-first' ? ids.slice(0, 1) : [];
    for (const f of failed) console.log(JSON.stringify({ level: 'WARN', fields: { message: 'record failed', id: f } }));
    await post('/invocation/' + id + '/response', { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) });
  }
})();
`;

let root: string;
let project: string;
let apiEventPath: string;

beforeAll(async () => {
  root = await tempDir('cfl-invoke-answers-');
  await execa(
    process.execPath,
    [CREATE_BIN, 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--timeout', '5', '--yes'],
    { cwd: root, stdin: 'ignore' },
  );
  project = join(root, 'orders');
  const binary = join(project, 'target/debug/orders');
  await mkdir(join(binary, '..'), { recursive: true });
  await writeFile(binary, BATCH_FUNCTION);
  await chmod(binary, 0o755);
  apiEventPath = join(root, 'api.json');
  await writeFile(apiEventPath, JSON.stringify(httpApiEvent('{"id":"A-1"}')));
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

function kitEnv(): NodeJS.ProcessEnv {
  const env = userEnv();
  delete env.CARGO_TARGET_DIR;
  return env;
}

function invoke(args: string[], cwd = project) {
  return runBin(KIT_BIN, ['invoke', ...args], cwd, kitEnv());
}

/** The one line an event of the wrong shape ends with, after `the function failed` or `… (Unhandled)`. */
const shapeErrorLine = (failed: string) =>
  new RegExp(
    `^lambda-kit: ${failed}: DeserializeError: missing field \`Records\` at line 1 column \\d+\\. ` +
      'The event does not have the shape AppFunction expects \\(an SQS event\\): pick a sample from events/ or check --event\\.$',
  );
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('lambda-kit'));
const lastLine = (stderr: string) => stderr.trim().split('\n').at(-1);

describe('an event the function cannot read', () => {
  it('is said once, on one line: the short type, where, and the shape the function expects', async () => {
    const result = await invoke(['--event', apiEventPath]);
    expect(result.exitCode).toBe(1);
    // Not the function's answer: nothing on stdout, and the runtime's own ERROR line is not repeated.
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('deserializ');
    expect(result.stderr.match(/missing field/g)).toHaveLength(1);
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(shapeErrorLine('the function failed'))]);
    expect(lastLine(result.stderr)).toBe(errorLines(result.stderr)[0]);
    // Its timings stay: the function did run.
    expect(result.stderr).toMatch(/^Duration \d+\.\d\d ms/m);
  });
});

describe('a batch answer', () => {
  async function withEvent(name: string, event: unknown, mode: string) {
    await writeFile(join(project, 'events', name), JSON.stringify(event));
    return invoke(['--event', `events/${name}`, '--env', `MODE=${mode}`]);
  }

  it('with every record failed says so, and exits 0: the invocation itself succeeded', async () => {
    const result = await invoke(['--env', 'MODE=fail-all']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).batchItemFailures).toHaveLength(3);
    expect(lastLine(result.stderr)).toBe('3 of 3 records failed (batchItemFailures)');
  });

  it('counts partial failures and successes, for SQS and Kinesis records', async () => {
    const some = await withEvent('two.json', sqsEvent('q', ['{}', '{}']), 'fail-first');
    expect(some.exitCode).toBe(0);
    expect(lastLine(some.stderr)).toBe('1 of 2 records failed (batchItemFailures)');
    const none = await withEvent('two.json', sqsEvent('q', ['{}', '{}']), 'none');
    expect(lastLine(none.stderr)).toBe('all 2 records succeeded');
    const stream = await withEvent('kinesis.json', kinesisEvent('s', ['a', 'b', 'c', 'd']), 'fail-all');
    expect(stream.exitCode).toBe(0);
    expect(lastLine(stream.stderr)).toBe('4 of 4 records failed (batchItemFailures)');
  });

  it('and a DynamoDB stream batch, by sequence number', async () => {
    const record = (n: number) => ({
      eventID: `e-${n}`,
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: { SequenceNumber: `11100000000000000000${n}`, Keys: { id: { S: `A-${n}` } } },
    });
    const result = await withEvent('ddb.json', { Records: [record(1), record(2)] }, 'fail-first');
    expect(result.exitCode).toBe(0);
    expect(lastLine(result.stderr)).toBe('1 of 2 records failed (batchItemFailures)');
  });
});

describe('the event path', () => {
  it('is shown as typed: absolute, and relative outside the project', async () => {
    const absolute = await invoke(['--event', apiEventPath]);
    expect(absolute.stderr.split('\n')[0]).toMatch(new RegExp(`with ${apiEventPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
    const relativeOutside = await invoke(['--event', '../api.json']);
    expect(relativeOutside.stderr.split('\n')[0]).toMatch(/ with \.\.\/api\.json$/);
    const inside = await invoke(['--event', './events/sqs.json', '--env', 'MODE=none']);
    expect(inside.stderr.split('\n')[0]).toMatch(/ with \.\/events\/sqs\.json$/);
  });
});

// ---------------------------------------------------------------------------------------------

const tools = pythonTools();
const noMoto = 'problem' in tools ? tools.problem : undefined;
if (noMoto && IN_CI) throw new Error(`invoke --remote tests need moto in CI: ${noMoto}`);

describe.skipIf(noMoto)('invoke --remote reads the answer the same way', () => {
  const FUNCTIONS = { 'orders-fail-all': 'fail-all', 'orders-shape': 'none' };
  let moto: MotoServer;
  let service: LambdaService;

  beforeAll(async () => {
    moto = await startMoto('bin' in tools ? tools.bin : '');
    const script = join(project, 'target/debug/orders');
    service = await LambdaService.start(
      Object.fromEntries(
        Object.entries(FUNCTIONS).map(([name, mode]) => [name, { command: script, env: { MODE: mode }, timeoutMs: 10_000 }]),
      ),
    );
    const cfn = new CloudFormationClient(clientConfig(moto));
    try {
      for (const name of Object.keys(FUNCTIONS)) {
        const template = {
          Resources: {
            Role: LAMBDA_ROLE,
            AppFunction: {
              Type: 'AWS::Lambda::Function',
              Properties: {
                FunctionName: name,
                Runtime: 'provided.al2023',
                Handler: 'bootstrap',
                Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
                Code: { ZipFile: 'unused' },
              },
            },
          },
        };
        await cfn.send(
          new CreateStackCommand({ StackName: name, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM'] }),
        );
      }
    } finally {
      cfn.destroy();
    }
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await moto?.stop();
  });

  const remote = (stack: string, args: string[] = []) =>
    runBin(KIT_BIN, ['invoke', '--remote', '--stack-name', stack, ...args], project, {
      ...kitEnv(),
      ...moto.env,
      AWS_ENDPOINT_URL_LAMBDA: service.endpoint,
    });

  it('an event of the wrong shape: one line, no answer, no repeated log line', async () => {
    const result = await remote('orders-shape', ['--event', apiEventPath]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('deserializ');
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(shapeErrorLine('the function failed \\(Unhandled\\)'))]);
  });

  it('a batch with every record failed: the summary, exit 0', async () => {
    const result = await remote('orders-fail-all');
    expect(result.exitCode).toBe(0);
    expect(lastLine(result.stderr)).toBe('3 of 3 records failed (batchItemFailures)');
  });
});

// ---------------------------------------------------------------------------------------------

const noCargo = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (noCargo && IN_CI) throw new Error(`the generated-function tests need cargo and cargo-lambda in CI: ${noCargo}`);

describe.skipIf(noCargo)('a real generated SQS function', () => {
  let dir: string;
  let refusing: number;

  beforeAll(async () => {
    dir = await builtTriggerProject('sqs', 'dynamodb', 'bin' in tools ? tools.bin : '');
    // A port that refuses connections: the sink is down, so every record fails.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    refusing = (server.address() as { port: number }).port;
    await new Promise((resolve) => server.close(resolve));
  }, 25 * 60_000);

  const kit = (args: string[]) =>
    // No poison record here: the parking queue is named for init, never called.
    runBin(
      KIT_BIN,
      ['invoke', '--env', 'TABLE_NAME=results', '--env', `DEAD_LETTER_QUEUE_URL=http://127.0.0.1:${refusing}/000000000000/dlq`, ...args],
      dir,
      userEnv({ CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR, ...awsEnv(`http://127.0.0.1:${refusing}`) }),
    );

  it('sent an API event: one error line naming the SQS event it expects', async () => {
    const result = await kit(['--event', apiEventPath]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).not.toContain('deserializ');
    expect(result.stderr).not.toContain('lambda_runtime');
    expect(errorLines(result.stderr)).toEqual([expect.stringMatching(shapeErrorLine('the function failed'))]);
  }, 60_000);

  it('with its sink down: every record failed, summarised, exit 0', async () => {
    const result = await kit([]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).batchItemFailures).toHaveLength(3);
    expect(lastLine(result.stderr)).toBe('3 of 3 records failed (batchItemFailures)');
  }, 60_000);
});
