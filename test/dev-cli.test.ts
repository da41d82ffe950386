/**
 * `lambda-kit dev` before it builds anything: its help, its flags, a port already taken, a
 * project with no trigger it emulates. Each is the real binary in a real generated project; each
 * failure is one line with the right exit code, and nothing is written into the project.
 */
import { createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, listTree, runBin, tempDir, userEnv } from './support/cli.js';

let root: string;
let project: string;
let files: string[];

beforeAll(async () => {
  root = await tempDir('cfl-dev-cli-');
  await execa(process.execPath, [CREATE_BIN, 'dev-cli', '--trigger', 'api', '--sink', 'sqs', '--yes'], { cwd: root, stdin: 'ignore' });
  project = join(root, 'dev-cli');
  files = await listTree(project);
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const dev = (args: string[], cwd = project) => runBin(KIT_BIN, ['dev', ...args], cwd, userEnv());

describe('lambda-kit dev, before the build', () => {
  it('--help shows the usage and what is emulated; dev is in lambda-kit’s command list', async () => {
    const help = await dev(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: lambda-kit dev [options]');
    expect(help.stdout).toContain('--port <port>');
    expect(help.stdout).toContain('IAM and JWT authorizers are not checked locally');
    const list = await runBin(KIT_BIN, ['--help'], project);
    expect(list.stdout).toMatch(/^ {2}dev {2,}run the function locally behind its trigger, rebuilding on every change$/m);
  });

  it.each([
    [['--port', '70000'], /^lambda-kit: --port takes a port number from 0 to 65535, not '70000'\.$/],
    [['--port', '3e3'], /^lambda-kit: --port takes a port number from 0 to 65535, not '3e3'\.$/],
    [['--env', 'NOT-A-NAME=1'], /^lambda-kit: --env takes KEY=VALUE, not 'NOT-A-NAME=1'\.$/],
    [
      ['--source', 'https://sqs.us-east-1.amazonaws.com/1/q'],
      /^lambda-kit: --source names a queue, stream or bucket, and AppFunction is triggered by an API\.$/,
    ],
    [['--function', 'Nope'], /^lambda-kit: .*Nope/],
    [['extra'], /^lambda-kit: unexpected argument 'extra'\./],
  ])('%j is a one-line usage error, exit 2', async (args, message) => {
    const result = await dev(args);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr.trim()).toMatch(message);
    expect(await listTree(project)).toEqual(files);
  });

  it('a port in use is one line naming it, exit 1, before any build starts', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const result = await dev(['--port', String(port)]);
      expect(result.exitCode).toBe(1);
      expect(result.stderr.trim()).toBe(`lambda-kit: port ${port} on 127.0.0.1 is in use. Pick another with --port.`);
      expect(result.stderr).not.toContain('cargo lambda build');
    } finally {
      taken.close();
    }
    expect(await listTree(project)).toEqual(files);
  });

  it('a function with no trigger dev emulates is one line saying so, exit 1', async () => {
    const template = join(project, 'template.yaml');
    const original = await readFile(template, 'utf8');
    await writeFile(template, original.replace(/\n {6}Events:\n(?: {8}.*\n)+/, '\n'));
    try {
      const result = await dev([]);
      expect(result.exitCode, result.stderr).toBe(1);
      expect(result.stderr.trim()).toMatch(
        /^lambda-kit: AppFunction has no trigger lambda-kit dev emulates \(HttpApi, Api, SQS, Kinesis, DynamoDB, S3 or ScheduleV2 events in template\.yaml\)\. /,
      );
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await writeFile(template, original);
    }
  });

  it('a queue trigger with no --source, no deployed stack and no region: one line saying both ways to give the queue, exit 1', async () => {
    await execa(process.execPath, [CREATE_BIN, 'dev-cli-sqs', '--trigger', 'sqs', '--yes'], { cwd: root, stdin: 'ignore' });
    const config = join(root, 'empty-aws-config');
    await writeFile(config, '');
    const env = userEnv({ AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: config });
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL']) delete env[name];
    const result = await runBin(KIT_BIN, ['dev', '--port', '0'], join(root, 'dev-cli-sqs'), env);
    expect(result.exitCode, result.stderr).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines.at(-1)).toMatch(/^lambda-kit: no AWS region set to look up InputQueue in the deployed stack dev-cli-sqs\. /);
    expect(lines.at(-1)).toContain('Deploy the stack first, or name the source with --source <queue URL>');
    expect(result.stderr).not.toContain('--region');
  }, 60_000);

  it('outside a project: one line, exit 1', async () => {
    const result = await dev([], root);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toMatch(/^lambda-kit: no template.yaml in /);
  });
});
