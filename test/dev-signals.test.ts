/**
 * `lambda-kit dev`'s loop and its stopping, quickly and deterministically: the real dev binary in
 * a real generated project, with a stand-in `cargo` on PATH (a shell script answering `cargo
 * metadata` and "building" a bootstrap, a small Node runtime, in a second or as long as told).
 * What it proves does not depend on Rust: a save rebuilds and swaps, a failed build keeps the
 * last good one, and SIGINT, SIGTERM and SIGHUP stop the build, the function and the server with
 * 130, 143 and 129, leaving no process behind. test/dev-api.test.ts does the same with real cargo.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';
import { descendants, stillRunning } from './support/process-tree.js';
import { shimDir } from './support/tools.js';
import { watchOutput } from '../src/tools/child-output.js';
import { standInCargo, writeBootstrap } from './support/stand-in-cargo.js';

/** The function the stand-in cargo "builds": answers every API event with the text of src/answer.txt at build time. */
const RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    await res.arrayBuffer();
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: JSON.stringify({ statusCode: 200, body: ANSWER }) });
  }
})();
`;

/**
 * cargo, as far as dev uses it. `lambda build` waits for src/build-seconds.txt seconds (in a
 * child, so the build is a tree of processes), fails like rustc when src/answer.txt says
 * "broken", else writes the bootstrap over the old one.
 */
const CARGO = standInCargo(
  'dev-signals',
  `echo "   Compiling $pkg v0.1.0"
sleep "$(cat src/build-seconds.txt 2>/dev/null || echo 0)" &
wait $!
answer="$(cat src/answer.txt)"
if [ "$answer" = broken ]; then
  echo 'error[E0425]: cannot find value \`broken\` in this scope'
  echo ' --> src/handler.rs:1:1'
  exit 101
fi
${writeBootstrap(`echo "const ANSWER = '$answer';"`)}echo "    Finished \\\`dev\\\` profile"
`,
);

let root: string;
let project: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = await tempDir('cfl-dev-signals-');
  await execa(process.execPath, [CREATE_BIN, 'dev-signals', '--trigger', 'api', '--sink', 'sqs', '--yes'], { cwd: root, stdin: 'ignore' });
  project = join(root, 'dev-signals');
  const runtime = join(root, 'runtime.js');
  await writeFile(runtime, RUNTIME);
  const bin = shimDir(join(root, 'bin'), { cargo: CARGO });
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

interface Dev {
  child: ChildProcess;
  output: () => string;
  base: string;
  waitFor(pattern: RegExp, from?: number, timeoutMs?: number): Promise<RegExpExecArray>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

async function startDev(answer: string, buildSeconds = 0): Promise<Dev> {
  await writeFile(join(project, 'src', 'answer.txt'), answer);
  await writeFile(join(project, 'src', 'build-seconds.txt'), String(buildSeconds));
  const child = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  const output = watchOutput(child, 'lambda-kit dev');
  const waitFor = (pattern: RegExp, from = 0, timeoutMs = 20_000) => output.waitFor(pattern, timeoutMs, from);
  const [, base] = await waitFor(/on (http:\/\/127\.0\.0\.1:\d+)/);
  return { child, output: output.text, base: base!, waitFor };
}

async function answerOf(base: string): Promise<string> {
  const response = await fetch(`${base}/items`, { method: 'POST', body: '{}' });
  return `${response.status} ${await response.text()}`;
}

describe('lambda-kit dev with a stand-in cargo', () => {
  it('serves the first build, swaps in a rebuild on save, and keeps the last good build when a build fails', async () => {
    const dev = await startDev('first');
    await dev.waitFor(/built in/);
    expect(await answerOf(dev.base)).toBe('200 first');

    let from = dev.output().length;
    await writeFile(join(project, 'src', 'answer.txt'), 'second');
    await dev.waitFor(/src\/answer\.txt changed: rebuilding/, from);
    await dev.waitFor(/built in/, from);
    expect(await answerOf(dev.base)).toBe('200 second');

    from = dev.output().length;
    await writeFile(join(project, 'src', 'answer.txt'), 'broken');
    await dev.waitFor(/build failed after .*the last good build still answers/, from);
    expect(dev.output().slice(from)).toContain('error[E0425]: cannot find value `broken` in this scope');
    expect(await answerOf(dev.base)).toBe('200 second');
    dev.child.kill('SIGINT');
  }, 60_000);

  it('a request made while a build runs waits for it and gets the new code', async () => {
    const dev = await startDev('old');
    await dev.waitFor(/built in/);
    await writeFile(join(project, 'src', 'build-seconds.txt'), '2');
    const from = dev.output().length;
    await writeFile(join(project, 'src', 'answer.txt'), 'new');
    await dev.waitFor(/changed: rebuilding/, from);
    const started = Date.now();
    expect(await answerOf(dev.base)).toBe('200 new');
    expect(Date.now() - started).toBeGreaterThan(1000);
    dev.child.kill('SIGINT');
  }, 60_000);

  it('a saved template.yaml brings its new routes; one that no longer reads leaves the old ones serving', async () => {
    const template = join(project, 'template.yaml');
    const original = await readFile(template, 'utf8');
    try {
      const dev = await startDev('routes');
      await dev.waitFor(/built in/);
      let from = dev.output().length;
      await writeFile(template, original.replace('Path: /items', 'Path: /orders/{id}'));
      await dev.waitFor(/template\.yaml reloaded: POST \/orders\/\{id\}/, from);
      await dev.waitFor(/built in/, from);
      expect((await fetch(`${dev.base}/orders/7`, { method: 'POST', body: '{}' })).status).toBe(200);
      expect((await fetch(`${dev.base}/items`, { method: 'POST', body: '{}' })).status).toBe(404);

      from = dev.output().length;
      await writeFile(template, `${original.replace('Path: /items', 'Path: /orders/{id}')}\n  broken: [\n`);
      await dev.waitFor(/template\.yaml not reloaded, the previous one still applies: template\.yaml:\d+: not valid YAML/, from);
      await dev.waitFor(/built in/, from);
      expect((await fetch(`${dev.base}/orders/8`, { method: 'POST', body: '{}' })).status).toBe(200);
      dev.child.kill('SIGINT');
    } finally {
      await writeFile(template, original);
    }
  }, 60_000);

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)(
    '%s during a build: exit %i, the build, the function and the server stopped, no process left',
    async (signal, code) => {
      const dev = await startDev('serving');
      await dev.waitFor(/built in/);
      expect(await answerOf(dev.base)).toBe('200 serving');
      await writeFile(join(project, 'src', 'build-seconds.txt'), '60');
      const from = dev.output().length;
      await writeFile(join(project, 'src', 'answer.txt'), 'never');
      await dev.waitFor(/Compiling dev-signals/, from);
      // The function's runtime, and the build: cargo and its sleeping child, which the stand-in
      // starts just after it prints (so it may take a moment to appear).
      let tree = descendants(dev.child.pid!);
      for (const deadline = Date.now() + 5000; tree.pids.size < 3 && Date.now() < deadline; tree = descendants(dev.child.pid!)) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const { pids, groups } = tree;
      expect(pids.size).toBeGreaterThanOrEqual(3);
      const exit = new Promise<number | null>((resolve) => dev.child.once('exit', (exitCode) => resolve(exitCode)));
      const started = Date.now();
      dev.child.kill(signal);
      expect(await exit).toBe(code);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(dev.output().slice(from)).toContain(`lambda-kit: stopped by ${signal}: the build, the function and the server are stopped`);
      expect(stillRunning(pids, groups)).toEqual([]);
      await expect(fetch(`${dev.base}/items`, { method: 'POST', body: '{}' })).rejects.toThrow();
    },
    60_000,
  );
});
