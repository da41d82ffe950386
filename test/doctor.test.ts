/**
 * doctor's rules, from what the tools print to the verdict and the fix line: versions parsed out
 * of real (and noisy) outputs, the needed/ok logic for each tool, and the AWS region and
 * credential sources read from the environment and the shared files. No tool runs here.
 */
import { describe, expect, it } from 'vitest';
import { parseIni, resolveAwsSetup, type AwsFiles } from '../src/tools/aws-setup.js';
import {
  checkFailure,
  judgeAwsCredentials,
  judgeAwsRegion,
  judgeCargoLambda,
  judgeNode,
  judgeRust,
  judgeRustTarget,
  judgeSam,
  judgeZig,
  parseCargoLambdaSystem,
  samNeedsBetaFlag,
  zigNeed,
} from '../src/tools/doctor.js';
import type { ToolRun } from '../src/tools/run-tool.js';
import {
  atLeast,
  cargoLambdaVersion,
  cargoVersion,
  compareVersions,
  parseVersion,
  rustcHost,
  rustcVersion,
  samVersion,
  zigVersion,
} from '../src/tools/versions.js';

const printed = (stdout: string, exitCode = 0, stderr = ''): ToolRun => ({ found: true, exitCode, stdout, stderr });
const missing: ToolRun = { found: false, reason: 'not found' };

const RUSTC_VV = `rustc 1.95.0 (59807616e 2026-04-14)
binary: rustc
commit-hash: 59807616e1fa2540724bfbac14d7976d7e4a3860
commit-date: 2026-04-14
host: x86_64-unknown-linux-gnu
release: 1.95.0
LLVM version: 22.1.2
`;

describe('version parsing', () => {
  it('reads each tool its own way, ignoring what is printed around the version', () => {
    expect(cargoVersion('cargo 1.95.0 (f2d3ce0bd 2026-03-21)\n')?.text).toBe('1.95.0');
    expect(rustcVersion(RUSTC_VV)?.text).toBe('1.95.0');
    expect(rustcHost(RUSTC_VV)).toBe('x86_64-unknown-linux-gnu');
    expect(cargoLambdaVersion('cargo-lambda 1.9.2 (67129fc 2026-08-21Z)\n')?.text).toBe('1.9.2');
    const warned = 'UserWarning: pkg_resources is deprecated (setuptools 80.1.0)\n  import x\nSAM CLI, version 1.170.0\n';
    expect(samVersion(warned)?.text).toBe('1.170.0');
    expect(zigVersion('0.13.0\n')?.text).toBe('0.13.0');
  });

  it('keeps pre-release tags and compares numerically, not as text', () => {
    expect(rustcVersion(RUSTC_VV.replace('release: 1.95.0', 'release: 1.97.0-nightly'))?.text).toBe('1.97.0-nightly');
    expect(zigVersion('0.15.0-dev.1034+bd97b6618\n')).toMatchObject({ major: 0, minor: 15, patch: 0 });
    expect(compareVersions(parseVersion('1.100.0')!, parseVersion('1.99.0')!)).toBeGreaterThan(0);
    expect(atLeast(parseVersion('1.156.0')!, '1.156')).toBe(true);
    expect(atLeast(parseVersion('1.155.2')!, '1.156')).toBe(false);
    expect(parseVersion('v20.12.0')).toMatchObject({ major: 20, minor: 12, patch: 0, text: '20.12.0' });
  });

  it('finds no version in output that has none, or in the wrong tool’s output', () => {
    expect(samVersion('')).toBeUndefined();
    expect(samVersion('Traceback (most recent call last):\n  File "/usr/bin/sam", line 5\n')).toBeUndefined();
    expect(cargoVersion('error: no such command: `lambda`')).toBeUndefined();
    expect(cargoLambdaVersion('cargo 1.95.0 (f2d3ce0bd 2026-03-21)')).toBeUndefined();
    expect(parseVersion('1.2.3.4')).toBeUndefined();
  });
});

describe('judging each tool', () => {
  it('node: the running version against the engines field', () => {
    expect(judgeNode('20.12.0').status).toBe('ok');
    expect(judgeNode('20.11.1')).toMatchObject({ status: 'fail', problem: '20.11.1 is older than 20.12' });
  });

  it('cargo and rustc: present and new enough for the AWS SDK crates', () => {
    expect(judgeRust(printed('cargo 1.95.0 (f2d3ce0bd 2026-03-21)'), printed(RUSTC_VV))).toMatchObject({ status: 'ok', found: '1.95.0' });
    expect(judgeRust(missing, missing)).toMatchObject({
      status: 'fail',
      found: 'not found',
      fix: 'install Rust with rustup: https://rustup.rs',
    });
    const old = judgeRust(printed('cargo 1.80.1 (x 2024-08-01)'), printed(RUSTC_VV.replaceAll('1.95.0', '1.80.1')));
    expect(old).toMatchObject({ status: 'fail', problem: '1.80.1 is older than 1.94.1', fix: 'rustup update stable' });
  });

  it('cargo-lambda: missing, too old, broken, fine', () => {
    expect(judgeCargoLambda(missing)).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^pip3 install cargo-lambda/) });
    expect(judgeCargoLambda(printed('cargo-lambda 0.22.0 (abc 2023-10-01Z)'))).toMatchObject({
      status: 'fail',
      fix: 'pip3 install --upgrade cargo-lambda',
    });
    expect(judgeCargoLambda(printed('', 101, 'thread main panicked\nmore'))).toMatchObject({
      status: 'fail',
      problem: 'cargo-lambda --version exited 101: thread main panicked',
    });
    expect(judgeCargoLambda(printed('cargo-lambda 1.9.2 (67129fc 2026-08-21Z)'))).toMatchObject({ status: 'ok', found: '1.9.2' });
  });

  it('sam: the version, and whether rust-cargolambda still needs --beta-features', () => {
    expect(judgeSam(missing)).toMatchObject({
      status: 'fail',
      found: 'not found',
      fix: expect.stringMatching(/^pip3 install aws-sam-cli/),
    });
    expect(judgeSam(printed('SAM CLI, version 1.98.0'))).toMatchObject({ status: 'fail', fix: 'pip3 install --upgrade aws-sam-cli' });
    expect(judgeSam(printed('SAM CLI, version 1.155.2'))).toMatchObject({ status: 'ok', note: expect.stringContaining('--beta-features') });
    expect(judgeSam(printed('SAM CLI, version 1.156.0')).note).toBeUndefined();
    expect(samNeedsBetaFlag(parseVersion('1.155.2')!)).toBe(true);
    expect(samNeedsBetaFlag(parseVersion('1.156.0')!)).toBe(false);
    expect(samNeedsBetaFlag(parseVersion('1.170.0')!)).toBe(false);
  });

  it('rust target: the one for the architecture in template.yaml', () => {
    const installed = ['x86_64-unknown-linux-gnu'];
    expect(judgeRustTarget(installed, 'x86_64', true)).toMatchObject({ status: 'ok', needed: 'x86_64-unknown-linux-gnu (x86_64)' });
    // With rustup, lambda-kit build adds the target itself; without, it is a failure with a fix.
    expect(judgeRustTarget(installed, 'arm64', true)).toMatchObject({
      status: 'warn',
      problem: 'aarch64-unknown-linux-gnu is not installed',
      fix: 'lambda-kit build installs it (rustup target add aarch64-unknown-linux-gnu)',
    });
    expect(judgeRustTarget(installed, 'arm64', false)).toMatchObject({
      status: 'fail',
      problem: 'aarch64-unknown-linux-gnu is not installed, and there is no rustup to add it',
      fix: expect.stringContaining('install Rust with rustup'),
    });
    expect(judgeRustTarget(undefined, 'arm64', true)).toMatchObject({ status: 'fail', problem: 'rustc not found' });
  });
});

describe('zig', () => {
  const x86Host = 'x86_64-unknown-linux-gnu';
  const found = { found: true as const, version: '0.17.1', command: '/home/me/.venv/bin/python3 -m ziglang' };

  it('is needed by cargo-lambda’s default compiler for every build, the host’s own architecture too', () => {
    expect(zigNeed({ architecture: 'x86_64', host: x86Host, compiler: undefined }).needed).toBe(true);
    expect(zigNeed({ architecture: 'arm64', host: x86Host, compiler: undefined }).needed).toBe(true);
    expect(zigNeed({ architecture: undefined, host: x86Host, compiler: undefined }).needed).toBe(true);
  });

  it('is needed with CARGO_LAMBDA_COMPILER=cargo only to cross-compile, and never with cross', () => {
    expect(zigNeed({ architecture: 'x86_64', host: x86Host, compiler: 'cargo' }).needed).toBe(false);
    expect(zigNeed({ architecture: 'arm64', host: x86Host, compiler: 'cargo' }).needed).toBe(true);
    expect(zigNeed({ architecture: 'arm64', host: 'aarch64-unknown-linux-gnu', compiler: 'cargo' }).needed).toBe(false);
    expect(zigNeed({ architecture: 'arm64', host: x86Host, compiler: 'cross' }).needed).toBe(false);
  });

  it('shows the version and how cargo-lambda runs it; fails only when needed and missing or old', () => {
    const context = { architecture: 'arm64' as const, host: x86Host, compiler: undefined };
    expect(judgeZig(found, context)).toMatchObject({
      status: 'ok',
      found: '0.17.1 (python3 -m ziglang)',
      note: expect.stringContaining('/home/me/.venv/bin/python3'),
    });
    expect(judgeZig({ found: false }, context)).toMatchObject({ status: 'fail', fix: expect.stringMatching(/^pip3 install ziglang/) });
    expect(judgeZig({ ...found, version: '0.12.0' }, context)).toMatchObject({ status: 'fail', problem: '0.12.0 is older than 0.13' });
    expect(judgeZig({ found: false }, { ...context, architecture: 'x86_64', compiler: 'cargo' }).status).toBe('skip');
  });

  it('takes cargo-lambda’s own answer from `cargo lambda system`', () => {
    expect(parseCargoLambdaSystem('{"zig":{"command":"/v/bin/python3 -m ziglang","version":"0.17.1"}}')).toEqual({
      found: true,
      command: '/v/bin/python3 -m ziglang',
      version: '0.17.1',
    });
    expect(parseCargoLambdaSystem('{"zig":{"install_options":["npm install -g @ziglang/cli","pip3 install ziglang"]}}')).toEqual({
      found: false,
    });
    expect(parseCargoLambdaSystem('zig:\n  version: 0.17.1')).toBeUndefined();
  });
});

describe('AWS region and credentials', () => {
  const files = (config = '', credentials = ''): AwsFiles => ({
    config,
    credentials,
    configPath: '~/.aws/config',
    credentialsPath: '~/.aws/credentials',
  });
  const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

  it('reads INI sections, skipping comments and nested settings', () => {
    const ini = parseIni(
      '# top\n[default]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 20\n; note\n[profile dev]\nsso_session=corp\n',
    );
    expect(Object.fromEntries(ini.get('default')!)).toEqual({ region: 'eu-west-1', s3: '' });
    expect(ini.get('profile dev')!.get('sso_session')).toBe('corp');
  });

  it('resolves the region per reader: sam reads AWS_DEFAULT_REGION, lambda-kit AWS_REGION, both the profile', () => {
    const fromProfile = resolveAwsSetup({}, files('[default]\nregion = eu-west-1\n'));
    expect(judgeAwsRegion(fromProfile)).toMatchObject({ status: 'ok', found: 'eu-west-1 (profile default)' });

    const both = resolveAwsSetup({ AWS_REGION: 'eu-west-3', AWS_DEFAULT_REGION: 'eu-west-3' }, files());
    expect(judgeAwsRegion(both)).toMatchObject({ status: 'ok', found: 'eu-west-3 (AWS_REGION, AWS_DEFAULT_REGION)' });

    const onlySdk = resolveAwsSetup({ AWS_REGION: 'eu-west-3' }, files());
    expect(judgeAwsRegion(onlySdk)).toMatchObject({ status: 'warn', fix: 'export AWS_DEFAULT_REGION=eu-west-3' });

    const split = resolveAwsSetup({ AWS_REGION: 'eu-west-3' }, files('[default]\nregion = us-east-1\n'));
    expect(judgeAwsRegion(split)).toMatchObject({ status: 'warn', problem: 'sam and lambda-kit would use different regions' });

    const none = resolveAwsSetup({ AWS_PROFILE: 'dev' }, files('[profile dev]\nsso_session = corp\n'));
    expect(judgeAwsRegion(none)).toMatchObject({ status: 'fail', fix: 'aws configure set region <region> --profile dev' });
  });

  it('names where credentials come from, never what they are', () => {
    const cases: [NodeJS.ProcessEnv, AwsFiles, string][] = [
      [{ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: SECRET }, files(), 'environment (AWS_ACCESS_KEY_ID)'],
      [
        {},
        files('', `[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = ${SECRET}\n`),
        'profile default: access key (~/.aws/credentials)',
      ],
      [{ AWS_PROFILE: 'dev' }, files('[profile dev]\nsso_session = corp\nregion = eu-west-1\n'), 'profile dev: SSO (~/.aws/config)'],
      [
        { AWS_PROFILE: 'ci' },
        files('[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/ci\nsource_profile = default\n'),
        'profile ci: role arn:aws:iam::123456789012:role/ci (~/.aws/config)',
      ],
      [{ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/x' }, files(), 'container credentials endpoint'],
    ];
    for (const [env, shared, expected] of cases) {
      const check = judgeAwsCredentials(resolveAwsSetup(env, shared));
      expect(check).toMatchObject({ status: 'ok', found: expected });
      expect(JSON.stringify(check)).not.toContain(SECRET);
    }
  });

  it('fails with a fix when there are none, or AWS_PROFILE names a profile that does not exist', () => {
    expect(judgeAwsCredentials(resolveAwsSetup({}, files()))).toMatchObject({
      status: 'fail',
      found: 'none found',
      fix: expect.stringContaining('aws configure'),
    });
    // On EC2 the instance role may have them, and only a call would tell: a warning, not a failure.
    expect(judgeAwsCredentials(resolveAwsSetup({}, { ...files(), onEc2: true }))).toMatchObject({
      status: 'warn',
      problem: expect.stringContaining('instance'),
    });
    expect(judgeAwsCredentials(resolveAwsSetup({ AWS_PROFILE: 'prod' }, files('[profile dev]\nregion = eu-west-1\n')))).toMatchObject({
      status: 'fail',
      problem: 'AWS_PROFILE=prod is in neither ~/.aws/config nor ~/.aws/credentials',
      fix: 'aws configure --profile prod (or aws configure sso --profile prod)',
    });
  });
});

describe('a failed check, as a command stops with it', () => {
  it('is one line with the fix, exit code 1', () => {
    const error = checkFailure(judgeSam(missing));
    expect(error.exitCode).toBe(1);
    expect(`${error.message} ${error.hint}`).toMatch(/^sam: not found\. Fix: pip3 install aws-sam-cli/);
    expect(`${error.message} ${error.hint}`).not.toContain('\n');
  });
});
