/**
 * The schedule trigger end to end: a project made by the real scaffolder (schedule → DynamoDB),
 * built with `cargo lambda build` (debug) and run by the real `lambda-kit invoke` against a moto
 * server on loopback. A run is recorded once per scheduled time, a repeated run changes nothing
 * and succeeds, and a sink that refuses connections fails the invocation (exit 1) so that Lambda
 * would retry it, then send it to the dead-letter queue.
 */
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtTriggerProject } from './support/built-project.js';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { motoForFile, switchablePort } from './support/moto.js';
import { motoResources } from './support/moto-resources.js';
import { CARGO_ENV, endToEndTools } from './support/tools.js';

const { venvBin: VENV_BIN, missing } = endToEndTools('the end-to-end tests need moto, cargo-lambda and cargo');
const moto = motoForFile('the end-to-end tests');
const { createTable, scanTable } = motoResources(moto);

/** The first build compiles the AWS SDK; on 2 shared cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;
const INVOKE_TIMEOUT = 120_000;

/** This file's events: the project is shared (test/support/built-project.ts), so they are written here. */
let root: string;
let dir: string;

function invoke(event: string, env: Record<string, string>) {
  return runBin(KIT_BIN, ['invoke', '--event', event], dir, userEnv({ ...moto.env, CARGO_TARGET_DIR: CARGO_ENV.CARGO_TARGET_DIR, ...env }));
}

/** The sample event with some of its fields replaced, written to this file's directory; its path. */
async function eventWith(name: string, fields: Record<string, string>): Promise<string> {
  const sample = JSON.parse(await readFile(join(dir, 'events/schedule.json'), 'utf8'));
  const path = join(root, name);
  await writeFile(path, JSON.stringify({ ...sample, ...fields }));
  return path;
}

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-schedule-e2e-');
  dir = await builtTriggerProject('schedule', 'dynamodb', VENV_BIN);
}, COLD_BUILD_TIMEOUT);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(missing)('schedule → DynamoDB, through lambda-kit invoke', () => {
  it(
    'records the sample run once; a retry of the same scheduled time succeeds and changes nothing',
    async () => {
      const table = await createTable('runs');
      const first = await invoke('events/schedule.json', { TABLE_NAME: table });
      expect(first.exitCode, first.stderr).toBe(0);
      const retry = await invoke(await eventWith('retry.json', { executionId: 'another-execution', attemptNumber: '2' }), {
        TABLE_NAME: table,
      });
      expect(retry.exitCode, retry.stderr).toBe(0);

      expect(await scanTable(table)).toEqual([
        {
          id: { S: '2026-05-01T09:30:00Z' },
          // The sample event names the schedule after the project.
          scheduleArn: { S: `arn:aws:scheduler:us-east-1:123456789012:schedule/default/${basename(dir)}` },
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
      const table = await createTable('runs');
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
      const table = await createTable('runs');
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
