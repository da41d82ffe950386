/**
 * `lambda-kit invoke` as users see it, quickly: the real bin on a generated project whose
 * "binary" is a small Node runtime (so no Rust build is needed here; test/invoke-e2e.test.ts
 * runs the real ones), the bad-input table, and `--remote` with the stack resolved in moto's
 * CloudFormation and Lambda's Invoke mocked (moto cannot run a function without Docker).
 */
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
// The class the SDK answers Invoke's Payload with, so the mocked answer has its real shape.
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import kleur from 'kleur';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { CREATE_BIN, KIT_BIN, ROOT, runBin, tempDir, userEnv } from './support/cli.js';
import { clientConfig, startMoto, type MotoServer } from './support/moto.js';
import { IN_CI, pythonTools } from './support/tools.js';
import { execa } from 'execa';

/**
 * A Lambda runtime in Node, standing in for target/debug/<crate>. Like the generated code it
 * stops at init without TABLE_NAME. It answers with what it saw, logs like `tracing`'s JSON,
 * and misbehaves on request: MODE=fail posts an error, MODE=slow outlives the timeout,
 * MODE=crash exits mid-invocation.
 */
const FAKE_FUNCTION = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const post = (path, body) => fetch(api + path, { method: 'POST', body: JSON.stringify(body) });
if (!process.env.TABLE_NAME) {
  console.error('Error: environment variable TABLE_NAME is not set: template.yaml sets it for the deployed function; set it yourself when running locally');
  process.exit(1);
}
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const event = await res.json();
    console.log(JSON.stringify({ level: 'INFO', fields: { message: 'stored', records: event.Records.length }, span: { requestId: id } }));
    if (process.env.MODE === 'slow') await new Promise((r) => setTimeout(r, 5000));
    if (process.env.MODE === 'crash') process.exit(101);
    if (process.env.MODE === 'fail') { await post('/invocation/' + id + '/error', { errorType: 'HandlerError', errorMessage: 'bad item' }); continue; }
    const env = process.env;
    await post('/invocation/' + id + '/response', {
      records: event.Records.length,
      table: env.TABLE_NAME, name: env.AWS_LAMBDA_FUNCTION_NAME, memory: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logFormat: env.AWS_LAMBDA_LOG_FORMAT, logLevel: env.AWS_LAMBDA_LOG_LEVEL, endpoint: env.AWS_ENDPOINT_URL ?? null,
      deadlineIn: Number(res.headers.get('lambda-runtime-deadline-ms')) - Date.now(),
    });
  }
})();
`;

let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-invoke-');
  await execa(
    process.execPath,
    [CREATE_BIN, 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--timeout', '2', '--yes'],
    { cwd: root, stdin: 'ignore' },
  );
  project = join(root, 'orders');
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function installFake() {
  const path = join(project, 'target/debug/orders');
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, FAKE_FUNCTION);
  await chmod(path, 0o755);
}

/** The environment of a user at a terminal, with no CARGO_TARGET_DIR: the project's target/. */
function invoke(args: string[], env: NodeJS.ProcessEnv = {}, cwd = project) {
  const base = userEnv(env);
  delete base.CARGO_TARGET_DIR;
  return runBin(KIT_BIN, ['invoke', ...args], cwd, base);
}

describe('lambda-kit invoke (local)', () => {
  it('says how to build when nothing is built', async () => {
    await rm(join(project, 'target'), { recursive: true, force: true });
    const result = await invoke([]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^lambda-kit: AppFunction is not built yet \(no target\/lambda\/orders\/bootstrap\)\. Build it with `(lambda-kit build --no-sam|cargo build)`, then invoke again\.$/,
    );
  });

  it('runs the function on the sample event: answer on stdout, logs and timings on stderr', async () => {
    await installFake();
    const result = await invoke(['--env', 'TABLE_NAME=orders-table'], {
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_REGION: 'eu-west-1',
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({
      records: 3,
      table: 'orders-table',
      name: 'AppFunction',
      memory: '512',
      logFormat: 'JSON',
      logLevel: 'INFO',
      endpoint: 'http://127.0.0.1:4566',
    });
    // The deadline is the template's Timeout (2 s) away.
    expect(answer.deadlineIn).toBeGreaterThan(1000);
    expect(answer.deadlineIn).toBeLessThanOrEqual(2000);
    expect(result.stdout).toBe(JSON.stringify(answer, null, 2));
    const lines = result.stderr.split('\n');
    expect(lines[0]).toBe('Invoking AppFunction locally: target/debug/orders (cargo build) with events/sqs.json');
    expect(lines).toContain('│ INFO  stored records=3');
    expect(lines.at(-1)).toMatch(/^Duration \d+\.\d\d ms · Memory \d+\/512 MB · Init \d+\.\d\d ms \(cold start\)$/);
  });

  it('takes the sink’s variable from the environment, and --event', async () => {
    await writeFile(join(project, 'events/one.json'), JSON.stringify({ Records: [{ messageId: 'm-1', body: '{}' }] }));
    const result = await invoke(['--event', 'events/one.json'], { TABLE_NAME: 'from-env' });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ records: 1, table: 'from-env' });
    expect(result.stderr).toContain('with events/one.json');
  });

  it('exits 1 with the error type and message when the function fails', async () => {
    const result = await invoke(['--env', 'TABLE_NAME=t', '--env', 'MODE=fail']);
    expect(result.exitCode).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ errorType: 'HandlerError', errorMessage: 'bad item' });
    expect(result.stderr.trim().split('\n').at(-1)).toBe('lambda-kit: the function failed: HandlerError: bad item');
  });

  it('exits 1 naming the variable when the function stops at init for want of it', async () => {
    // With an endpoint of the user's (moto), nothing is stood in for: the variables are theirs to give.
    const result = await invoke([], { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toContain(
      'TABLE_NAME is !Ref ResultsTable in template.yaml: set it with --env TABLE_NAME=… (or in your environment) if the function needs it',
    );
    expect(lines).toContain(
      '│ Error: environment variable TABLE_NAME is not set: template.yaml sets it for the deployed function; set it yourself when running locally',
    );
    expect(lines.at(-1)).toBe(
      'lambda-kit: the function exited with code 1 during init, before it took the event. Set TABLE_NAME (!Ref ResultsTable in template.yaml) with --env TABLE_NAME=<value>.',
    );
  });

  it('exits 1 when the function crashes mid-invocation, or outlives its timeout', async () => {
    const crash = await invoke(['--env', 'TABLE_NAME=t', '--env', 'MODE=crash']);
    expect(crash.exitCode).toBe(1);
    expect(crash.stderr.trim().split('\n').at(-1)).toBe(
      'lambda-kit: the function exited with code 101 while handling the event (its output is above)',
    );

    const slow = await invoke(['--env', 'TABLE_NAME=t', '--env', 'MODE=slow']);
    expect(slow.exitCode).toBe(1);
    expect(slow.stderr.trim().split('\n').at(-1)).toBe(
      "lambda-kit: Task timed out after 2.00 seconds (the function's Timeout in template.yaml)",
    );
  });

  it.each([
    [['--bogus'], 2, "lambda-kit: unknown option '--bogus'. See lambda-kit invoke --help."],
    [['extra'], 2, "lambda-kit: unexpected argument 'extra'. See lambda-kit invoke --help."],
    [['--env', 'NOEQUALS'], 2, "lambda-kit: --env takes KEY=VALUE, not 'NOEQUALS'."],
    [['--stack-name', 'x'], 2, 'lambda-kit: --stack-name applies to --remote only. See lambda-kit invoke --help.'],
    [
      ['--remote', '--env', 'A=1'],
      2,
      'lambda-kit: --env applies to a local run only: a deployed function has its environment from template.yaml.',
    ],
    [['--function', 'Nope'], 2, 'lambda-kit: no function Nope in template.yaml; it has AppFunction'],
    [['--event', 'events/missing.json'], 1, 'lambda-kit: event file events/missing.json does not exist'],
  ])('refuses %j (exit %i)', async (args, code, message) => {
    const result = await invoke(args);
    expect(result.stderr.trim()).toBe(message);
    expect(result.exitCode).toBe(code);
  });

  it('refuses to run outside a project (exit 1), and shows --help', async () => {
    const outside = await invoke([], {}, root);
    expect(outside.exitCode).toBe(1);
    expect(outside.stderr.trim()).toBe(`lambda-kit: no template.yaml in ${root}: run lambda-kit in a project made by create-fast-lambda`);
    const help = await invoke(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--remote');
    const top = await runBin(KIT_BIN, ['--help'], root);
    expect(top.stdout).toMatch(/^ {2}invoke +run the function on an event, locally or deployed \(--remote\)$/m);
  });

  it('loads the AWS SDK only for --remote', async () => {
    const source = await readFile(join(ROOT, 'src/cli/commands/invoke.ts'), 'utf8');
    expect(source).not.toMatch(/^import .*(@aws-sdk|remote-invoke)/m);
    expect(source).toContain("await import('../../aws/remote-invoke.js')");
  });
});

// ---------------------------------------------------------------------------------------------

const tools = pythonTools();
const noMoto = 'problem' in tools ? tools.problem : undefined;
if (noMoto && IN_CI) throw new Error(`moto (from scripts/python-tools.sh) is required in CI: ${noMoto}`);

describe.skipIf(noMoto)('lambda-kit invoke --remote', () => {
  let moto: MotoServer;
  const lambda = mockClient(LambdaClient);
  const saved = { cwd: process.cwd(), env: { ...process.env }, color: kleur.enabled };
  const restoreEnv = () => {
    for (const key of Object.keys(process.env)) if (!(key in saved.env)) delete process.env[key];
    Object.assign(process.env, saved.env);
  };
  let out: string;
  let err: string;

  const REQUEST = '8f5a1c0e-3b7d-4e62-9a41-0d6c2b9e7f13';
  const tail = (lines: string[]) => Buffer.from(lines.join('\n')).toString('base64');

  beforeAll(async () => {
    moto = await startMoto('bin' in tools ? tools.bin : '');
    const cfn = new CloudFormationClient(clientConfig(moto));
    // The deployed stack, as plain CloudFormation: the function under its template logical id.
    const template = {
      Resources: {
        AppFunctionRole: {
          Type: 'AWS::IAM::Role',
          Properties: {
            AssumeRolePolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
            },
          },
        },
        AppFunction: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            FunctionName: 'orders-AppFunction-Zx81Qp',
            Runtime: 'provided.al2023',
            Handler: 'bootstrap',
            Role: { 'Fn::GetAtt': ['AppFunctionRole', 'Arn'] },
            Code: { ZipFile: 'placeholder' },
          },
        },
      },
    };
    await cfn.send(new CreateStackCommand({ StackName: 'orders', TemplateBody: JSON.stringify(template) }));
    await cfn.send(
      new CreateStackCommand({
        StackName: 'queues-only',
        TemplateBody: JSON.stringify({ Resources: { Queue: { Type: 'AWS::SQS::Queue' } } }),
      }),
    );
  }, 60_000);

  beforeAll(() => {
    Object.assign(process.env, moto.env);
    delete process.env.AWS_PROFILE;
    process.chdir(project);
    kleur.enabled = false;
  });

  afterEach(() => {
    lambda.reset();
    vi.restoreAllMocks();
  });

  afterAll(async () => {
    process.chdir(saved.cwd);
    restoreEnv();
    kleur.enabled = saved.color;
    lambda.restore();
    await moto?.stop();
  });

  async function run(args: string[]) {
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err += String(chunk);
      return true;
    });
    const { main } = await import('../src/cli/commands/invoke.js');
    try {
      return await main(args);
    } finally {
      vi.restoreAllMocks();
    }
  }

  it('finds the function in the stack, invokes it with the event and prints the answer, its log and its REPORT', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      ExecutedVersion: '$LATEST',
      Payload: Uint8ArrayBlobAdapter.fromString('{"batchItemFailures":[]}'),
      LogResult: tail([
        'INIT_START Runtime Version: provided:al2023.v105\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0123',
        `START RequestId: ${REQUEST} Version: $LATEST`,
        '{"level":"INFO","fields":{"message":"stored","records":3},"span":{"requestId":"x"}}',
        `END RequestId: ${REQUEST}`,
        `REPORT RequestId: ${REQUEST}\tDuration: 12.34 ms\tBilled Duration: 62 ms\tMemory Size: 512 MB\tMax Memory Used: 21 MB\tInit Duration: 48.91 ms\t`,
        '',
      ]),
    });
    expect(await run(['--remote'])).toBe(0);

    const calls = lambda.commandCalls(InvokeCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input).toMatchObject({ FunctionName: 'orders-AppFunction-Zx81Qp', LogType: 'Tail', InvocationType: 'RequestResponse' });
    expect(Buffer.from(input.Payload as Uint8Array).toString()).toBe(await readFile(join(project, 'events/sqs.json'), 'utf8'));

    expect(out).toBe('{\n  "batchItemFailures": []\n}\n');
    expect(err.split('\n')).toEqual([
      'Invoking orders-AppFunction-Zx81Qp (AppFunction in stack orders) with events/sqs.json',
      '│ INFO  stored records=3',
      'Duration 12.34 ms · Billed 62 ms · Memory 21/512 MB · Init 48.91 ms (cold start)',
      'all 3 records succeeded',
      '',
    ]);
  });

  it('reads a JSON-format log tail too, and a warm REPORT', async () => {
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: Uint8ArrayBlobAdapter.fromString('null'),
      LogResult: tail([
        JSON.stringify({ time: '2026-05-01T09:30:00.000Z', type: 'platform.start', record: { requestId: REQUEST, version: '$LATEST' } }),
        JSON.stringify({
          time: '2026-05-01T09:30:00.004Z',
          type: 'platform.report',
          record: {
            requestId: REQUEST,
            metrics: { durationMs: 3.5, billedDurationMs: 4, memorySizeMB: 512, maxMemoryUsedMB: 22 },
            status: 'success',
          },
        }),
      ]),
    });
    expect(await run(['--remote', '--stack-name', 'orders', '--region', 'us-east-1'])).toBe(0);
    expect(out).toBe('null\n');
    expect(err).toContain('Duration 3.50 ms · Billed 4 ms · Memory 22/512 MB\n');
  });

  it('exits 1 with the error type and message when the function fails', async () => {
    const error = { errorType: 'Runtime.ExitError', errorMessage: 'RequestId: 8f5a1c0e Error: Runtime exited with error: exit status 1' };
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify(error)),
      LogResult: tail([
        `START RequestId: ${REQUEST} Version: $LATEST`,
        'Error: environment variable TABLE_NAME is not set',
        `END RequestId: ${REQUEST}`,
        `REPORT RequestId: ${REQUEST}\tDuration: 30.12 ms\tBilled Duration: 31 ms\tMemory Size: 512 MB\tMax Memory Used: 15 MB\tStatus: error\tError Type: Runtime.ExitError`,
      ]),
    });
    await expect(run(['--remote'])).rejects.toMatchObject({
      exitCode: 1,
      message: 'the function failed (Unhandled): Runtime.ExitError: RequestId: 8f5a1c0e Error: Runtime exited with error: exit status 1',
    });
    expect(JSON.parse(out)).toEqual(error);
    expect(err).toContain('│ Error: environment variable TABLE_NAME is not set\n');
    expect(err).toContain('Duration 30.12 ms · Billed 31 ms · Memory 15/512 MB · Status error (Runtime.ExitError)');
  });

  it('says so when the stack does not exist, or has no such function (exit 1)', async () => {
    await expect(run(['--remote', '--stack-name', 'nope'])).rejects.toMatchObject({ exitCode: 1, message: 'stack nope does not exist' });
    await expect(run(['--remote', '--stack-name', 'queues-only'])).rejects.toMatchObject({
      exitCode: 1,
      message: 'stack queues-only has no resource AppFunction',
    });
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('says so when the function is gone', async () => {
    lambda.on(InvokeCommand).rejects(
      Object.assign(new Error('Function not found: arn:aws:lambda:us-east-1:123456789012:function:orders-AppFunction-Zx81Qp'), {
        name: 'ResourceNotFoundException',
      }),
    );
    await expect(run(['--remote', '--region', 'us-east-1'])).rejects.toMatchObject({
      exitCode: 1,
      message: 'function orders-AppFunction-Zx81Qp does not exist in us-east-1',
    });
  });
});
