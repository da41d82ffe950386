/**
 * `lambda-kit logs -f` follows, as `tail -f`, `kubectl logs -f` and `docker logs -f` do: the real
 * bin against a moto server on loopback (no LiveTail there, so it polls), stopped with a real
 * SIGINT. `--function` keeps its long name only.
 */
import { rmSync } from 'node:fs';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { clientConfig, LAMBDA_ROLE, motoForFile } from './support/moto.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const moto = motoForFile('the logs -f tests');
const { missing } = moto;

const REQUEST = '6e4b5dc6-5a0b-4a45-b2f9-2f4f5c1b3c3e';

let dir: string;

beforeAll(async () => {
  if (missing) return;
  dir = await tempDir('cfl-logs-follow-');
  const config = clientConfig(moto);
  const cfn = new CloudFormationClient(config);
  const logs = new CloudWatchLogsClient(config);
  try {
    const template = {
      Resources: {
        Role: LAMBDA_ROLE,
        AppFunctionLogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/lambda/followed' } },
        AppFunction: {
          Type: 'AWS::Lambda::Function',
          Properties: {
            FunctionName: 'followed',
            Runtime: 'provided.al2023',
            Handler: 'bootstrap',
            Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
            Code: { ZipFile: 'unused' },
            LoggingConfig: { LogFormat: 'Text', LogGroup: { Ref: 'AppFunctionLogGroup' } },
          },
        },
      },
    };
    await cfn.send(
      new CreateStackCommand({ StackName: 'followed', TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM'] }),
    );
    const stream = '2026/05/01/[$LATEST]follow';
    await logs.send(new CreateLogStreamCommand({ logGroupName: '/aws/lambda/followed', logStreamName: stream }));
    const lines = [`START RequestId: ${REQUEST} Version: $LATEST`, 'INFO stored item id=F-1', `END RequestId: ${REQUEST}`];
    const t0 = Date.now() - 30_000;
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/lambda/followed',
        logStreamName: stream,
        logEvents: lines.map((message, i) => ({ timestamp: t0 + i, message })),
      }),
    );
  } finally {
    cfn.destroy();
    logs.destroy();
  }
}, 60_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Runs `lambda-kit logs <args>` until `ready` shows on stdout, then stops it with SIGINT. */
async function followUntil(args: string[], ready: string) {
  const child = execa('node', [KIT_BIN, 'logs', ...args], {
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
  const deadline = Date.now() + 20_000;
  while (!stdout.includes(ready) && child.exitCode === null && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 50));
  const stillRunning = child.exitCode === null;
  child.kill('SIGINT');
  const result = await child;
  return { stillRunning, exitCode: result.exitCode, stdout, stderr };
}

describe.skipIf(missing !== undefined)('lambda-kit logs -f', () => {
  it('follows, as tail -f does, until Ctrl-C', async () => {
    const result = await followUntil(['-f', '--stack-name', 'followed', '--since', '5m'], 'stored item id=F-1');
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(result.stillRunning).toBe(true);
    expect(result.stdout).toContain('6e4b5dc6 INFO stored item id=F-1');
    expect(result.stderr).toContain('Tailing /aws/lambda/followed');
    expect(result.stderr).toContain('Summary while tailing');
    expect(result.exitCode).toBe(130);
  }, 30_000);

  it('follows with --follow and with -f --poll too', async () => {
    for (const flags of [['--follow'], ['-f', '--poll']]) {
      const result = await followUntil([...flags, '--stack-name', 'followed', '--since', '5m'], 'stored item id=F-1');
      expect(result.stillRunning, `${flags.join(' ')}: ${result.stderr}`).toBe(true);
      expect(result.exitCode).toBe(130);
    }
  }, 60_000);

  it('keeps --function as a long flag only: -f takes no function id', async () => {
    const byName = await runBin(
      KIT_BIN,
      ['logs', '--stack-name', 'followed', '--since', '5m', '--function', 'AppFunction'],
      dir,
      userEnv({ ...moto.env }),
    );
    expect(byName.exitCode).toBe(0);
    expect(byName.stdout).toContain('stored item id=F-1');
    const shortWithId = await runBin(KIT_BIN, ['logs', '--stack-name', 'followed', '-f', 'AppFunction'], dir, userEnv({ ...moto.env }));
    expect(shortWithId.exitCode).toBe(2);
    expect(shortWithId.stderr.trim()).toBe(
      'lambda-kit: -f follows the logs (as tail -f does); name a function with --function "AppFunction".',
    );
  });

  it('says so in --help', async () => {
    const help = await runBin(KIT_BIN, ['logs', '--help'], dir);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toMatch(/^ {2}-f, --follow {13}the same as --tail/m);
    expect(help.stdout).toMatch(/^ {6}--function <id> {6}one function/m);
  });
});
