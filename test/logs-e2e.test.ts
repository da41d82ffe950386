/**
 * `lambda-kit logs` end to end against a moto server on loopback: a plain CloudFormation stack
 * whose AWS::Lambda::Function moto creates from inline code (no Docker: it is never invoked),
 * and Lambda-shaped log lines put into the function's log group. moto has no StartLiveTail, so
 * `--tail` here is the FilterLogEvents poller (with --poll, and the fallback without it).
 */
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { clientConfig, LAMBDA_ROLE, motoForFile } from './support/moto.js';

// The SDK's Node 20 notice is for us, not for the test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const moto = motoForFile('the logs end-to-end tests');
const { missing } = moto;

const COLD = '6e4b5dc6-5a0b-4a45-b2f9-2f4f5c1b3c3e';
const WARM = '0f7c1a2b-9d3e-4f5a-8b6c-7d8e9f0a1b2c';
const STREAM = '2026/05/01/[$LATEST]8d3c1f0e2b7a4c6d9e1f3a5b7c9d0e2f';

let dir: string;
let cfn: CloudFormationClient;
let logs: CloudWatchLogsClient;

function stackTemplate(fn: string | undefined) {
  const resources: Record<string, unknown> = {
    Role: LAMBDA_ROLE,
  };
  if (fn) {
    resources.AppFunctionLogGroup = { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: `/aws/lambda/${fn}` } };
    resources.AppFunction = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: fn,
        Runtime: 'provided.al2023',
        Handler: 'bootstrap',
        MemorySize: 512,
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        // moto keeps the code and never runs it here.
        Code: { ZipFile: 'unused' },
        LoggingConfig: { LogFormat: 'Text', LogGroup: { Ref: 'AppFunctionLogGroup' } },
      },
    };
  }
  return JSON.stringify({ Resources: resources });
}

async function createStack(name: string, fn: string | undefined) {
  await cfn.send(new CreateStackCommand({ StackName: name, TemplateBody: stackTemplate(fn), Capabilities: ['CAPABILITY_IAM'] }));
}

function kit(args: string[], extra: Record<string, string> = {}) {
  return runBin(KIT_BIN, ['logs', ...args], dir, userEnv({ ...moto.env, TZ: 'UTC', ...extra }));
}

beforeAll(async () => {
  if (missing) return;
  dir = await tempDir('cfl-logs-');
  const config = clientConfig(moto);
  cfn = new CloudFormationClient(config);
  logs = new CloudWatchLogsClient(config);
  await Promise.all([
    createStack('orders', 'orders'),
    createStack('no-functions', undefined),
    createStack('quiet', 'quiet'),
    createStack('busy', 'busy'),
  ]);
}, 60_000);

afterAll(async () => {
  cfn?.destroy();
  logs?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== undefined)('lambda-kit logs against moto', () => {
  it('prints a window in order: app lines in text and JSON, REPORTs with a cold start, START/END hidden, and a summary', async () => {
    const t0 = Date.now() - 60_000;
    const lines = [
      'INIT_START Runtime Version: provided:al2023.v100\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:abc',
      `START RequestId: ${COLD} Version: $LATEST`,
      `INFO Lambda runtime invoke{requestId="${COLD}" xrayTraceId="Root=1-6634f1a2-5e1b4151"}: orders: stored item id=A-1001`,
      JSON.stringify({
        timestamp: '2026-05-01T09:30:00.124Z',
        level: 'WARN',
        fields: { message: 'slow sink', ms: 812 },
        target: 'orders',
        span: { requestId: COLD },
      }),
      `END RequestId: ${COLD}`,
      `REPORT RequestId: ${COLD}\tDuration: 41.05 ms\tBilled Duration: 75 ms\tMemory Size: 512 MB\tMax Memory Used: 21 MB\tInit Duration: 33.12 ms\t`,
      `START RequestId: ${WARM} Version: $LATEST`,
      'INFO Lambda runtime invoke: orders: stored item id=A-1002',
      `END RequestId: ${WARM}`,
      `REPORT RequestId: ${WARM}\tDuration: 2.37 ms\tBilled Duration: 3 ms\tMemory Size: 512 MB\tMax Memory Used: 22 MB\t`,
    ];
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/lambda/orders', logStreamName: STREAM }));
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/lambda/orders',
        logStreamName: STREAM,
        logEvents: lines.map((message, i) => ({ timestamp: t0 + i, message })),
      }),
    );

    // In a project: samconfig.toml names the stack.
    await writeFile(
      join(dir, 'template.yaml'),
      'Resources:\n  AppFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n',
    );
    await writeFile(join(dir, 'samconfig.toml'), 'version = 0.1\n[default.deploy.parameters]\nstack_name = "orders"\n');
    const result = await kit(['--since', '5m']);
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(result.exitCode).toBe(0);
    const out = result.stdout.split('\n');
    expect(out).toHaveLength(5);
    expect(out[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} 6e4b5dc6 INFO Lambda runtime invoke\{.*stored item id=A-1001$/);
    expect(out[1]).toMatch(/ 6e4b5dc6 WARN {2}slow sink ms=812$/);
    expect(out[2]).toMatch(/ 6e4b5dc6 ❄ cold start REPORT Duration 41\.05 ms · Billed 75 ms · Memory 21\/512 MB · Init 33\.12 ms$/);
    expect(out[3]).toMatch(/ 0f7c1a2b INFO Lambda runtime invoke: orders: stored item id=A-1002$/);
    expect(out[4]).toMatch(/ 0f7c1a2b REPORT Duration 2\.37 ms · Billed 3 ms · Memory 22\/512 MB$/);
    expect(result.stdout).not.toMatch(/START|END RequestId/);
    expect(result.stderr).toContain(
      '2 invocations · 1 cold start (median init 33.12 ms) · p50 2.37 ms · p95 41.05 ms · p99 41.05 ms · memory 22/512 MB · 0 errors · 0 timeouts',
    );

    const verbose = await kit(['--since', '5m', '--verbose', '--stack-name', 'orders']);
    expect(verbose.stdout).toContain(`START RequestId: ${COLD}`);
    const json = await kit(['--since', '5m', '--json', '--stack-name', 'orders']);
    const events = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { message: string; function: string; eventId: string });
    expect(events.map((e) => e.message)).toEqual(lines);
    expect(events[0]).toMatchObject({ function: 'AppFunction', logGroupName: '/aws/lambda/orders', logStreamName: STREAM });
  });

  it('says clearly when the stack is unknown, has no functions, or its log group is empty', async () => {
    const unknown = await kit(['--stack-name', 'nope']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/^lambda-kit: stack nope does not exist/);
    const empty = await kit(['--stack-name', 'no-functions']);
    expect(empty.exitCode).toBe(1);
    expect(empty.stderr).toMatch(/^lambda-kit: stack no-functions has no Lambda functions/);
    const quiet = await kit(['--stack-name', 'quiet', '--since', '1h']);
    expect(quiet.exitCode).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toContain('No log events in /aws/lambda/quiet since 1h ago.');
    const wrongFunction = await kit(['--stack-name', 'orders', '--function', 'Other']);
    expect(wrongFunction.exitCode).toBe(2);
    expect(wrongFunction.stderr).toContain('stack orders has no function Other; it has AppFunction');
  });

  it('--tail --poll: more than 10,000 events written while it runs appear exactly once, in order', async () => {
    const TOTAL = 10_500;
    const BATCH = 500;
    const child = execa('node', [KIT_BIN, 'logs', '--stack-name', 'busy', '--tail', '--poll', '--json', '--since', '1m'], {
      cwd: dir,
      env: userEnv({ ...moto.env }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await waitFor(
      () => stderr.includes('Tailing'),
      15_000,
      () => stderr,
    );

    // Two streams, as two concurrent execution environments write; timestamps strictly increase.
    const streams = ['2026/05/01/[$LATEST]aaaa', '2026/05/01/[$LATEST]bbbb'];
    for (const name of streams) await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/lambda/busy', logStreamName: name }));
    let last = 0;
    for (let start = 0; start < TOTAL; start += BATCH) {
      const logEvents = [];
      for (let i = start; i < Math.min(TOTAL, start + BATCH); i++) {
        last = Math.max(last + 1, Date.now());
        logEvents.push({ timestamp: last, message: `INFO event seq=${String(i).padStart(6, '0')}` });
      }
      await logs.send(
        new PutLogEventsCommand({ logGroupName: '/aws/lambda/busy', logStreamName: streams[(start / BATCH) % 2]!, logEvents }),
      );
    }
    const count = () => stdout.split('\n').filter(Boolean).length;
    await waitFor(
      () => count() >= TOTAL,
      30_000,
      () => `${count()} of ${TOTAL} lines; stderr: ${stderr}`,
    );
    // A few more polls: nothing may come twice.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(stderr).toContain('Summary while tailing');

    const seqs = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(/seq=(\d+)/.exec((JSON.parse(line) as { message: string }).message)![1]));
    expect(seqs).toHaveLength(TOTAL);
    const firstGap = seqs.findIndex((seq, i) => seq !== i);
    expect(firstGap, `event ${firstGap} is seq ${seqs[firstGap]}`).toBe(-1);
  }, 60_000);

  it('--tail without --poll falls back to polling where LiveTail is unavailable (moto)', async () => {
    const child = execa('node', [KIT_BIN, 'logs', '--stack-name', 'orders', '--tail', '--since', '5m'], {
      cwd: dir,
      env: userEnv({ ...moto.env }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    await waitFor(
      () => stdout.includes('stored item id=A-1002'),
      20_000,
      () => stderr,
    );
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(stderr).toContain('LiveTail is unavailable');
    expect(stderr).toContain('2 invocations · 1 cold start');
  }, 30_000);
});

async function waitFor(check: () => boolean, timeoutMs: number, detail: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
