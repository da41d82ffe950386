/**
 * `lambda-kit dev` as the SQS event source mapping, end to end against a moto queue: the real
 * dev binary in a generated SQS project, a stand-in `cargo` (as in dev-signals.test.ts) whose
 * function fails the messages that say "poison" through batchItemFailures. Three messages in,
 * one poison: the good two are deleted, the poison one comes back after its visibility timeout.

 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';
import { clientConfig, startMoto, type MotoServer } from './support/moto.js';
import { IN_CI, pythonTools, shimDir } from './support/tools.js';
import { standInCargo } from './support/stand-in-cargo.js';

const tools = pythonTools();
const missing = 'problem' in tools ? `Python tools: ${tools.problem}` : undefined;
if (missing && IN_CI) throw new Error(`the dev SQS test needs moto in CI: ${missing}`);

/** Fails each record whose body says "poison", by its messageId; logs each body it handles. */
const RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const event = await res.json();
    const failures = event.Records.filter((r) => r.body.includes('poison')).map((r) => ({ itemIdentifier: r.messageId }));
    for (const r of event.Records) console.log('handled ' + r.body);
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ batchItemFailures: failures }) });
  }
})();
`;

let moto: MotoServer;
let root: string;
let dev: ChildProcess | undefined;
let output = '';

beforeAll(async () => {
  if (missing) return;
  moto = await startMoto('bin' in tools ? tools.bin : '');
  root = await tempDir('cfl-dev-sqs-');
  await execa(process.execPath, [CREATE_BIN, 'dev-sqs', '--trigger', 'sqs', '--sink', 'none', '--yes'], { cwd: root, stdin: 'ignore' });
}, 60_000);

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGINT');
    await new Promise((resolve) => dev!.once('exit', resolve));
  }
  await moto?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe.skipIf(missing)('lambda-kit dev --source <moto queue>', () => {
  it('3 messages, one poison: the good ones are processed and deleted, the poison one comes back after its visibility timeout', async () => {
    const sqs = new SQSClient(clientConfig(moto));
    const { QueueUrl: queue } = await sqs.send(
      new CreateQueueCommand({ QueueName: `dev-input-${process.pid}`, Attributes: { VisibilityTimeout: '3' } }),
    );
    const runtime = join(root, 'runtime.js');
    await writeFile(runtime, RUNTIME);
    const bin = shimDir(join(root, 'bin'), { cargo: standInCargo('dev-sqs') });
    const env = userEnv({ ...moto.env, PATH: `${bin}:${process.env.PATH}`, CARGO_TARGET_DIR: join(root, 'target'), RUNTIME_JS: runtime });
    dev = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0', '--source', queue!], {
      cwd: join(root, 'dev-sqs'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));

    for (const body of ['good one', 'poison pill', 'good two'])
      await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: body }));
    const deadline = Date.now() + 30_000;
    const count = (text: string) => output.split(text).length - 1;
    // The poison message comes back to the function after the visibility timeout; the good ones do not.
    while (Date.now() < deadline && count('handled poison pill') < 2) await new Promise((resolve) => setTimeout(resolve, 200));
    expect([count('handled good one'), count('handled good two'), count('handled poison pill')], output).toEqual([1, 1, 2]);
    dev.kill('SIGINT');
    await new Promise((resolve) => dev!.once('exit', resolve));
    expect(dev.exitCode).toBe(130);

    // What is left once the visibility timeout is over: the poison message alone. dev's last long
    // poll, abandoned at the SIGINT, may still take it once on the server's side (as SQS does),
    // so it is looked for a few visibility timeouts long.
    const left: string[] = [];
    for (let round = 0; round < 30 && left.length === 0; round++) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: 60 }),
      );
      left.push(...Messages.map((m) => m.Body!));
    }
    expect(left, output).toEqual(['poison pill']);
  }, 90_000);
});
