/**
 * `lambda-kit deploy`, `outputs` and `delete` run for real against a moto server on loopback.
 * moto has no SAM transform and `sam deploy` cannot reach it, so a stub `sam` first on PATH
 * (test/support/stub-sam.py) records its arguments and creates or updates the stack in moto
 * from a plain CloudFormation fixture. moto is started through test/support/moto-cfn.py, which
 * adds the per-resource events, rollbacks and failed deletes CloudFormation writes and moto
 * does not; the failures themselves are moto's own.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KIT_BIN, ROOT, tempDir } from './support/cli.js';
import { startMoto, type MotoServer } from './support/moto.js';
import { spawnInPty } from './support/pty.js';
import { IN_CI, pythonTools, shimDir } from './support/tools.js';

const FIXTURES = join(ROOT, 'test/fixtures/stacks');
let venv: string | undefined;
let moto: MotoServer | undefined;
let root: string;
let project: string;
let stubBin: string;
let record: string;
let credentials: string;

beforeAll(async () => {
  const tools = pythonTools();
  if ('problem' in tools) {
    if (IN_CI) throw new Error(`moto and boto3 (scripts/python-tools.sh) are required in CI: ${tools.problem}`);
    return;
  }
  venv = tools.bin;
  root = await tempDir('cfl-deploy-');
  const motoBin = shimDir(join(root, 'moto-bin'), {
    moto_server: `#!/bin/sh\nexec '${join(venv, 'python')}' '${join(ROOT, 'test/support/moto-cfn.py')}' "$@"\n`,
  });
  moto = await startMoto(motoBin);
  stubBin = shimDir(join(root, 'stub-bin'), {
    sam: `#!${join(venv, 'python')}\n${readFileSync(join(ROOT, 'test/support/stub-sam.py'), 'utf8')}`,
  });
  record = join(root, 'sam-calls.jsonl');
  credentials = join(root, 'credentials');
  writeFileSync(
    credentials,
    '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n[moto]\naws_access_key_id = testing\naws_secret_access_key = testing\n',
  );
  project = join(root, 'orders');
  mkdirSync(project);
  writeFileSync(join(project, 'Cargo.toml'), '[package]\nname = "orders"\nversion = "0.1.0"\n');
  writeFileSync(
    join(project, 'template.yaml'),
    'Transform: AWS::Serverless-2016-10-31\nResources:\n  AppFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n      Handler: bootstrap\n      Runtime: provided.al2023\n',
  );
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

function need(ctx: { skip: (note?: string) => void }): MotoServer {
  if (!moto) ctx.skip('Python tools (moto, boto3) unavailable');
  return moto!;
}

/**
 * A person's environment pointed at moto, with only the stub sam (and sh) to run. Credentials
 * come from a credentials file, as a profile's do: keys in the environment beside a profile
 * make the SDK print a warning.
 */
function env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...motoEnv } = moto!.env;
  return {
    PATH: `${stubBin}:/usr/bin:/bin`,
    HOME: root,
    NO_COLOR: '1',
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: join(root, 'no-config'),
    STUB_SAM_RECORD: record,
    STUB_TEMPLATE: join(FIXTURES, 'ok.json'),
    ...motoEnv,
    ...extra,
  };
}

function kit(args: string[], extra: NodeJS.ProcessEnv = {}, cwd = project) {
  return execa(process.execPath, [KIT_BIN, ...args], { cwd, env: env(extra), extendEnv: false, stdin: 'ignore', reject: false });
}

function samCalls(): string[][] {
  try {
    const calls = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as string[]);
    rmSync(record);
    return calls;
  } catch {
    return [];
  }
}

/** The event lines of the plain view: `hh:mm:ss  STATUS  Type  LogicalId  reason`. */
function eventLines(stderr: string): { status: string; type: string; id: string }[] {
  return [...stderr.matchAll(/^\d\d:\d\d:\d\d {2}(\S+) +(AWS::\S+) +(\S+)/gm)].map((m) => ({ status: m[1]!, type: m[2]!, id: m[3]! }));
}

describe('lambda-kit deploy against moto', () => {
  it('deploys a new stack: exact sam arguments (samconfig.toml included), events in order once each, outputs', async (ctx) => {
    need(ctx);
    writeFileSync(
      join(project, 'samconfig.toml'),
      'version = 0.1\n[default.global.parameters]\nstack_name = "orders-dev"\n[default.deploy.parameters]\nregion = "us-east-1"\nprofile = "moto"\nconfirm_changeset = true\n',
    );
    samCalls();
    const result = await kit(['deploy', '--no-build', '--parameter-overrides', 'Env=test']);
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(result.exitCode).toBe(0);
    expect(samCalls()).toEqual([
      ['--version'],
      [
        'deploy',
        '--stack-name',
        'orders-dev',
        '--region',
        'us-east-1',
        '--profile',
        'moto',
        '--no-confirm-changeset',
        '--no-fail-on-empty-changeset',
        '--parameter-overrides',
        'Env=test',
      ],
    ]);
    expect(result.stderr).toContain('(its output: .aws-sam/lambda-kit-deploy.log)');
    expect(eventLines(result.stderr).map((e) => `${e.id} ${e.status}`)).toEqual([
      'orders-dev CREATE_IN_PROGRESS',
      'ResultsQueue CREATE_IN_PROGRESS',
      'ResultsQueue CREATE_COMPLETE',
      'AlarmTopic CREATE_IN_PROGRESS',
      'AlarmTopic CREATE_COMPLETE',
      'orders-dev CREATE_COMPLETE',
    ]);
    expect(result.stderr).toMatch(/^Deployed orders-dev in \d+ s \(CREATE_COMPLETE\)$/m);
    expect(result.stdout).toMatch(/^key +value +description$/m);
    expect(result.stdout).toMatch(/^ResultsQueueUrl +https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\/\S+ +where results go$/m);
    expect(readFileSync(join(project, '.aws-sam/lambda-kit-deploy.log'), 'utf8')).toContain(
      'Successfully created/updated stack - orders-dev',
    );
  });

  it('stops watching on Ctrl-C, says CloudFormation carries on and how to watch, and exits 130', async (ctx) => {
    need(ctx);
    await kit(['delete', '--yes', '--stack-name', 'orders-ctrl-c']);
    const run = kit(['deploy', '--no-build', '--stack-name', 'orders-ctrl-c'], { STUB_SAM_MODE: 'slow' });
    let stderr = '';
    let interrupted = false;
    run.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!interrupted && /CREATE_IN_PROGRESS/.test(stderr)) {
        interrupted = true;
        run.kill('SIGINT'); // once, as a person presses Ctrl-C
      }
    });
    const result = await run;
    expect(result.exitCode).toBe(130);
    expect(result.stderr).toMatch(/CloudFormation keeps deploying orders-ctrl-c without lambda-kit: .*describe-stack-events/);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    await kit(['delete', '--yes', '--stack-name', 'orders-ctrl-c']);
  });

  it('shows a live view at a terminal: n/m resources, coloured statuses, then the outputs', async (ctx) => {
    need(ctx);
    await kit(['delete', '--yes', '--stack-name', 'orders-tty']);
    const { NO_COLOR: _plain, ...colourEnv } = env({ STUB_SAM_MODE: 'slow', STUB_SAM_SLEEP: '2', TERM: 'xterm-256color' });
    const t = spawnInPty([process.execPath, KIT_BIN, 'deploy', '--no-build', '--stack-name', 'orders-tty'], {
      cwd: project,
      env: colourEnv,
    });
    await t.waitFor(/\d+\/\d+ resources/, 30_000);
    await t.waitFor('ResultsQueueUrl', 30_000);
    expect(await t.exit).toBe(0);
    expect(t.raw()).toMatch(/\x1b\[32m[^\x1b]*CREATE_COMPLETE/); // green
    await kit(['delete', '--yes', '--stack-name', 'orders-tty']);
  });

  it('builds first unless --no-build', async (ctx) => {
    need(ctx);
    samCalls();
    // The build's checks want the real Rust toolchain, cargo-lambda and zig; sam stays the stub.
    const result = await kit(['deploy', '--stack-name', 'orders-built'], {
      PATH: `${stubBin}:${venv}:${process.env.PATH}`,
      RUSTUP_HOME: process.env.RUSTUP_HOME ?? join(homedir(), '.rustup'),
      CARGO_HOME: process.env.CARGO_HOME ?? join(homedir(), '.cargo'),
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const calls = samCalls();
    expect(calls.findIndex((c) => c[0] === 'build')).toBeGreaterThan(-1);
    expect(calls.findIndex((c) => c[0] === 'build')).toBeLessThan(calls.findIndex((c) => c[0] === 'deploy'));
    expect(result.stdout + result.stderr).toContain('.aws-sam/build/AppFunction/bootstrap');
    await kit(['delete', '--yes', '--stack-name', 'orders-built']);
  });

  it('hands the terminal to sam deploy --guided', async (ctx) => {
    need(ctx);
    samCalls();
    const t = spawnInPty([process.execPath, KIT_BIN, 'deploy', '--no-build', '--guided'], { cwd: project, env: env() });
    await t.waitFor('Configuring SAM deploy (guided): stdin is a terminal: True', 30_000);
    expect(await t.exit).toBe(0);
    expect(samCalls()).toEqual([['--version'], ['deploy', '--guided', '--region', 'us-east-1', '--profile', 'moto']]);
  });

  it('prints the outputs as a table, and as one JSON object with --json', async (ctx) => {
    need(ctx);
    const table = await kit(['outputs']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^AlarmTopicArn +arn:aws:sns:us-east-1:123456789012:\S+$/m);
    const json = await kit(['outputs', '--json']);
    expect(json.exitCode).toBe(0);
    const outputs = JSON.parse(json.stdout) as Record<string, string>;
    expect(Object.keys(outputs).sort()).toEqual(['AlarmTopicArn', 'ResultsQueueUrl']);
    expect(outputs.ResultsQueueUrl).toMatch(/^https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\//);
  });

  it('says "No changes to deploy" and exits 0 when nothing changed', async (ctx) => {
    need(ctx);
    const result = await kit(['deploy', '--no-build', '--parameter-overrides', 'Env=test']);
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/^No changes to deploy: stack orders-dev is up to date/m);
    expect(eventLines(result.stderr)).toEqual([]);
    expect(result.stdout).toContain('ResultsQueueUrl');
  });

  it('updates the stack with new parameters: only the new events', async (ctx) => {
    need(ctx);
    const result = await kit(['deploy', '--no-build', '--parameter-overrides', 'Env=prod']);
    expect(result.exitCode).toBe(0);
    const events = eventLines(result.stderr);
    expect(events[0]).toEqual({ status: 'UPDATE_IN_PROGRESS', type: 'AWS::CloudFormation::Stack', id: 'orders-dev' });
    expect(events.at(-1)).toEqual({ status: 'UPDATE_COMPLETE', type: 'AWS::CloudFormation::Stack', id: 'orders-dev' });
    expect(events.filter((e) => e.status.startsWith('CREATE'))).toEqual([]);
  });

  it("a resource that fails: the events through ROLLBACK_COMPLETE, the root cause and a hint, sam's log, exit 1", async (ctx) => {
    need(ctx);
    samCalls();
    const result = await kit(['deploy', '--no-build', '--stack-name', 'orders-broken'], { STUB_TEMPLATE: join(FIXTURES, 'fail.json') });
    expect(result.exitCode).toBe(1);
    expect(eventLines(result.stderr).map((e) => `${e.id} ${e.status}`)).toEqual([
      'orders-broken CREATE_IN_PROGRESS',
      'ResultsQueue CREATE_IN_PROGRESS',
      'ResultsQueue CREATE_COMPLETE',
      'AppFunction CREATE_IN_PROGRESS',
      'AppFunction CREATE_FAILED',
      'orders-broken ROLLBACK_IN_PROGRESS',
      'orders-broken ROLLBACK_COMPLETE',
    ]);
    expect(result.stderr).toContain('--- .aws-sam/lambda-kit-deploy.log ---');
    expect(result.stderr).toContain('Waiter StackCreateComplete failed');
    const last = result.stderr.trim().split('\n').at(-1);
    expect(last).toMatch(
      /^lambda-kit: AppFunction \(AWS::Lambda::Function\) CREATE_FAILED: Error occurred while GetObject\. S3 Error Code: NoSuchBucket\..* The function's code is not where the template says/,
    );
    expect(samCalls().map((call) => call[0])).toEqual(['--version', 'deploy']);
  });

  it('refuses a stack in ROLLBACK_COMPLETE before calling sam, pointing to lambda-kit delete', async (ctx) => {
    need(ctx);
    const result = await kit(['deploy', '--no-build', '--stack-name', 'orders-broken']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'lambda-kit: stack orders-broken is in ROLLBACK_COMPLETE: its first deploy failed, and CloudFormation cannot update it. Delete it with lambda-kit delete --stack-name orders-broken, then deploy again.',
    );
    expect(samCalls()).toEqual([['--version']]);
  });

  it('sam failing before the stack changes: its log in full, one line, exit 1', async (ctx) => {
    need(ctx);
    const result = await kit(['deploy', '--no-build', '--stack-name', 'orders-new'], { STUB_SAM_MODE: 'broken' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Error: Template file not found at template.yaml');
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'lambda-kit: sam deploy failed (exit code 1) before stack orders-new changed; its output is above and in .aws-sam/lambda-kit-deploy.log.',
    );
  });
});

describe('lambda-kit delete against moto', () => {
  it('without a terminal, asks for --yes (exit 2)', async (ctx) => {
    need(ctx);
    const result = await kit(['delete', '--stack-name', 'orders-broken']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('lambda-kit: deleting stack orders-broken needs --yes when there is no terminal to confirm at.');
  });

  it('at a terminal, asks first; No keeps the stack and exits 130', async (ctx) => {
    need(ctx);
    const t = spawnInPty([process.execPath, KIT_BIN, 'delete', '--stack-name', 'orders-broken'], { cwd: project, env: env() });
    await t.waitFor('Delete stack orders-broken in us-east-1 and everything in it?', 30_000);
    t.type('n\r');
    expect(await t.exit).toBe(130);
    expect(t.screen()).toContain('Cancelled.');
    expect((await kit(['outputs', '--stack-name', 'orders-broken'])).exitCode).toBe(0);
  });

  it('deletes a stack and follows it to DELETE_COMPLETE; then it is gone', async (ctx) => {
    need(ctx);
    const result = await kit(['delete', '--yes', '--stack-name', 'orders-broken']);
    expect(result.stderr).not.toContain('lambda-kit:');
    expect(result.exitCode).toBe(0);
    const events = eventLines(result.stderr).map((e) => `${e.id} ${e.status}`);
    expect(events[0]).toBe('orders-broken DELETE_IN_PROGRESS');
    expect(events.at(-1)).toBe('orders-broken DELETE_COMPLETE');
    expect(result.stderr).toMatch(/^Deleted orders-broken in \d+ s$/m);

    const gone = await kit(['outputs', '--stack-name', 'orders-broken']);
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toBe(
      'lambda-kit: stack orders-broken does not exist in us-east-1. Deploy it with lambda-kit deploy, or name another with --stack-name (or --region).',
    );
  });

  it('a stack that does not exist: one line, exit 1', async (ctx) => {
    need(ctx);
    const result = await kit(['delete', '--yes', '--stack-name', 'never-made']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^lambda-kit: stack never-made does not exist in us-east-1\. /);
  });

  it('a table with deletion protection: DELETE_FAILED, the root cause and the parameter that turns it off', async (ctx) => {
    need(ctx);
    const deployed = await kit(['deploy', '--no-build', '--stack-name', 'orders-table'], { STUB_TEMPLATE: join(FIXTURES, 'table.json') });
    expect(deployed.exitCode).toBe(0);
    const result = await kit(['delete', '--yes', '--stack-name', 'orders-table']);
    expect(result.exitCode).toBe(1);
    expect(eventLines(result.stderr).map((e) => `${e.id} ${e.status}`)).toEqual([
      'orders-table DELETE_IN_PROGRESS',
      'ResultsTable DELETE_FAILED',
      'orders-table DELETE_FAILED',
    ]);
    expect(result.stderr.trim().split('\n').at(-1)).toMatch(
      /^lambda-kit: ResultsTable \(AWS::DynamoDB::Table\) DELETE_FAILED: .*DeletionProtectionEnabled.* lambda-kit deploy --parameter-overrides ResultsTableDeletionProtection=false/,
    );
  });
});

describe('lambda-kit deploy refuses to start', () => {
  it('without AWS credentials: one line before anything runs', async (ctx) => {
    need(ctx);
    samCalls();
    const result = await kit(['deploy', '--no-build', '--profile', 'nobody'], { AWS_SHARED_CREDENTIALS_FILE: join(root, 'none') });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^lambda-kit: AWS credentials: AWS_PROFILE=nobody is in neither .* Fix: aws configure --profile nobody/);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(samCalls().filter((call) => call[0] === 'deploy')).toEqual([]);
  });

  it('without a region: one line', async (ctx) => {
    need(ctx);
    rmSync(join(project, 'samconfig.toml'), { force: true });
    const result = await kit(['outputs'], { AWS_REGION: '', AWS_DEFAULT_REGION: '' });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^lambda-kit: AWS region: no region in the environment or profile default\. Fix: aws configure set region <region>$/,
    );
  });

  it("without sam on PATH: doctor's fix line", async (ctx) => {
    need(ctx);
    const result = await kit(['deploy', '--no-build'], { PATH: join(root, 'empty-bin') });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'lambda-kit: sam: not found. Fix: pip3 install aws-sam-cli (or see https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html)',
    );
  });

  it('on a bad option (exit 2)', async (ctx) => {
    need(ctx);
    const result = await kit(['deploy', '--yes']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe("lambda-kit: unknown option '--yes'. See lambda-kit deploy --help.");
  });
});
