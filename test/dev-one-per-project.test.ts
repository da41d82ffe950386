/**
 * One `lambda-kit dev` per project: a second one refuses with one line naming the first (exit 1,
 * before it builds anything) and the first goes on answering; a dev killed with SIGKILL leaves a
 * lock that the next dev takes over. Real dev processes in a generated project, with a stand-in
 * `cargo` on PATH (as in test/dev-signals.test.ts) that "builds" a small Node runtime.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { devLockPath } from '../src/dev/project-lock.js';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';
import { shimDir } from './support/tools.js';
import { standInCargo } from './support/stand-in-cargo.js';

/** Answers every event with "up". */
const RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    await res.arrayBuffer();
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ statusCode: 200, body: 'up' }) });
  }
})();
`;

/** cargo as far as dev uses it: metadata, and `lambda build` writing the runtime as the bootstrap. */

let root: string;
let project: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = await tempDir('cfl-dev-one-');
  await execa(process.execPath, [CREATE_BIN, 'one-dev', '--trigger', 'api', '--sink', 'sqs', '--yes'], { cwd: root, stdin: 'ignore' });
  project = join(root, 'one-dev');
  const runtime = join(root, 'runtime.js');
  await writeFile(runtime, RUNTIME);
  const bin = shimDir(join(root, 'bin'), { cargo: standInCargo('one-dev') });
  env = userEnv({
    PATH: `${bin}:${process.env.PATH}`,
    CARGO_TARGET_DIR: join(root, 'target'),
    RUNTIME_JS: runtime,
    QUEUE_URL: 'http://127.0.0.1:1/q',
  });
}, 60_000);

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A dev started in the project, once it has built and serves: its process and base URL. */
async function startDev(): Promise<{ child: ChildProcess; base: string; output: () => string }> {
  const child = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = Date.now();
  while (!/built in/.test(output)) {
    if (Date.now() - started > 20_000 || child.exitCode !== null) throw new Error(`dev did not build:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, base: /on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!, output: () => output };
}

async function answerOf(base: string): Promise<string> {
  const response = await fetch(`${base}/items`, { method: 'POST', body: '{}' });
  return `${response.status} ${await response.text()}`;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('lambda-kit dev, twice in one project', () => {
  it('the second refuses in one line, before building, and the first goes on answering', async () => {
    const first = await startDev();
    expect(await answerOf(first.base)).toBe('200 up');

    // Bounded: a second dev that does not refuse would serve until stopped.
    const second = await execa(process.execPath, [KIT_BIN, 'dev', '--port', '0'], {
      cwd: project,
      env,
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      timeout: 15_000,
    });
    expect(second.exitCode).toBe(1);
    expect(second.stderr.trim()).toBe(
      `lambda-kit: lambda-kit dev already runs in this project (pid ${first.child.pid}, ${first.base}). Send your requests to it, or stop it (Ctrl-C) and start dev again.`,
    );
    expect(second.stdout).toBe('');

    expect(await answerOf(first.base)).toBe('200 up');
    expect(first.output()).not.toMatch(/changed: rebuilding/);
    first.child.kill('SIGINT');
    expect(await exited(first.child)).toBe(130);
    expect(existsSync(await devLockPath(project))).toBe(false);
  }, 60_000);

  it('a dev killed with SIGKILL leaves its lock behind, and the next dev takes it over', async () => {
    const killed = await startDev();
    killed.child.kill('SIGKILL');
    await exited(killed.child);
    expect(existsSync(await devLockPath(project))).toBe(true);

    const next = await startDev();
    expect(await answerOf(next.base)).toBe('200 up');
    next.child.kill('SIGINT');
    expect(await exited(next.child)).toBe(130);
  }, 60_000);
});
