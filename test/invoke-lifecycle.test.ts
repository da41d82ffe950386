/**
 * The local function's process lifecycle under `lambda-kit invoke`, driven for real: the bin in a
 * child process, a fake function (a Node script at target/debug/<crate>) that starts a process of
 * its own holding its stdout and stderr, real timeouts and real signals sent to lambda-kit's pid.
 * Whatever happens, invoke ends in bounded time and no process of the function is left.
 */
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalFunction } from '../src/runtime-api/local-function.js';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';

/**
 * A Lambda runtime in Node that first starts `sleep 1000` with its own stdout and stderr (as a
 * bootstrap that runs `sleep 1000 &` would), writes "<its pid> <sleep's pid>" to PIDFILE, then
 * behaves as MODE says: answer (and keep serving), crash mid-invocation, hang in the handler,
 * or never poll at all.
 */
const FAKE_FUNCTION = `#!/usr/bin/env node
const { spawn } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
const child = spawn('sleep', ['1000'], { stdio: 'inherit' });
child.unref();
writeFileSync(process.env.PIDFILE + '.tmp', process.pid + ' ' + child.pid);
require('node:fs').renameSync(process.env.PIDFILE + '.tmp', process.env.PIDFILE);
console.log('started a helper process');
(async () => {
  if (process.env.MODE === 'never-poll') return setInterval(() => {}, 1000);
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    await res.text();
    if (process.env.MODE === 'crash') process.exit(101);
    if (process.env.MODE === 'hang') { setInterval(() => {}, 1000); return; }
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: '{"ok":true}' });
  }
})();
`;

let root: string;
let project: string;
const started: number[] = [];

beforeAll(async () => {
  root = await tempDir('cfl-lifecycle-');
  await execa(
    process.execPath,
    [CREATE_BIN, 'orders', '--trigger', 'sqs', '--sink', 'dynamodb', '--arch', 'x86_64', '--timeout', '2', '--yes'],
    {
      cwd: root,
      stdin: 'ignore',
    },
  );
  project = join(root, 'orders');
  const binary = join(project, 'target/debug/orders');
  await mkdir(join(binary, '..'), { recursive: true });
  await writeFile(binary, FAKE_FUNCTION);
  await chmod(binary, 0o755);
});

afterEach(() => {
  // Whatever a failing test left behind, by the pids the fake function reported.
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already, as it should be
    }
  }
});

afterAll(() => rm(root, { recursive: true, force: true }));

/** Whether `pid` is a live process: a zombie waiting for a parent to reap it is not one. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Waits (bounded) for the fake function's PIDFILE: its own pid and its helper's. */
async function pidsFrom(pidFile: string, timeoutMs = 10_000): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const text = await readFile(pidFile, 'utf8').catch(() => undefined);
    if (text) {
      const pids = text.trim().split(' ').map(Number);
      started.push(...pids);
      return pids;
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no ${pidFile} within ${timeoutMs} ms`);
}

/** Polls (bounded) until none of `pids` is alive; returns those still alive at the end. */
async function survivors(pids: number[], withinMs = 2000): Promise<number[]> {
  const until = Date.now() + withinMs;
  while (pids.some(alive) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 25));
  return pids.filter(alive);
}

function invoke(mode: string, pidFile: string, timeoutMs = 15_000): ResultPromise<{ reject: false }> {
  const env = userEnv();
  delete env.CARGO_TARGET_DIR;
  return execa(process.execPath, [KIT_BIN, 'invoke', '--env', 'TABLE_NAME=t', '--env', `MODE=${mode}`, '--env', `PIDFILE=${pidFile}`], {
    cwd: project,
    env,
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    // Bounds a hang: a run that outlives this fails the test instead of stalling it.
    timeout: timeoutMs,
    forceKillAfterDelay: 1000,
  }) as ResultPromise<{ reject: false }>;
}

describe('lambda-kit invoke: the function and everything it started end with the invocation', () => {
  it('exits once the function has answered, though a process it started still holds its stdout', async () => {
    const pidFile = join(root, 'answer.pid');
    const began = Date.now();
    const result = await invoke('answer', pidFile);
    const pids = await pidsFrom(pidFile);
    expect(result.timedOut, 'invoke hung').toBe(false);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ ok: true });
    expect(result.stderr).toContain('│ started a helper process');
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(await survivors(pids)).toEqual([]);
  });

  it('reports a crash while a process it started holds the pipes, and ends that process too', async () => {
    const pidFile = join(root, 'crash.pid');
    const result = await invoke('crash', pidFile);
    const pids = await pidsFrom(pidFile);
    expect(result.timedOut, 'invoke hung').toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      'lambda-kit: the function exited with code 101 while handling the event (its output is above)',
    );
    expect(await survivors(pids)).toEqual([]);
  });

  it('kills the whole function at its timeout and says so as Lambda does', async () => {
    const pidFile = join(root, 'hang.pid');
    const result = await invoke('hang', pidFile);
    const pids = await pidsFrom(pidFile);
    expect(result.timedOut, 'invoke hung').toBe(false);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      "lambda-kit: Task timed out after 2.00 seconds (the function's Timeout in template.yaml)",
    );
    expect(await survivors(pids)).toEqual([]);
  });

  it("stops a function that never asks for an event at Lambda's 10 s init limit, whole", async () => {
    const pidFile = join(root, 'init.pid');
    const began = Date.now();
    const result = await invoke('never-poll', pidFile, 20_000);
    const pids = await pidsFrom(pidFile);
    expect(result.timedOut, 'invoke hung').toBe(false);
    expect(result.exitCode).toBe(1);
    expect(Date.now() - began).toBeGreaterThanOrEqual(10_000);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      "lambda-kit: the function's init did not finish within 10.00 seconds, Lambda's limit: it never asked for an event. Is it stuck in main() before the runtime starts?",
    );
    expect(await survivors(pids)).toEqual([]);
  }, 30_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('on %s to its own pid, stops the function whole and exits %i', async (signal, code) => {
    const pidFile = join(root, `${signal}.pid`);
    const run = invoke('hang', pidFile);
    const pids = await pidsFrom(pidFile);
    // The fake function has polled by now or is about to; either way it is running under invoke.
    run.kill(signal);
    const result = await run;
    expect(result.timedOut, 'invoke hung').toBe(false);
    expect(result.exitCode).toBe(code);
    expect(result.stderr.trim().split('\n').at(-1)).toBe(
      `lambda-kit: interrupted by ${signal}; the function and every process it started are stopped`,
    );
    expect(await survivors(pids)).toEqual([]);
  });
});

describe('lambda-kit invoke: an environment no process can be given', () => {
  it('refuses a NUL byte in a template variable in one line, and exits rather than hangs', async () => {
    const copy = join(root, 'nul');
    await execa(process.execPath, [CREATE_BIN, 'nul', '--trigger', 'sqs', '--arch', 'x86_64', '--yes'], { cwd: root, stdin: 'ignore' });
    const template = join(copy, 'template.yaml');
    await writeFile(
      template,
      (await readFile(template, 'utf8')).replace('        Variables:\n', '        Variables:\n          GREETING: "a\\0b"\n'),
    );
    const binary = join(copy, 'target/debug/nul');
    await mkdir(join(binary, '..'), { recursive: true });
    await writeFile(binary, FAKE_FUNCTION);
    await chmod(binary, 0o755);
    const env = userEnv();
    delete env.CARGO_TARGET_DIR;
    const result = await execa(process.execPath, [KIT_BIN, 'invoke', '--env', 'TABLE_NAME=t'], {
      cwd: copy,
      env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      timeout: 15_000,
    });
    expect(result.timedOut, 'invoke hung').toBe(false);
    expect(result.exitCode).toBe(1);
    // The template reader refuses it before anything is spawned.
    expect(result.stderr.trim()).toBe(
      'lambda-kit: template.yaml: AppFunction: environment variable GREETING holds a NUL character, which no environment variable can',
    );
  });

  it('LocalFunction.start rejects such an environment and leaves no emulator listening', async () => {
    const servers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;
    const before = servers();
    const start = LocalFunction.start({ command: process.execPath, args: ['-e', ''], env: { X: 'a\0b' }, timeoutMs: 1000 });
    await expect(start).rejects.toThrow(/null bytes/);
    // A closed server's handle is released a tick or two later; a leaked one never is.
    await expect.poll(servers, { timeout: 1000 }).toBe(before);
  });
});

describe('LocalFunction.stop', () => {
  it('ends in bounded time with a child holding the pipes, kills the group, and closes the port', async () => {
    const dir = await tempDir('cfl-stop-');
    const script = join(dir, 'runtime.cjs');
    await writeFile(script, FAKE_FUNCTION.replace('#!/usr/bin/env node\n', ''));
    const pidFile = join(dir, 'pids');
    const fn = await LocalFunction.start({
      command: process.execPath,
      args: [script],
      env: { PATH: process.env.PATH ?? '', PIDFILE: pidFile, MODE: 'answer' },
      timeoutMs: 5000,
    });
    const answer = await fn.invoke({});
    const pids = await pidsFrom(pidFile);
    expect(answer.outcome).toBe('response');
    const [host, port] = fn.emulator.endpoint.split(':') as [string, string];
    const began = Date.now();
    // Bounded here rather than by vitest's timeout, so a hang reads as one.
    const stopped = await Promise.race([
      fn.stop().then(() => true),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5000)),
    ]);
    expect(stopped, 'stop() hung').toBe(true);
    expect(Date.now() - began).toBeLessThan(3000);
    expect(await survivors(pids)).toEqual([]);
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect(Number(port), host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    await rm(dir, { recursive: true, force: true });
  });
});
