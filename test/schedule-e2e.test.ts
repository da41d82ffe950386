/**
 * The schedule trigger end to end: a project made by the real scaffolder (schedule → DynamoDB),
 * built with `cargo lambda build` (debug) and run by the real `lambda-kit invoke` against a moto
 * server on loopback. A run is recorded once per scheduled time, a repeated run changes nothing
 * and succeeds, and a sink that refuses connections fails the invocation (exit 1) so that Lambda
 * would retry it, then send it to the dead-letter queue.
 */
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostArchitecture } from '../src/project/binary.js';
import { CREATE_BIN, KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { startMoto, switchablePort, type MotoServer } from './support/moto.js';
import { CARGO_ENV, IN_CI, pythonTools, which } from './support/tools.js';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the end-to-end tests need moto, cargo-lambda and cargo in CI: ${missing}`);
const VENV_BIN = 'bin' in tools ? tools.bin : '';

const ARCH = hostArchitecture() ?? 'x86_64';
/** The first build compiles the AWS SDK; on 2 shared cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;
const INVOKE_TIMEOUT = 120_000;

let moto: MotoServer;
let root: string;
let dir: string;
let tableCount = 0;

const clientConfig = () => ({
  endpoint: moto.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

async function createTable(): Promise<string> {
  const name = `runs-${process.pid}-${++tableCount}`;
  await new DynamoDBClient(clientConfig()).send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  return name;
}

async function scanTable(name: string): Promise<Record<string, AttributeValue>[]> {
  const { Items = [] } = await new DynamoDBClient(clientConfig()).send(new ScanCommand({ TableName: name }));
  return Items.sort((a, b) => a.id!.S!.localeCompare(b.id!.S!));
}

function invoke(event: string, env: Record<string, string>) {
  return runBin(KIT_BIN, ['invoke', '--event', event], dir, userEnv({ ...moto.env, CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR, ...env }));
}

/** The sample event with some of its fields replaced, written beside it. */
async function eventWith(name: string, fields: Record<string, string>): Promise<string> {
  const sample = JSON.parse(await readFile(join(dir, 'events/schedule.json'), 'utf8'));
  await writeFile(join(dir, 'events', name), JSON.stringify({ ...sample, ...fields }));
  return `events/${name}`;
}

beforeAll(async () => {
  if (missing) return;
  moto = await startMoto(VENV_BIN);
  root = await tempDir('cfl-schedule-e2e-');
  await execa(process.execPath, [CREATE_BIN, 'nightly', '--trigger', 'schedule', '--sink', 'dynamodb', '--arch', ARCH, '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  dir = join(root, 'nightly');
  const env = { ...process.env, ...CARGO_ENV, PATH: `${VENV_BIN}:${process.env.PATH}`, NO_COLOR: '1' };
  const build = await execa('cargo', ['lambda', 'build', ARCH === 'arm64' ? '--arm64' : '--x86-64'], {
    cwd: dir,
    env,
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  if (build.exitCode !== 0) throw new Error(`cargo lambda build failed in ${dir}:\n${build.all}`);
}, COLD_BUILD_TIMEOUT);

afterAll(async () => {
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(missing)('schedule → DynamoDB, through lambda-kit invoke', () => {
  it(
    'records the sample run once; a retry of the same scheduled time succeeds and changes nothing',
    async () => {
      const table = await createTable();
      const first = await invoke('events/schedule.json', { TABLE_NAME: table });
      expect(first.exitCode, first.stderr).toBe(0);
      const retry = await invoke(await eventWith('retry.json', { executionId: 'another-execution', attemptNumber: '2' }), {
        TABLE_NAME: table,
      });
      expect(retry.exitCode, retry.stderr).toBe(0);

      expect(await scanTable(table)).toEqual([
        {
          id: { S: '2026-05-01T09:30:00Z' },
          scheduleArn: { S: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/nightly' },
          executionId: { S: '3f1c2b7e-9a4d-4e61-8c05-2d7b6a9e4f10' },
          attemptNumber: { N: '1' },
        },
      ]);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'records each scheduled time as its own item',
    async () => {
      const table = await createTable();
      expect((await invoke('events/schedule.json', { TABLE_NAME: table })).exitCode).toBe(0);
      const next = await invoke(await eventWith('next.json', { scheduledTime: '2026-05-01T09:35:00Z' }), { TABLE_NAME: table });
      expect(next.exitCode, next.stderr).toBe(0);
      expect((await scanTable(table)).map((item) => item.id!.S)).toEqual(['2026-05-01T09:30:00Z', '2026-05-01T09:35:00Z']);
    },
    INVOKE_TIMEOUT,
  );

  it(
    'fails the invocation (exit 1) while DynamoDB refuses connections, so that the run is retried',
    async () => {
      const table = await createTable();
      const port = await switchablePort(moto.port);
      try {
        const down = await invoke('events/schedule.json', { TABLE_NAME: table, AWS_ENDPOINT_URL: `http://127.0.0.1:${port.port}` });
        expect(down.exitCode).toBe(1);
        expect(down.stderr).toMatch(/^lambda-kit: the function failed: .*could not record the run of 2026-05-01T09:30:00Z/m);
      } finally {
        await port.close();
      }
      expect(await scanTable(table)).toEqual([]);
    },
    INVOKE_TIMEOUT,
  );
});
