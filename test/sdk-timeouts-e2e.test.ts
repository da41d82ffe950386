/**
 * A hung AWS endpoint must not run a generated function into its Timeout. Projects made by the
 * real scaffolder with a 3-second Timeout are built with cargo lambda and run through the real
 * `lambda-kit invoke`, with AWS_ENDPOINT_URL at a TCP server on 127.0.0.1 that accepts every
 * connection and never answers. The function must answer before its deadline: an API with its
 * JSON 503, an SQS batch with every message in batchItemFailures.
 */
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsEnv } from '../src/tools/moto.js';
import { builtProject } from './support/built-project.js';
import { KIT_BIN, runBin, tempDir, userEnv } from './support/cli.js';
import { httpApiEvent, itemJson, sqsEvent } from './support/events.js';
import { CARGO_ENV, endToEndTools } from './support/tools.js';

const { venvBin: VENV_BIN, missing } = endToEndTools('the timeout tests need cargo-lambda and cargo');

const COLD_BUILD_TIMEOUT = 25 * 60_000;
/** The generated template's Timeout, and so FUNCTION_TIMEOUT_SECONDS. */
const TIMEOUT_SECONDS = 3;

/** Accepts connections and never answers a byte: a hung endpoint, not a refused one. */
async function silentServer(): Promise<{ url: string; connections: () => number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    connections: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

let root: string;
let hung: Awaited<ReturnType<typeof silentServer>>;

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-timeouts-');
  hung = await silentServer();
});

afterAll(async () => {
  await hung?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The project of `trigger` → `sink` with a 3-second Timeout, built once for every run (test/support/built-project.ts). */
function builtWithShortTimeout(name: string, trigger: string, sink: string): Promise<string> {
  return builtProject(name, ['--trigger', trigger, '--sink', sink, '--timeout', String(TIMEOUT_SECONDS)], VENV_BIN);
}

/** `lambda-kit invoke --event <event>` with every AWS call going to the hung endpoint. */
async function invokeAgainstHungAws(dir: string, event: unknown, env: Record<string, string>) {
  // The project is shared: the event goes in this file's own directory.
  const path = join(root, 'hung.json');
  await writeFile(path, JSON.stringify(event));
  const result = await runBin(KIT_BIN, ['invoke', '--event', path], dir, userEnv({ ...awsEnv(hung.url), ...CARGO_ENV, ...env }));
  // The function's own duration, from lambda-kit's REPORT summary.
  const duration = /^Duration ([\d.]+) ms/m.exec(result.stderr)?.[1];
  return { ...result, durationMs: duration === undefined ? undefined : Number(duration) };
}

describe.skipIf(missing)('a hung AWS endpoint', () => {
  describe('API (HTTP API → DynamoDB)', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await builtWithShortTimeout('hung-api-dynamodb', 'api', 'dynamodb');
    }, COLD_BUILD_TIMEOUT);

    it('answers 503 with its JSON error before the function times out', async () => {
      const before = hung.connections();
      const body = itemJson({ id: 'H-1', name: 'slow beans', quantity: 1 });

      const result = await invokeAgainstHungAws(dir, httpApiEvent(body), { TABLE_NAME: 'results' });

      expect(result.exitCode, result.stderr).toBe(0);
      const response = JSON.parse(result.stdout);
      expect(response.statusCode).toBe(503);
      expect(JSON.parse(response.body)).toEqual({ error: 'the service is unavailable, please try again later' });
      // The SDK's operation timeout or the handler's deadline, whichever is first (both are
      // about 2.7 s here), gave up on the endpoint before Lambda's deadline.
      expect(result.stderr).toMatch(/could not store the item .*(operation timeout|out of time storing the item)/);
      expect(result.stderr).not.toMatch(/Task timed out/i);
      expect(hung.connections()).toBeGreaterThan(before);
      expect(result.durationMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    }, 60_000);
  });

  describe('SQS → SQS', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await builtWithShortTimeout('hung-sqs-sqs', 'sqs', 'sqs');
    }, COLD_BUILD_TIMEOUT);

    it('reports every message in batchItemFailures before the function times out', async () => {
      const before = hung.connections();
      const bodies = ['H-1', 'H-2', 'H-3'].map((id) => itemJson({ id, name: 'slow beans', quantity: 1 }));
      const event = sqsEvent('orders-intake', bodies);

      const queues = { QUEUE_URL: `${hung.url}/000000000000/results`, DEAD_LETTER_QUEUE_URL: `${hung.url}/000000000000/dead-letters` };
      const result = await invokeAgainstHungAws(dir, event, queues);

      expect(result.exitCode, result.stderr).toBe(0);
      const failed = JSON.parse(result.stdout).batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier);
      expect(failed.sort()).toEqual(event.Records.map((r) => r.messageId).sort());
      expect(result.stderr).not.toMatch(/Task timed out/i);
      expect(hung.connections()).toBeGreaterThan(before);
      expect(result.durationMs).toBeLessThan(TIMEOUT_SECONDS * 1000);
    }, 60_000);
  });
});
