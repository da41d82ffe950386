/**
 * What lambda-kit's AWS commands say before anything runs, in a project made by
 * create-fast-lambda: the order of their refusals (a usage error first, exit 2), a region that
 * `deploy --guided` lets sam ask for, and a region that is no region. Nothing here reaches AWS:
 * the only endpoint named is a port on 127.0.0.1 that nothing listens on.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, ROOT, tempDir } from './support/cli.js';
import { spawnInPty } from './support/pty.js';
import { requirePythonTools, shimDir } from './support/tools.js';

let root: string;
let project: string;
let credentials: string;

beforeAll(async () => {
  root = await tempDir('cfl-preflight-');
  await execa(process.execPath, [CREATE_BIN, 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  project = join(root, 'orders');
  credentials = join(root, 'credentials');
  writeFileSync(credentials, '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** No region anywhere, credentials in a file, and AWS's endpoint a closed port on loopback. */
function noRegionEnv(path: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: path,
    HOME: root,
    NO_COLOR: '1',
    AWS_SHARED_CREDENTIALS_FILE: credentials,
    AWS_CONFIG_FILE: join(root, 'no-config'),
    AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
    ...extra,
  };
}

/** A PATH with the stub sam (test/support/stub-sam.py) first, recording its calls in `record`. */
function stubSamPath(ctx: { skip: (note?: string) => void }, name: string): string {
  const venv = requirePythonTools(ctx);
  const stub = shimDir(join(root, name), {
    sam: `#!${join(venv, 'python')}\n${readFileSync(join(ROOT, 'test/support/stub-sam.py'), 'utf8')}`,
  });
  return `${stub}:/usr/bin:/bin`;
}

function kit(args: string[], env: NodeJS.ProcessEnv) {
  return execa(process.execPath, [KIT_BIN, ...args], {
    cwd: project,
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    timeout: 30_000,
  });
}

describe('lambda-kit delete without a terminal', () => {
  it('asks for --yes (exit 2) before any check that needs AWS fails', async () => {
    const result = await kit(['delete'], noRegionEnv('/usr/bin:/bin'));
    expect(result.stderr).toBe('lambda-kit: deleting stack orders needs --yes when there is no terminal to confirm at.');
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('');
  });

  it('still names the missing region first when --yes is given', async () => {
    const result = await kit(['delete', '--yes'], noRegionEnv('/usr/bin:/bin'));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^lambda-kit: AWS region: no region in the environment or profile default\. Fix: aws configure set region <region>$/,
    );
  });
});

describe('lambda-kit deploy --guided', () => {
  it('starts without a region, since sam asks for one', async (ctx) => {
    const record = join(root, 'sam-calls.jsonl');
    const env = noRegionEnv(stubSamPath(ctx, 'stub-bin'), { STUB_SAM_RECORD: record });
    const session = spawnInPty([process.execPath, KIT_BIN, 'deploy', '--no-build', '--guided'], { cwd: project, env });
    await session.waitFor('Configuring SAM deploy (guided): stdin is a terminal: True', 30_000);
    expect(await session.exit).toBe(0);
    const calls = readFileSync(record, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string[]);
    // No --region: sam asks for it.
    expect(calls).toEqual([['--version'], ['deploy', '--guided']]);
  });

  it('without --guided, still stops on the missing region with one line', async (ctx) => {
    const env = noRegionEnv(stubSamPath(ctx, 'stub-bin-plain'), { STUB_SAM_RECORD: join(root, 'plain-calls.jsonl') });
    const result = await kit(['deploy', '--no-build'], env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'lambda-kit: AWS region: no region in the environment or profile default. Fix: aws configure set region <region>',
    );
  });

  it('with --guided, a region that is no region is still refused', async (ctx) => {
    const env = noRegionEnv(stubSamPath(ctx, 'stub-bin-bad'), { STUB_SAM_RECORD: join(root, 'bad-calls.jsonl'), AWS_REGION: 'eu west 1' });
    const result = await kit(['deploy', '--no-build', '--guided'], env);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('"eu west 1" from AWS_REGION is not an AWS region');
  });
});

describe('lambda-kit invoke --remote with a region that is no region', () => {
  it('refuses --region as a usage error, in one line', async () => {
    const result = await kit(['invoke', '--remote', '--region', 'eu west 1'], noRegionEnv('/usr/bin:/bin'));
    expect(result.stderr).toBe('lambda-kit: --region "eu west 1" is not an AWS region (such as eu-west-1).');
    expect(result.exitCode).toBe(2);
  });

  it('names AWS_REGION when that is where it came from', async () => {
    const result = await kit(['invoke', '--remote'], noRegionEnv('/usr/bin:/bin', { AWS_REGION: 'eu west 1' }));
    expect(result.stderr).toBe(
      'lambda-kit: AWS region: "eu west 1" from AWS_REGION is not an AWS region. Fix: export AWS_REGION=<region>, such as eu-west-1',
    );
    expect(result.exitCode).toBe(1);
  });

  it('names the profile when its region is no region', async () => {
    const config = join(root, 'bad-region-config');
    writeFileSync(config, '[default]\nregion = eu_west_1\n');
    const result = await kit(['invoke', '--remote'], noRegionEnv('/usr/bin:/bin', { AWS_CONFIG_FILE: config }));
    expect(result.stderr).toBe(
      'lambda-kit: AWS region: "eu_west_1" from profile default is not an AWS region. Fix: aws configure set region <region>',
    );
    expect(result.exitCode).toBe(1);
  });
});
