/**
 * Reading the event `lambda-kit invoke` sends: never more than Lambda would accept for the
 * function's trigger (6 MB synchronous, 1 MB asynchronous), from files, FIFOs, devices and
 * stdin alike, reading at most one byte past the limit; every way a path can be unreadable is one
 * line naming it, and a broken event is refused without quoting what it holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import { ASYNC_EVENT_BYTES, SYNC_EVENT_BYTES, eventLimitOf, readEventFile, readEventStream } from '../src/project/events.js';
import { loadProject } from '../src/project/project.js';
import { CREATE_BIN, KIT_BIN, listTree, tempDir, userEnv } from './support/cli.js';

/** A runtime that answers with how many bytes the event it was handed had. */
const FAKE_FUNCTION = `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    const event = Buffer.from(await res.arrayBuffer());
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ bytes: event.length }) });
  }
})();
`;

let root: string;
let sqs: string;
let s3: string;
const writers: ChildProcess[] = [];

beforeAll(async () => {
  root = await tempDir('cfl-events-');
  for (const [name, trigger] of [
    ['orders', 'sqs'],
    ['uploads', 's3'],
  ]) {
    await execa(process.execPath, [CREATE_BIN, name!, '--trigger', trigger!, '--arch', 'x86_64', '--yes'], { cwd: root, stdin: 'ignore' });
  }
  sqs = join(root, 'orders');
  s3 = join(root, 'uploads');
  const binary = join(sqs, 'target/debug/orders');
  await mkdir(join(binary, '..'), { recursive: true });
  await writeFile(binary, FAKE_FUNCTION);
  await chmod(binary, 0o755);
});

afterEach(() => {
  for (const writer of writers.splice(0)) writer.kill('SIGKILL');
});

afterAll(() => rm(root, { recursive: true, force: true }));

/** A JSON document of exactly `bytes` bytes: a string of spaces. */
function jsonOfSize(bytes: number): Buffer {
  const text = Buffer.alloc(bytes, 0x20);
  text[0] = 0x22;
  text[bytes - 1] = 0x22;
  return text;
}

/** A child that writes spaces into `target` (a FIFO path, or its stdin pipe) until it is stopped. */
function endlessWriter(target: string | undefined): ChildProcess {
  const code = `const fs = require('node:fs'); const chunk = Buffer.alloc(65536, 0x20);
const fd = ${target === undefined ? '1' : `fs.openSync(${JSON.stringify(target)}, 'w')`};
try { for (;;) fs.writeSync(fd, chunk); } catch { process.exit(0); }`;
  const writer = spawn(process.execPath, ['-e', code], { stdio: ['ignore', target === undefined ? 'pipe' : 'ignore', 'ignore'] });
  writers.push(writer);
  return writer;
}

/** The bin in `cwd`; its stdin is closed, or `input`, or a stream with a file descriptor (a pipe). */
function invoke(cwd: string, args: string[], stdin: { input: string } | { stream: Readable } | undefined = undefined) {
  const env = userEnv();
  delete env.CARGO_TARGET_DIR;
  return execa(process.execPath, [KIT_BIN, 'invoke', '--env', 'TABLE_NAME=t', ...args], {
    cwd,
    env,
    extendEnv: false,
    ...(stdin === undefined ? { stdin: 'ignore' as const } : 'input' in stdin ? { input: stdin.input } : { stdin: stdin.stream }),
    reject: false,
    timeout: 15_000,
  });
}

function expectOneLine(stderr: string, exact: string): void {
  expect(stderr.trim().split('\n')).toEqual([exact]);
}

describe('lambda-kit invoke: the event', () => {
  it('takes an event of exactly 6 MB, and refuses one byte more, naming the limit and why', async () => {
    await writeFile(join(sqs, 'events/max.json'), jsonOfSize(SYNC_EVENT_BYTES));
    const max = await invoke(sqs, ['--event', 'events/max.json']);
    expect(max.exitCode, max.stderr).toBe(0);
    expect(JSON.parse(max.stdout)).toEqual({ bytes: SYNC_EVENT_BYTES });

    await writeFile(join(sqs, 'events/over.json'), jsonOfSize(SYNC_EVENT_BYTES + 1));
    const over = await invoke(sqs, ['--event', 'events/over.json']);
    expect(over.exitCode).toBe(1);
    expectOneLine(
      over.stderr,
      'lambda-kit: event file events/over.json is over 6 MB (6,291,456 bytes): Lambda refuses a larger event in a synchronous invoke, which is how SQS invokes AppFunction',
    );
    await rm(join(sqs, 'events/max.json'));
    await rm(join(sqs, 'events/over.json'));
  });

  it('refuses over 1 MB for S3, which invokes asynchronously', async () => {
    await writeFile(join(s3, 'big.json'), jsonOfSize(ASYNC_EVENT_BYTES + 1));
    const over = await invoke(s3, ['--event', 'big.json']);
    expect(over.exitCode).toBe(1);
    expectOneLine(
      over.stderr,
      'lambda-kit: event file big.json is over 1 MB (1,048,576 bytes): Lambda refuses a larger event in an asynchronous invoke, which is how S3 invokes AppFunction',
    );
  });

  it('stops reading /dev/zero at the limit: one line, exit 1, nothing written', async () => {
    const before = await listTree(sqs);
    const began = Date.now();
    const result = await invoke(sqs, ['--event', '/dev/zero']);
    expect(result.timedOut, 'invoke kept reading').toBe(false);
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(result.exitCode).toBe(1);
    expectOneLine(
      result.stderr,
      'lambda-kit: event file /dev/zero is over 6 MB (6,291,456 bytes): Lambda refuses a larger event in a synchronous invoke, which is how SQS invokes AppFunction',
    );
    expect(await listTree(sqs)).toEqual(before);
  });

  it('stops reading a FIFO that a writer fills without end', async () => {
    const fifo = join(root, 'endless.fifo');
    await execa('mkfifo', [fifo]);
    endlessWriter(fifo);
    const result = await invoke(sqs, ['--event', fifo]);
    expect(result.timedOut, 'invoke kept reading').toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim()).toMatch(/^lambda-kit: event file \S+endless\.fifo is over 6 MB \(6,291,456 bytes\)/);
  });

  it('reads --event - from stdin: a small event runs, an endless stream stops at the limit', async () => {
    const small = await invoke(sqs, ['--event', '-'], { input: '{"Records":[]}' });
    expect(small.exitCode, small.message).toBe(0);
    expect(JSON.parse(small.stdout)).toEqual({ bytes: 14 });
    expect(small.stderr.split('\n')[0]).toBe('Invoking AppFunction locally: target/debug/orders (cargo build) with stdin');

    const writer = endlessWriter(undefined);
    const endless = await invoke(sqs, ['--event', '-'], { stream: writer.stdout! });
    expect(endless.timedOut, 'invoke kept reading').toBe(false);
    expect(endless.exitCode).toBe(1);
    expectOneLine(
      endless.stderr,
      'lambda-kit: the event on stdin is over 6 MB (6,291,456 bytes): Lambda refuses a larger event in a synchronous invoke, which is how SQS invokes AppFunction',
    );
  });

  it.each([
    ['a directory', async (dir: string) => mkdir(join(dir, 'adir')), 'adir', 'event file adir is a directory: give a JSON file'],
    [
      'a dangling symlink',
      async (dir: string) => symlink('gone.json', join(dir, 'dangling')),
      'dangling',
      'event file dangling is a symbolic link to gone.json, which does not exist',
    ],
    ['a symlink loop', async (dir: string) => symlink('loop', join(dir, 'loop')), 'loop', 'event file loop is a loop of symbolic links'],
    [
      'a path through a file',
      async (dir: string) => writeFile(join(dir, 'plain'), '{}'),
      'plain/event.json',
      'event file plain/event.json does not exist (a part of its path is a file)',
    ],
    ['a name with a newline', async () => undefined, 'no\nsuch.json', 'event file no\\x0asuch.json does not exist'],
  ])('says in one line that %s cannot be the event', async (_what, make, name, message) => {
    await make(sqs);
    const result = await invoke(sqs, ['--event', name]);
    expect(result.exitCode).toBe(1);
    expectOneLine(result.stderr, `lambda-kit: ${message}`);
  });

  it.skipIf(process.getuid?.() === 0)('says in one line that an unreadable file cannot be read', async () => {
    const path = join(sqs, 'secret.json');
    await writeFile(path, '{}');
    await chmod(path, 0o000);
    const result = await invoke(sqs, ['--event', 'secret.json']);
    expect(result.exitCode).toBe(1);
    expectOneLine(result.stderr, 'lambda-kit: event file secret.json cannot be read: permission denied');
  });
});

describe('readEventFile and readEventStream (property-based)', () => {
  it('accept exactly the JSON documents, byte for byte, and refuse the rest in one line that quotes none of it', async () => {
    const dir = await tempDir('cfl-event-props-');
    const path = join(dir, 'event.json');
    const contents = fc.oneof(
      fc.json().map((text) => Buffer.from(text)),
      fc.uint8Array({ maxLength: 512 }).map((bytes) => Buffer.from(bytes)),
      fc.string({ unit: 'binary', maxLength: 200 }).map((text) => Buffer.from(`{"password": "${text}`)),
    );
    await fc.assert(
      fc.asyncProperty(contents, async (bytes) => {
        await writeFile(path, bytes);
        let valid = true;
        try {
          JSON.parse(bytes.toString('utf8'));
        } catch {
          valid = false;
        }
        for (const read of [() => readEventFile(path), () => readEventStream(Readable.from([bytes]), 'stdin')]) {
          const outcome = await read().then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          if (valid) {
            expect('value' in outcome && outcome.value.equals(bytes)).toBe(true);
            continue;
          }
          expect('error' in outcome && outcome.error).toBeInstanceOf(UserError);
          const message = (outcome as { error: UserError }).error.message;
          expect(message).not.toMatch(/[\u0000-\u001f\u007f]/);
          expect(message).toMatch(/is not (valid )?JSON/);
          expect(message).not.toContain('password');
        }
      }),
      { numRuns: 200 },
    );
    await rm(dir, { recursive: true, force: true });
  });

  it('never read more than the limit and one byte, however long the input', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 4096 }), async (limitBytes) => {
        let served = 0;
        const chunk = Buffer.alloc(1024, 0x20);
        // An endless source that counts what was taken from it.
        const source = new Readable({
          read() {
            served += chunk.length;
            this.push(chunk);
          },
        });
        const read = readEventStream(source, 'stdin', { bytes: limitBytes, why: 'in a test' });
        await expect(read).rejects.toThrow(`the event on stdin is over ${limitBytes / 1_048_576} MB`);
        // What the stream buffered ahead is bounded by its high-water mark, not by the input.
        expect(served).toBeLessThanOrEqual(limitBytes + 1 + 64 * 1024 + chunk.length);
      }),
      { numRuns: 50 },
    );
  });

  it('names the limit of the trigger: 6 MB for SQS, 1 MB for S3', async () => {
    const orders = await loadProject(sqs);
    expect(await eventLimitOf(orders, orders.functions[0]!)).toEqual({
      bytes: SYNC_EVENT_BYTES,
      why: 'in a synchronous invoke, which is how SQS invokes AppFunction',
    });
    const uploads = await loadProject(s3);
    expect(await eventLimitOf(uploads, uploads.functions[0]!)).toEqual({
      bytes: ASYNC_EVENT_BYTES,
      why: 'in an asynchronous invoke, which is how S3 invokes AppFunction',
    });
  });
});
