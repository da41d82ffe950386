/**
 * What `lambda-kit invoke` works out before it runs anything: the environment Lambda would give
 * the function, which built binary runs here, the default event, samconfig.toml and the stack
 * name. No processes, no network.
 */
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCommandFor, elfArchitecture, findFunctionBinary, hostArchitecture } from '../src/project/binary.js';
import { defaultEventFile, readEventFile } from '../src/project/events.js';
import { loadProject, pickFunction, stackNameOf, type LambdaFunction } from '../src/project/project.js';
import { parseSamConfig, samConfigValue } from '../src/project/samconfig.js';
import { describeIntrinsic, lambdaEnvironment, parseEnvAssignments } from '../src/runtime-api/lambda-env.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { tempDir } from './support/cli.js';

const FN: LambdaFunction = {
  logicalId: 'AppFunction',
  codeDir: '/work/orders',
  architecture: 'arm64',
  buildMethod: 'rust-cargolambda',
  runtime: 'provided.al2023',
  handler: 'bootstrap',
  memorySize: 512,
  timeout: 30,
  environment: { TABLE_NAME: { Ref: 'ResultsTable' }, STAGE: 'prod', BATCH: 10, FLAG: true, ARN: { 'Fn::GetAtt': ['Queue', 'Arn'] } },
  functionName: undefined,
  logFormat: 'JSON',
  applicationLogLevel: 'INFO',
};

describe('lambdaEnvironment', () => {
  const caller = {
    PATH: '/usr/bin',
    HOME: '/home/me',
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIA…',
    AWS_SECRET_ACCESS_KEY: 'secret',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
    AWS_PROFILE: 'dev',
    AWS_LAMBDA_FUNCTION_NAME: 'from-the-caller',
    AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
    RUST_LOG: 'debug',
    EDITOR: 'vim',
    npm_config_cache: '/tmp/npm',
  };

  it('defines what Lambda defines, from the template', () => {
    const { env } = lambdaEnvironment({
      fn: FN,
      functionName: 'orders',
      taskRoot: '/work/orders/target/lambda/orders',
      caller,
      now: new Date('2026-05-01T09:30:00Z'),
    });
    expect(env).toMatchObject({
      _HANDLER: 'bootstrap',
      AWS_LAMBDA_FUNCTION_NAME: 'orders',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orders',
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'INFO',
      AWS_REGION: 'eu-west-1',
      AWS_DEFAULT_REGION: 'eu-west-1',
      LAMBDA_TASK_ROOT: '/work/orders/target/lambda/orders',
      TZ: ':UTC',
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^2026\/05\/01\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it('lends the caller’s AWS settings and Rust debugging, and nothing else of it', () => {
    const { env } = lambdaEnvironment({ fn: FN, functionName: 'orders', taskRoot: '/t', caller });
    expect(env).toMatchObject({
      AWS_ACCESS_KEY_ID: 'AKIA…',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_PROFILE: 'dev',
      RUST_LOG: 'debug',
      HOME: '/home/me',
      PATH: '/usr/bin',
    });
    expect(env.AWS_LAMBDA_FUNCTION_NAME).toBe('orders');
    expect(env.AWS_EXECUTION_ENV).toBeUndefined();
    expect(env.EDITOR).toBeUndefined();
    expect(env.npm_config_cache).toBeUndefined();
  });

  it('sets the template’s plain values, names the ones only CloudFormation can resolve, and takes them from the caller or --env', () => {
    const plain = lambdaEnvironment({ fn: FN, functionName: 'orders', taskRoot: '/t', caller: {} });
    expect(plain.env).toMatchObject({ STAGE: 'prod', BATCH: '10', FLAG: 'true' });
    expect(plain.env.TABLE_NAME).toBeUndefined();
    expect(plain.unresolved).toEqual([
      { name: 'TABLE_NAME', value: '!Ref ResultsTable', intrinsic: expect.anything() },
      { name: 'ARN', value: '!GetAtt Queue.Arn', intrinsic: expect.anything() },
    ]);

    const given = lambdaEnvironment({
      fn: FN,
      functionName: 'orders',
      taskRoot: '/t',
      caller: { TABLE_NAME: 'from-env', STAGE: 'dev' },
      overrides: { ARN: 'arn:x', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' },
    });
    expect(given.env).toMatchObject({ TABLE_NAME: 'from-env', STAGE: 'dev', ARN: 'arn:x', AWS_LAMBDA_LOG_LEVEL: 'DEBUG' });
    expect(given.unresolved).toEqual([]);
  });

  it('sets no log level for the Text format, and no region when the caller has none', () => {
    const { env } = lambdaEnvironment({ fn: { ...FN, logFormat: 'Text' }, functionName: 'orders', taskRoot: '/t', caller: {} });
    expect(env.AWS_LAMBDA_LOG_FORMAT).toBe('Text');
    expect(env.AWS_LAMBDA_LOG_LEVEL).toBeUndefined();
    expect(env.AWS_REGION).toBeUndefined();
  });

  it('describes intrinsics and parses --env', () => {
    expect(describeIntrinsic({ 'Fn::Sub': '${A}' })).toBe('!Sub …');
    expect(parseEnvAssignments(['A=1', 'B=x=y', 'C='])).toEqual({ values: { A: '1', B: 'x=y', C: '' } });
    expect(parseEnvAssignments(['A=1', 'nope']).invalid).toBe('nope');
    expect(parseEnvAssignments(['1A=x']).invalid).toBe('1A=x');
  });
});

/** A minimal ELF header: magic, 64-bit, little-endian, and e_machine at byte 18. */
function elf(machine: number): Buffer {
  const header = Buffer.alloc(64);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  header.writeUInt16LE(machine, 18);
  return header;
}

describe('findFunctionBinary', () => {
  it('knows an executable’s architecture from its ELF header', () => {
    expect(elfArchitecture(elf(0x3e))).toBe('x86_64');
    expect(elfArchitecture(elf(0xb7))).toBe('arm64');
    expect(elfArchitecture(elf(0x28))).toBe('other');
    expect(elfArchitecture(Buffer.from('#!/bin/sh\necho hi\n'))).toBeUndefined();
    expect(hostArchitecture('x64')).toBe('x86_64');
    expect(hostArchitecture('ia32')).toBeUndefined();
  });

  it('suggests the build that gives a binary for this machine', () => {
    expect(buildCommandFor({ ...FN, architecture: 'x86_64' }, 'linux', 'x86_64')).toBe('lambda-kit build --no-sam');
    expect(buildCommandFor({ ...FN, architecture: 'arm64' }, 'linux', 'x86_64')).toBe('cargo build');
    expect(buildCommandFor({ ...FN, architecture: 'arm64' }, 'darwin', 'arm64')).toBe('cargo build');
  });

  async function project() {
    const dir = join(await tempDir('cfl-binary-'), 'orders');
    await writeProject(dir, renderProject(resolveSpec({ name: 'orders', trigger: 'sqs', sink: 'dynamodb', arch: 'x86_64' })));
    const loaded = await loadProject(dir);
    return { dir, loaded, fn: pickFunction(loaded, undefined) };
  }

  async function place(path: string, contents: Buffer, mtime: Date) {
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, contents, { mode: 0o755 });
    await utimes(path, mtime, mtime);
  }

  it.runIf(process.platform === 'linux' && hostArchitecture() !== undefined)('takes the newest binary this machine runs', async () => {
    const { dir, loaded, fn } = await project();
    const native = hostArchitecture() === 'x86_64' ? 0x3e : 0xb7;
    const foreign = native === 0x3e ? 0xb7 : 0x3e;
    const old = new Date('2026-01-01T00:00:00Z');
    const later = new Date(Date.now() + 60_000);
    const env = { CARGO_TARGET_DIR: 'build-out' };

    await expect(findFunctionBinary(loaded, fn, env)).rejects.toThrow(
      /AppFunction is not built yet \(no .*build-out\/lambda\/orders\/bootstrap\)/,
    );

    await place(join(dir, 'build-out/lambda/orders/bootstrap'), elf(foreign), later);
    await expect(findFunctionBinary(loaded, fn, env)).rejects.toThrow(/bootstrap is built for (arm64|x86_64), and this machine runs/);

    await place(join(dir, '.aws-sam/build/AppFunction/bootstrap'), elf(native), old);
    const sam = await findFunctionBinary(loaded, fn, env);
    expect(sam).toMatchObject({ path: join(dir, '.aws-sam/build/AppFunction/bootstrap'), builtBy: 'sam build' });
    // Built before the sources were written: it may be stale, and the user hears of it.
    expect(sam.newerSource).toBeDefined();

    await place(join(dir, 'build-out/debug/orders'), Buffer.from('#!/bin/sh\n'), later);
    expect(await findFunctionBinary(loaded, fn, env)).toMatchObject({
      path: join(dir, 'build-out/debug/orders'),
      builtBy: 'cargo build',
      newerSource: undefined,
    });

    // Without CARGO_TARGET_DIR, the crate's own target/.
    await place(join(dir, 'target/lambda/orders/bootstrap'), elf(native), later);
    expect((await findFunctionBinary(loaded, fn, {})).builtBy).toBe('cargo lambda build');
  });
});

describe('samconfig.toml, the default event and the stack name', () => {
  it('reads samconfig.toml as SAM does: the command’s table over the global one', () => {
    const config = parseSamConfig(`version = 0.1
# comment
[default.global.parameters]
stack_name = "orders" # trailing comment
region = 'eu-west-1'

[default.deploy.parameters]
stack_name = "orders-prod"
capabilities = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"]
confirm_changeset = true
retries = 3
s3_prefix = "a#b"

[default.local_invoke.parameters]
event = "events/sqs.json"
`);
    expect(samConfigValue(config, 'deploy', 'stack_name')).toBe('orders-prod');
    expect(samConfigValue(config, 'logs', 'stack_name')).toBe('orders');
    expect(samConfigValue(config, 'deploy', 'region')).toBe('eu-west-1');
    expect(samConfigValue(config, 'deploy', 'capabilities')).toEqual(['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM']);
    expect(samConfigValue(config, 'deploy', 'confirm_changeset')).toBe(true);
    expect(samConfigValue(config, 'deploy', 'retries')).toBe(3);
    expect(samConfigValue(config, 'deploy', 's3_prefix')).toBe('a#b');
    expect(samConfigValue(config, 'local_invoke', 'event')).toBe('events/sqs.json');
    expect(samConfigValue(config, 'deploy', 'stack_name', 'prod')).toBeUndefined();
    expect(samConfigValue(undefined, 'deploy', 'stack_name')).toBeUndefined();
  });

  it('finds a generated project’s event and stack name', async () => {
    const dir = join(await tempDir('cfl-events-'), 'orders');
    await writeProject(dir, renderProject(resolveSpec({ name: 'orders', trigger: 'kinesis', sink: 'sqs', arch: 'arm64' })));
    const project = await loadProject(dir);
    expect(await defaultEventFile(project)).toBe(join(dir, 'events/kinesis.json'));
    expect(JSON.parse((await readEventFile(join(dir, 'events/kinesis.json'))).toString()).Records).toHaveLength(3);
    expect(stackNameOf(project, undefined)).toBe('orders');
    expect(stackNameOf(project, 'other')).toBe('other');
    expect(stackNameOf({ ...project, samconfig: undefined, packageName: 'pkg' }, undefined)).toBe('pkg');
    expect(() => stackNameOf({ ...project, samconfig: undefined, packageName: undefined }, undefined)).toThrow(/no stack name/);

    // Without samconfig's event: the only file in events/, and a clear word when there are several.
    const bare = { ...project, samconfig: undefined };
    expect(await defaultEventFile(bare)).toBe(join(dir, 'events/kinesis.json'));
    await writeFile(join(dir, 'events/other.json'), '{}');
    await expect(defaultEventFile(bare)).rejects.toThrow(
      'events/ has 2 events: pick one with --event (events/kinesis.json, events/other.json)',
    );
  });

  it('refuses a missing event file, naming it, and one that is not JSON', async () => {
    const dir = await tempDir('cfl-events-');
    await expect(readEventFile(join(dir, 'nope.json'))).rejects.toThrow(/event file .*nope\.json does not exist/);
    await writeFile(join(dir, 'bad.json'), '{ "Records": [');
    await expect(readEventFile(join(dir, 'bad.json'))).rejects.toThrow(/event file .*bad\.json is not JSON/);
  });
});
