/**
 * What lambda-kit shows of AWS, end to end against a moto server on loopback: log lines and
 * stack outputs holding escape sequences, a 5,000-deep JSON log line in a window and while
 * tailing, an endpoint URL with a password that cannot be reached, and deploy's
 * --parameter-overrides with secrets (a shim `sam` records what it was given and echoes it, as
 * sam does in places). The formatter's own property test is at the end.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { execa } from 'execa';
import fc from 'fast-check';
import kleur from 'kleur';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LogFormatter, formatJsonEvent, type LogEvent } from '../src/aws/log-format.js';
import { formatEvent, formatOutputs, stackView } from '../src/cli/stack-view.js';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { clientConfig, freePort, LAMBDA_ROLE, motoForFile } from './support/moto.js';
import { shimDir } from './support/tools.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const moto = motoForFile('the AWS output tests');
const { missing } = moto;

const INJECTION = '\u001b]0;pwned\u0007\u001b[2J';
const DEEP = `{"level":"INFO","fields":{"message":"deep","x":${'['.repeat(5000)}${']'.repeat(5000)}}}`;
/** Any control character but the newline that ends each printed line. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

let dir: string;
let cfn: CloudFormationClient;
let logs: CloudWatchLogsClient;

function functionStack(fn: string): string {
  return JSON.stringify({
    Resources: {
      Role: LAMBDA_ROLE,
      AppFunctionLogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: `/aws/lambda/${fn}` } },
      AppFunction: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          FunctionName: fn,
          Runtime: 'provided.al2023',
          Handler: 'bootstrap',
          Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
          Code: { ZipFile: 'unused' },
          LoggingConfig: { LogFormat: 'Text', LogGroup: { Ref: 'AppFunctionLogGroup' } },
        },
      },
    },
  });
}

function kit(args: string[], extra: Record<string, string> = {}, cwd = dir) {
  return runBin(KIT_BIN, args, cwd, userEnv({ ...moto.env, TZ: 'UTC', ...extra }));
}

async function putLines(group: string, lines: string[], at = Date.now() - 30_000): Promise<void> {
  const stream = `2026/05/01/[$LATEST]${Math.random().toString(16).slice(2)}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: lines.map((message, i) => ({ timestamp: at + i, message })),
    }),
  );
}

beforeAll(async () => {
  if (missing) return;
  dir = await tempDir('cfl-aws-output-');
  const config = clientConfig(moto);
  cfn = new CloudFormationClient(config);
  logs = new CloudWatchLogsClient(config);
  await cfn.send(
    new CreateStackCommand({ StackName: 'hostile', TemplateBody: functionStack('hostile'), Capabilities: ['CAPABILITY_IAM'] }),
  );
  await cfn.send(new CreateStackCommand({ StackName: 'tailed', TemplateBody: functionStack('tailed'), Capabilities: ['CAPABILITY_IAM'] }));
  await cfn.send(
    new CreateStackCommand({
      StackName: 'evil-outputs',
      TemplateBody: JSON.stringify({
        Resources: { Queue: { Type: 'AWS::SQS::Queue' } },
        Outputs: {
          // No C1 control here: moto cannot put one in its XML (formatOutputs' own test has one).
          Evil: { Value: `line one\nline two ${INJECTION}`, Description: 'rings \u0007 the bell' },
          Plain: { Value: 'https://example.com/ok', Description: 'fine' },
        },
      }),
    }),
  );
}, 60_000);

afterAll(async () => {
  cfn?.destroy();
  logs?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(missing !== undefined)('lambda-kit shows what AWS holds safely', () => {
  it('logs: escape sequences made visible, a 5,000-deep JSON line shown as text, the lines after it too', async () => {
    await putLines('/aws/lambda/hostile', [`INFO ${INJECTION} owned`, DEEP, 'INFO after the deep line']);
    const result = await kit(['logs', '--stack-name', 'hostile', '--since', '5m']);
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toMatch(RAW_CONTROL);
    const out = result.stdout.split('\n');
    expect(out[0]).toMatch(/ INFO \\u001b\]0;pwned\\u0007\\u001b\[2J owned$/);
    expect(out[1]).toContain(' {"level":"INFO","fields":{"message":"deep","x":[[[[');
    expect(out[2]).toMatch(/ INFO after the deep line$/);
    const json = await kit(['logs', '--stack-name', 'hostile', '--since', '5m', '--json']);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { message: string }).message),
    ).toEqual([`INFO ${INJECTION} owned`, DEEP, 'INFO after the deep line']);
  });

  it('logs --tail keeps following after a 5,000-deep JSON line', async () => {
    const child = execa(process.execPath, [KIT_BIN, 'logs', '--stack-name', 'tailed', '--tail', '--poll', '--since', '1m'], {
      cwd: dir,
      env: userEnv({ ...moto.env, TZ: 'UTC' }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    await putLines('/aws/lambda/tailed', [DEEP], Date.now());
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await putLines('/aws/lambda/tailed', ['INFO still tailing'], Date.now());
    const deadline = Date.now() + 20_000;
    while (!stdout.includes('still tailing') && child.exitCode === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGINT');
    const result = await child;
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(stdout).toContain('"message":"deep"');
    expect(stdout).toMatch(/ INFO still tailing$/m);
    expect(result.exitCode).toBe(130);
  }, 40_000);

  it('logs --tail: a note that quotes AWS (throttled, with a hostile error name) is one safe line', async () => {
    // CloudWatch Logs on a real socket that throttles every request; CloudFormation and Lambda stay moto's.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(429, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: `ThrottlingException${INJECTION}`, message: 'slow down' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const child = execa(process.execPath, [KIT_BIN, 'logs', '--stack-name', 'hostile', '--tail', '--poll'], {
        cwd: dir,
        env: userEnv({ ...moto.env, AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: `http://127.0.0.1:${port}` }),
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
      });
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      const deadline = Date.now() + 30_000;
      while (!stderr.includes('retrying in') && child.exitCode === null && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      child.kill('SIGINT');
      await child;
      expect(stderr).toMatch(/^ThrottlingException\\u001b\]0;pwned\\u0007\\u001b\[2J from CloudWatch Logs; retrying in \d+ s$/m);
      expect(stderr).not.toMatch(RAW_CONTROL);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 45_000);

  it('outputs: values with newlines and escapes on one line in the table, and --json the same values', async () => {
    const table = await kit(['outputs', '--stack-name', 'evil-outputs']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).not.toMatch(RAW_CONTROL);
    const rows = table.stdout.trim().split('\n');
    expect(rows).toHaveLength(3);
    expect(rows.find((row) => row.startsWith('Evil'))).toMatch(
      /^Evil +line one\\nline two \\u001b\]0;pwned\\u0007\\u001b\[2J +rings \\u0007 the bell$/,
    );
    const json = await kit(['outputs', '--stack-name', 'evil-outputs', '--json']);
    expect(json.exitCode).toBe(0);
    expect(json.stdout).not.toMatch(RAW_CONTROL);
    expect(JSON.parse(json.stdout)).toEqual({ Evil: `line one\nline two ${INJECTION}`, Plain: 'https://example.com/ok' });
  });

  it("the SDK's warning for a profile beside key variables is one line", async () => {
    const credentials = join(dir, 'credentials');
    writeFileSync(credentials, '[moto]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    const result = await kit(['outputs', '--stack-name', 'evil-outputs', '--profile', 'moto'], {
      AWS_SHARED_CREDENTIALS_FILE: credentials,
      AWS_CONFIG_FILE: join(dir, 'no-config'),
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split('\n')).toEqual([
      "lambda-kit: AWS profile moto and AWS_ACCESS_KEY_ID are both set: the profile's credentials are used, the keys in the environment are not.",
    ]);
  });

  it('an endpoint that cannot be reached is named without its password', async () => {
    const closed = await freePort();
    const result = await kit(['outputs', '--stack-name', 'x'], {
      AWS_ENDPOINT_URL: `http://admin:s3cr3t-pw@127.0.0.1:${closed}`,
      AWS_MAX_ATTEMPTS: '1',
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toContain('s3cr3t-pw');
    expect(result.stderr.trim().split('\n')).toEqual([
      `lambda-kit: cannot reach AWS (ECONNREFUSED) at http://admin:****@127.0.0.1:${closed}`,
    ]);
  }, 30_000);

  it('under Node.js 20, no SDK notice about its Node.js support: lambda-kit turns it off for every command', async () => {
    const closed = await freePort();
    const env = userEnv({ ...moto.env, AWS_ENDPOINT_URL: `http://127.0.0.1:${closed}`, AWS_MAX_ATTEMPTS: '1' });
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const result = await runBin(KIT_BIN, ['outputs', '--stack-name', 'x'], dir, env);
    expect(result.stderr).not.toContain('NodeVersionSupportWarning');
    expect(result.stderr.trim().split('\n')).toEqual([`lambda-kit: cannot reach AWS (ECONNREFUSED) at http://127.0.0.1:${closed}`]);
  }, 30_000);

  it('deploy: secret parameter values reach sam but never the screen or the log file', async () => {
    const project = join(dir, 'secretive');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'Cargo.toml'), '[package]\nname = "secretive"\nversion = "0.1.0"\n');
    writeFileSync(
      join(project, 'template.yaml'),
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Parameters:',
        '  Pin:',
        '    Type: String',
        '    NoEcho: true',
        'Resources:',
        '  AppFunction:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      CodeUri: .',
        '      Handler: bootstrap',
        '      Runtime: provided.al2023',
        '',
      ].join('\n'),
    );
    const record = join(dir, 'sam-args.txt');
    // sam echoes its parameter overrides in places; this one echoes all of its arguments.
    // STUB_FAIL: it fails with an escape sequence in its output, as sam quotes AWS's errors.
    const stub = shimDir(join(dir, 'stub-bin'), {
      sam: [
        '#!/bin/sh',
        `if [ "$1" = --version ]; then echo 'SAM CLI, version 1.170.0'; exit 0; fi`,
        `printf '%s\\n' "$@" > '${record}'`,
        'echo "Deploying with: $*"',
        `if [ -n "$STUB_FAIL" ]; then printf 'Error: \\033]0;pwned\\007\\033[2J refused\\n'; exit 1; fi`,
        'exit 0',
        '',
      ].join('\n'),
    });
    const result = await kit(
      [
        'deploy',
        '--no-build',
        '--stack-name',
        'secretive',
        '--parameter-overrides',
        'DbPassword=hunter2-db Pin=8675309',
        '--parameter-overrides',
        'Stage=prod',
      ],
      { PATH: `${stub}:/usr/bin:/bin` },
      project,
    );
    const shown = `${result.stdout}\n${result.stderr}`;
    expect(result.stderr).not.toContain('lambda-kit:');
    const log = readFileSync(join(project, '.aws-sam/lambda-kit-deploy.log'), 'utf8');
    expect(readFileSync(record, 'utf8')).toContain('DbPassword=hunter2-db Pin=8675309\nStage=prod');
    for (const text of [shown, log]) {
      expect(text).not.toContain('hunter2-db');
      expect(text).not.toContain('8675309');
    }
    expect(result.stderr).toContain('--parameter-overrides DbPassword=**** Pin=**** Stage=prod');
    expect(log).toContain('Deploying with: deploy --stack-name secretive');
    expect(log).toContain('DbPassword=**** Pin=**** Stage=prod');
    expect(result.exitCode).toBe(0);

    // On failure sam's log is shown: masked, and line by line with its escapes made visible.
    const failed = await kit(
      ['deploy', '--no-build', '--stack-name', 'secretive', '--parameter-overrides', 'DbPassword=hunter2-db'],
      { PATH: `${stub}:/usr/bin:/bin`, STUB_FAIL: '1' },
      project,
    );
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).not.toContain('hunter2-db');
    expect(failed.stderr).not.toMatch(RAW_CONTROL);
    expect(failed.stderr).toContain(
      'Deploying with: deploy --stack-name secretive --region us-east-1 --no-confirm-changeset --no-fail-on-empty-changeset --parameter-overrides DbPassword=****',
    );
    expect(failed.stderr).toContain('Error: \\u001b]0;pwned\\u0007\\u001b[2J refused');
    expect(failed.stderr.trim().split('\n').at(-1)).toMatch(
      /^lambda-kit: sam deploy failed \(exit code 1\) before stack secretive changed/,
    );
  }, 60_000);
});

describe('a region that is not one', () => {
  it('is one line naming it, not an unexpected error', async () => {
    const env = userEnv({ AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    const result = await runBin(KIT_BIN, ['outputs', '--stack-name', 'x', '--region', 'bad region\u001b[2J'], tmpdir(), env);
    // A bad --region is a usage error.
    expect(result.exitCode).toBe(2);
    expect(result.stderr.split('\n')).toEqual(['lambda-kit: --region "bad region\\u001b[2J" is not an AWS region (such as eu-west-1).']);
  });
});

describe('LogFormatter on hostile lines', () => {
  const event = (message: string): LogEvent => ({
    timestamp: 0,
    message,
    logStreamName: 's',
    logGroupName: '/aws/lambda/f',
    functionId: 'AppFunction',
  });
  /** Our own colours: SGR sequences, which are all the formatter may add. */
  const OUR_COLOURS = /\u001b\[\d+m/g;

  it('formats any message as one line without a control character of its own, coloured or not', () => {
    const message = fc.oneof(
      fc.string({
        unit: fc.constantFrom(
          '\u001b',
          '\u0007',
          '\u009b',
          '\n',
          '\r',
          '\t',
          '\u202e',
          '{',
          '}',
          '[',
          ']',
          '"',
          ':',
          ',',
          'a',
          ' ',
          'ERROR',
          'Task timed out',
        ),
        maxLength: 60,
      }),
      fc.json().map((json) => json.replace(/^\{/, '{"level":"error","message":"\u001b[2J",')),
      fc.constantFrom(DEEP, `REPORT RequestId: x\u001b\tDuration: 1 ms`, `{"type":"platform.report","record":{"requestId":"\u001b[2J"}}`),
    );
    fc.assert(
      fc.property(message, fc.boolean(), fc.boolean(), (text, colour, verbose) => {
        const formatter = new LogFormatter({ colour, verbose, showFunction: true, utc: true });
        const line = formatter.format(event(text));
        if (line !== undefined) {
          expect(line.replace(OUR_COLOURS, '')).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
        }
        expect(formatJsonEvent(event(text))).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('stack views on hostile values', () => {
  it('puts each output on one line, C1 controls and bidi overrides escaped, colours kept', () => {
    const enabled = kleur.enabled;
    kleur.enabled = true;
    const table = formatOutputs([{ key: 'K\u009b', value: 'a\nb\u202eexe.txt', description: 'd\u001b[2J' }], true);
    kleur.enabled = enabled;
    expect(table.replace(/\u001b\[\d+m/g, '')).toBe(
      'key      value              description\nK\\u009b  a\\nb\\u202eexe.txt  d\\u001b[2J\n',
    );
    expect(table).toContain('\u001b[1mK\\u009b');
  });

  it("ends a view with the stack's last status on one line", () => {
    const written: string[] = [];
    const ci = process.env.CI;
    // The plain view, as in CI, whatever runs the tests.
    process.env.CI = 'true';
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => written.push(String(chunk)) > 0);
    try {
      stackView('Deleting s', 's').end(`Delete of s failed after 3 s: DELETE_FAILED\n${INJECTION}`, 'bad');
    } finally {
      write.mockRestore();
      if (ci === undefined) delete process.env.CI;
      else process.env.CI = ci;
    }
    expect(written.join('')).toBe('Deleting s\nDelete of s failed after 3 s: DELETE_FAILED\\n\\u001b]0;pwned\\u0007\\u001b[2J\n');
  });

  it('shows a stack event reason on one line', () => {
    const line = formatEvent({
      StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/s/1',
      StackName: 's',
      EventId: 'e1',
      ResourceStatus: 'CREATE_FAILED',
      ResourceType: 'AWS::SQS::Queue',
      LogicalResourceId: 'Q',
      ResourceStatusReason: `bad\n${INJECTION}`,
      Timestamp: new Date(0),
    });
    expect(line).toMatch(/CREATE_FAILED +AWS::SQS::Queue +Q {2}bad\\n\\u001b\]0;pwned\\u0007\\u001b\[2J$/);
  });
});
