/**
 * What `lambda-kit invoke` shows of a hostile function, through the real bin and a real child
 * process (a small Node runtime standing in for the built binary, as in invoke-cli.test.ts):
 * escape sequences in its log lines and answer made visible, a 5,000-deep JSON log line, a
 * binary answer kept byte for byte, a multi-line error on one line, and an event file that is
 * not JSON named by line and column without being quoted. The same function deployed, for
 * --remote: moto's CloudFormation names it, and a Lambda API on loopback runs it
 * (test/support/lambda-service.ts), log tail and all.
 */
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { LambdaService } from './support/lambda-service.js';
import { clientConfig, LAMBDA_ROLE, startMoto, type MotoServer } from './support/moto.js';
import { spawnInPty } from './support/pty.js';
import { IN_CI, pythonTools } from './support/tools.js';

/** Every byte value once: what a function answering an image or a gzip might send. */
const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const INJECTION = '\u001b]0;pwned\u0007\u001b[2J';

const HOSTILE_FUNCTION = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const post = (path, body) => fetch(api + path, { method: 'POST', body });
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    await res.arrayBuffer();
    const mode = process.env.MODE;
    if (mode === 'escape') {
      console.log(${JSON.stringify(`plain ${INJECTION} line`)});
      console.log(JSON.stringify({ level: 'WARN', fields: { message: ${JSON.stringify(INJECTION)}, note: 'a\\nb' } }));
      await post('/invocation/' + id + '/response', JSON.stringify({ text: ${JSON.stringify(`${INJECTION}\u009b31m\u202e`)} }));
    } else if (mode === 'deep') {
      console.log('{"level":"INFO","fields":{"message":"deep","x":' + '['.repeat(5000) + ']'.repeat(5000) + '}}');
      await post('/invocation/' + id + '/response', '[' + '['.repeat(5000) + ']'.repeat(5000) + ']');
    } else if (mode === 'binary') {
      await post('/invocation/' + id + '/response', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
    } else if (mode === 'multiline-error') {
      await post('/invocation/' + id + '/error', JSON.stringify({ errorType: '&lambda_runtime::Diagnostic', errorMessage: 'first line\\nsecond line ' + ${JSON.stringify(INJECTION)} + '\\n' }));
    } else if (mode === 'huge-error') {
      await post('/invocation/' + id + '/error', JSON.stringify({ errorType: 'Big', errorMessage: 'x'.repeat(100000) }));
    }
  }
})();
`;

let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-invoke-output-');
  await execa(
    process.execPath,
    [CREATE_BIN, 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--timeout', '5', '--yes'],
    { cwd: root, stdin: 'ignore' },
  );
  project = join(root, 'orders');
  const binary = join(project, 'target/debug/orders');
  await mkdir(join(binary, '..'), { recursive: true });
  await writeFile(binary, HOSTILE_FUNCTION);
  await chmod(binary, 0o755);
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

/** A user's environment, with the project's own target/; MODE reaches the function through --env. */
function kitEnv(): NodeJS.ProcessEnv {
  const env = userEnv();
  delete env.CARGO_TARGET_DIR;
  return env;
}

function invoke(mode: string, args: string[] = []) {
  return runBin(KIT_BIN, ['invoke', '--env', `MODE=${mode}`, ...args], project, kitEnv());
}

/** Lines on stderr that start like an error: there must be exactly one on failure. */
const errorLines = (stderr: string) => stderr.split('\n').filter((line) => line.startsWith('lambda-kit'));

describe('lambda-kit invoke shows a hostile function safely', () => {
  it('escapes control characters in log lines and in the answer, and the answer stays the same JSON', async () => {
    const result = await invoke('escape');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(result.stderr).toContain('│ plain \\u001b]0;pwned\\u0007\\u001b[2J line');
    expect(result.stderr).toContain('│ WARN  \\u001b]0;pwned\\u0007\\u001b[2J note="a\\nb"');
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(result.stdout)).toEqual({ text: `${INJECTION}\u009b31m\u202e` });
  });

  it('survives a 5,000-deep JSON log line and answer: the line shown as text, the answer as sent', async () => {
    const result = await invoke('deep');
    expect(result.stderr).not.toContain('unexpected error');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('│ {"level":"INFO","fields":{"message":"deep","x":[[[[');
    expect(result.stdout).toBe(`[${'['.repeat(5000)}${']'.repeat(5000)}]`);
  });

  it('writes a binary answer to a pipe byte for byte', async () => {
    const result = await execa('node', [KIT_BIN, 'invoke', '--env', 'MODE=binary'], {
      cwd: project,
      env: kitEnv(),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      encoding: 'buffer',
    });
    expect(result.exitCode).toBe(0);
    expect(Buffer.compare(result.stdout, ALL_BYTES)).toBe(0);
  });

  it('shows a binary answer at a terminal with \\xNN for bytes that are not UTF-8, and no raw control byte', async () => {
    const session = spawnInPty([process.execPath, KIT_BIN, 'invoke', '--env', 'MODE=binary'], { cwd: project, env: kitEnv() });
    expect(await session.exit).toBe(0);
    const screen = session.raw();
    expect(screen).toContain('\\u0000\\u0001');
    expect(screen).toContain(' !"#$%&');
    expect(screen).toContain('\\u007f\\x80\\x81');
    expect(screen).toContain('\\xfe\\xff');
    expect(screen).not.toContain('\ufffd');
    expect(screen).not.toContain('\x07');
  }, 30_000);

  it('prints a multi-line error, type and message, as one line', async () => {
    const result = await invoke('multiline-error');
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      // The Rust type's module path is dropped: `Diagnostic` says it.
      'lambda-kit: the function failed: Diagnostic: first line\\nsecond line \\u001b]0;pwned\\u0007\\u001b[2J',
    ]);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(errorLines(result.stderr)[0]);
  });

  it('cuts a huge error message with a marker', async () => {
    const result = await invoke('huge-error');
    expect(result.exitCode).toBe(1);
    const [line] = errorLines(result.stderr);
    expect(line).toMatch(/^lambda-kit: the function failed: Big: x+… \[\d{2},\d{3} more characters not shown\]$/);
    expect(line!.length).toBeLessThan(2100);
  });

  it('says where an event file stops being JSON, without quoting it', async () => {
    const event = join(root, 'secret-event.txt');
    await writeFile(event, '{\n  "user": "alice",\n  password=hunter2\n}\n');
    const result = await invoke('escape', ['--event', event]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toContain('hunter2');
    // A path outside the project is shown as given, absolute.
    expect(errorLines(result.stderr)).toEqual([
      `lambda-kit: event file ${event} is not JSON (line 3, column 3: expected a key in double quotes)`,
    ]);
  });
});

const tools = pythonTools();
const noMoto = 'problem' in tools;
if (noMoto && IN_CI) throw new Error(`invoke --remote tests need moto in CI: ${tools.problem}`);

describe.skipIf(noMoto)('lambda-kit invoke --remote shows a hostile function safely', () => {
  const MODES = ['escape', 'binary', 'multiline-error'];
  let moto: MotoServer;
  let service: LambdaService;

  beforeAll(async () => {
    moto = await startMoto('bin' in tools ? tools.bin : '');
    const script = join(project, 'target/debug/orders');
    service = await LambdaService.start(
      Object.fromEntries(MODES.map((mode) => [`orders-${mode}`, { command: script, env: { MODE: mode }, timeoutMs: 10_000 }])),
    );
    const cfn = new CloudFormationClient(clientConfig(moto));
    try {
      for (const mode of MODES) {
        const template = {
          Resources: {
            Role: LAMBDA_ROLE,
            AppFunction: {
              Type: 'AWS::Lambda::Function',
              Properties: {
                FunctionName: `orders-${mode}`,
                Runtime: 'provided.al2023',
                Handler: 'bootstrap',
                Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
                Code: { ZipFile: 'unused' },
              },
            },
          },
        };
        await cfn.send(
          new CreateStackCommand({ StackName: `remote-${mode}`, TemplateBody: JSON.stringify(template), Capabilities: ['CAPABILITY_IAM'] }),
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

  const remoteEnv = () => ({ ...kitEnv(), ...moto.env, AWS_ENDPOINT_URL_LAMBDA: service.endpoint });
  const remoteArgs = (mode: string) => [KIT_BIN, 'invoke', '--remote', '--stack-name', `remote-${mode}`];
  const remote = (mode: string) =>
    execa('node', remoteArgs(mode), { cwd: project, env: remoteEnv(), extendEnv: false, reject: false, stdin: 'ignore' });

  it('escapes the log tail and the answer', async () => {
    const result = await remote('escape');
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(result.exitCode).toBe(0);
    expect(result.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(result.stderr).toContain('│ plain \\u001b]0;pwned\\u0007\\u001b[2J line');
    expect(JSON.parse(result.stdout)).toEqual({ text: `${INJECTION}\u009b31m\u202e` });
    expect(result.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  });

  it('writes a binary answer to a pipe byte for byte', async () => {
    const result = await execa('node', remoteArgs('binary'), {
      cwd: project,
      env: remoteEnv(),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      encoding: 'buffer',
    });
    expect(result.exitCode).toBe(0);
    expect(Buffer.compare(result.stdout, ALL_BYTES)).toBe(0);
  });

  it('prints a multi-line error as one line', async () => {
    const result = await remote('multiline-error');
    expect(result.exitCode).toBe(1);
    expect(errorLines(result.stderr)).toEqual([
      'lambda-kit: the function failed (Unhandled): Diagnostic: first line\\nsecond line \\u001b]0;pwned\\u0007\\u001b[2J',
    ]);
  });
});
