/**
 * `lambda-kit dev` end to end, as a user runs it: a real API project (HTTP API → SQS) made by
 * the scaffolder, `lambda-kit dev` started in it as a child process (it builds the debug binary
 * with cargo lambda in the shared CARGO_TARGET_DIR), moto as the sink. Requests are real HTTP on
 * loopback and the Lambda SDK; the edits are real writes to src/handler.rs; Ctrl-C is a real
 * SIGINT, after which no process dev started (cargo's included) may be left.
 *
 * The tests run in order against the one dev process: serve, edit, break, stop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CreateQueueCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostArchitecture } from '../src/project/binary.js';
import { watchOutput, type ChildOutput } from '../src/tools/child-output.js';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';
import { httpApiEvent, itemJson, type Item } from './support/events.js';
import { startMoto, type MotoServer } from './support/moto.js';
import { descendants, stillRunning } from './support/process-tree.js';
import { CARGO_ENV, IN_CI, pythonTools, which } from './support/tools.js';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the dev end-to-end tests need moto, cargo-lambda and cargo in CI: ${missing}`);
const VENV_BIN = 'bin' in tools ? tools.bin : '';
const ARCH = hostArchitecture() ?? 'x86_64';

/** The first build may compile the dependencies; on 2 shared cores that takes minutes. */
const COLD_BUILD_TIMEOUT = 25 * 60_000;
/** A rebuild compiles the project's crate only. */
const REBUILD_TIMEOUT = 15 * 60_000;

let moto: MotoServer;
let root: string;
let dir: string;
let queue: string;
let dev: ChildProcess | undefined;
let devOutput: ChildOutput | undefined;
/** Everything dev has written so far. */
const output = () => devOutput?.text() ?? '';
let base = '';

const clientConfig = () => ({
  endpoint: moto.endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
});

async function drainQueue(url: string): Promise<string[]> {
  const sqs = new SQSClient(clientConfig());
  const bodies: string[] = [];
  for (let round = 0; round < 20; round++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 300, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) break;
    bodies.push(...Messages.map((m) => m.Body!));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: url,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
  }
  return bodies.sort();
}

const ITEM: Item = { id: 'D-1001', name: 'flat white', quantity: 2 };
const HANDLER = () => join(dir, 'src', 'handler.rs');
const CREATED_LINE = 'Ok(json_response(StatusCode::CREATED, body))';

beforeAll(async () => {
  if (missing) return;
  moto = await startMoto(VENV_BIN);
  root = await tempDir('cfl-dev-');
  await execa(process.execPath, [CREATE_BIN, 'e2e-dev-api', '--trigger', 'api', '--sink', 'sqs', '--arch', ARCH, '--yes'], {
    cwd: root,
    stdin: 'ignore',
  });
  dir = join(root, 'e2e-dev-api');
  const sqs = new SQSClient(clientConfig());
  queue = (await sqs.send(new CreateQueueCommand({ QueueName: `dev-results-${process.pid}` }))).QueueUrl!;

  const env = userEnv({ ...moto.env, ...CARGO_ENV, PATH: `${VENV_BIN}:${process.env.PATH}` });
  dev = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0', '--env', `QUEUE_URL=${queue}`], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  devOutput = watchOutput(dev, 'lambda-kit dev');
  const [, url] = await devOutput.waitFor(/AppFunction on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
  base = url!;
  await devOutput.waitFor(/built in [\d.]+ s/, COLD_BUILD_TIMEOUT);
}, COLD_BUILD_TIMEOUT + 120_000);

afterAll(async () => {
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    dev.kill('SIGINT');
    await new Promise((resolve) => dev!.once('exit', resolve));
  }
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(missing)('lambda-kit dev, HTTP API → SQS project', () => {
  it('says once that authorizers are not checked locally, and lists the route', () => {
    expect(output().match(/not checked locally/g)).toHaveLength(1);
    expect(output()).toContain(`POST   ${base}/items`);
  });

  it('POST /items → 201 with the item, and the item is the message in moto’s queue', async () => {
    const response = await fetch(`${base}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: itemJson(ITEM),
    });
    expect(response.status, output().slice(-3000)).toBe(201);
    expect(await response.json()).toEqual(ITEM);
    expect(await drainQueue(queue)).toEqual([JSON.stringify(ITEM)]);
  }, 120_000);

  it('an unknown route is a 404 with API Gateway’s body', async () => {
    const response = await fetch(`${base}/orders/7`);
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it('the Invoke API answers @aws-sdk/client-lambda with the function’s answer', async () => {
    const lambda = new LambdaClient({
      endpoint: base,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      maxAttempts: 1,
    });
    const item: Item = { id: 'D-1002', name: 'cortado', quantity: 1 };
    const out = await lambda.send(
      new InvokeCommand({ FunctionName: 'AppFunction', Payload: Buffer.from(JSON.stringify(httpApiEvent(itemJson(item)))) }),
    );
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    const answer = JSON.parse(Buffer.from(out.Payload!).toString());
    expect(answer.statusCode).toBe(201);
    expect(JSON.parse(answer.body)).toEqual(item);
    expect(await drainQueue(queue)).toEqual([JSON.stringify(item)]);
  }, 120_000);

  // A request made during the rebuild waits for it (test/dev-signals.test.ts shows that with a
  // stand-in cargo); here the rebuild may wait minutes for the shared target directory's lock, so
  // the request follows the build.
  it(
    'a one-line edit of handler.rs: dev rebuilds, and the next request is answered by the new code',
    async () => {
      const source = await readFile(HANDLER(), 'utf8');
      expect(source).toContain(CREATED_LINE);
      const from = output().length;
      await writeFile(HANDLER(), source.replace(CREATED_LINE, 'Ok(json_response(StatusCode::ACCEPTED, body))'));
      await devOutput!.waitFor(/src\/handler\.rs changed: rebuilding/, 30_000, from);
      await devOutput!.waitFor(/built in [\d.]+ s/, REBUILD_TIMEOUT, from);
      const item: Item = { id: 'D-1003', name: 'macchiato', quantity: 4 };
      const response = await fetch(`${base}/items`, { method: 'POST', body: itemJson(item) });
      expect(response.status, output().slice(from)).toBe(202);
      expect(await response.json()).toEqual(item);
      await drainQueue(queue);
    },
    REBUILD_TIMEOUT,
  );

  it(
    'a broken edit: cargo’s error is shown, and the last good build still answers',
    async () => {
      const source = await readFile(HANDLER(), 'utf8');
      const from = output().length;
      await writeFile(
        HANDLER(),
        source.replace('Ok(json_response(StatusCode::ACCEPTED, body))', 'Ok(json_response(StatusCode::ACCEPTED, body)) this is not rust'),
      );
      await devOutput!.waitFor(/build failed after [\d.]+ s .*the last good build still answers/, REBUILD_TIMEOUT, from);
      expect(output().slice(from)).toMatch(/error(\[E\d+\])?: /);
      expect(output().slice(from)).toContain('src/handler.rs');
      const item: Item = { id: 'D-1004', name: 'mocha', quantity: 1 };
      const response = await fetch(`${base}/items`, { method: 'POST', body: itemJson(item) });
      expect(response.status).toBe(202);
      await drainQueue(queue);
    },
    REBUILD_TIMEOUT,
  );

  it('Ctrl-C during a rebuild: exit 130, and no process dev started is left, cargo’s and the function’s included', async () => {
    const source = await readFile(HANDLER(), 'utf8');
    const from = output().length;
    await writeFile(HANDLER(), source.replace(' this is not rust', ''));
    await devOutput!.waitFor(/cargo lambda build .*…/, 30_000, from);
    // Catch the build while it runs (a warm one takes a second or two): the function, cargo lambda and cargo under it.
    let tree = descendants(dev!.pid!);
    for (let polls = 0; tree.pids.size < 3 && polls < 100; polls++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      tree = descendants(dev!.pid!);
    }
    const { pids, groups } = tree;
    expect(pids.size, 'dev runs the function and cargo').toBeGreaterThanOrEqual(2);
    const exit = new Promise<number | null>((resolve) => dev!.once('exit', (code) => resolve(code)));
    dev!.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(output().slice(from)).toContain('lambda-kit: stopped by SIGINT: the build, the function and the server are stopped');
    expect(stillRunning(pids, groups)).toEqual([]);
  }, 60_000);
});

describe.skipIf(missing)('lambda-kit dev with no stack resources and no endpoint of the user’s own', () => {
  it(
    'gives the sink a placeholder and a region, records its AWS calls instead of sending them, and answers',
    async () => {
      // The same project, after the session above stopped (stopped here if a test above failed first): no --env, no moto, no region.
      if (dev && dev.exitCode === null && dev.signalCode === null) {
        dev.kill('SIGINT');
        await new Promise((resolve) => dev!.once('exit', resolve));
      }
      const noProfile = join(root, 'empty-aws-config');
      await writeFile(noProfile, '');
      const env = userEnv({ ...CARGO_ENV, PATH: `${VENV_BIN}:${process.env.PATH}`, AWS_CONFIG_FILE: noProfile });
      for (const name of Object.keys(env)) if (/^AWS_(REGION|DEFAULT_REGION|ENDPOINT_URL.*|PROFILE)$/.test(name)) delete env[name];
      const second = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
      const watched = watchOutput(second, 'lambda-kit dev (placeholders)');
      try {
        const [, url] = await watched.waitFor(/AppFunction on (http:\/\/127\.0\.0\.1:\d+)/, 60_000);
        await watched.waitFor(/is a local placeholder/, 30_000);
        expect(watched.text()).toContain('AWS_REGION is not set, nor a region in your AWS profile: the function runs in us-east-1');
        expect(watched.text()).toMatch(/No stack resources given, so QUEUE_URL \(\w+\) is a local placeholder/);
        await watched.waitFor(/built in [\d.]+ s/, REBUILD_TIMEOUT);
        const item: Item = { id: 'D-2001', name: 'cortado', quantity: 1 };
        const response = await fetch(`${url}/items`, { method: 'POST', body: itemJson(item) });
        expect(response.status, watched.text()).toBe(202);
        expect(await response.json()).toEqual(item);
        await watched.waitFor(/recorded, not sent: sqs SendMessage(Batch)? ResultsQueue .*D-2001/, 10_000);
        // The function found its region in the environment: no search of EC2's metadata service.
        expect(watched.text()).not.toContain('IMDS');
        const exit = new Promise<number | null>((resolve) => second.once('exit', (code) => resolve(code)));
        second.kill('SIGINT');
        expect(await exit).toBe(130);
      } finally {
        if (second.exitCode === null && second.signalCode === null) second.kill('SIGKILL');
      }
    },
    REBUILD_TIMEOUT + 60_000,
  );
});
