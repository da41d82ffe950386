/**
 * `lambda-kit bench --local` stopped by a real SIGTERM, SIGHUP or SIGINT while it prepares the
 * functions: the exit code names the signal (143, 129, 130) and the build it started is gone,
 * anything that build started included. No Rust is compiled: a `cargo` shim stands in for
 * `cargo lambda build`, prints a line, starts a `sleep` of its own and waits; an `npm` shim
 * stands in for the Node twin's install, with a stub SDK for the bundling that comes before. The Python twin and moto come from the test venv.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';
import { CARGO_ENV, requirePythonTools, shimDir, which } from './support/tools.js';

let root: string;
let project: string;

beforeAll(async () => {
  root = await tempDir('cfl-bench-signals-');
  await execa(process.execPath, [CREATE_BIN, 'churn', '--example', 'churn', '--yes'], { cwd: root, stdin: 'ignore' });
  project = join(root, 'churn');
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

const CASES = [
  { signal: 'SIGTERM', exitCode: 143, last: 'lambda-kit: interrupted by SIGTERM; every process the bench started is stopped' },
  { signal: 'SIGHUP', exitCode: 129, last: 'lambda-kit: interrupted by SIGHUP; every process the bench started is stopped' },
  { signal: 'SIGINT', exitCode: 130, last: 'Cancelled.' },
] as const;

describe('lambda-kit bench --local, signalled while it builds', () => {
  for (const { signal, exitCode, last } of CASES) {
    it(`exits ${exitCode} on ${signal}, with the build and what it started stopped`, async (ctx) => {
      const venvBin = requirePythonTools(ctx);
      const dir = join(root, signal);
      const pids = join(dir, 'pids');
      const path = shimDir(join(dir, 'bin'), {
        // The Node twin's install: just enough of its SDK for esbuild to resolve when it bundles.
        npm: [
          '#!/bin/sh',
          'mkdir -p node_modules/@aws-sdk/client-sqs',
          `echo '{"name":"@aws-sdk/client-sqs","version":"0.0.0","main":"index.js"}' > node_modules/@aws-sdk/client-sqs/package.json`,
          "echo 'module.exports = {};' > node_modules/@aws-sdk/client-sqs/index.js",
          '',
        ].join('\n'),
        cargo: [
          '#!/bin/sh',
          'if [ "$1" = "lambda" ] && [ "$2" = "build" ]; then',
          '  echo "   Compiling churn (the test stands in for cargo)"',
          `  sleep 300 & echo "$$ $!" > '${pids}'`,
          '  wait',
          '  exit 0',
          'fi',
          `exec '${which('cargo')}' "$@"`,
          '',
        ].join('\n'),
      });
      const env = userEnv({ ...CARGO_ENV, LAMBDA_KIT_BENCH_VENV: join(venvBin, '..'), PATH: `${path}:${process.env.PATH}` });
      const bench = execa(process.execPath, [KIT_BIN, 'bench', '--local', '--records', '5', '--runs', '1'], {
        cwd: project,
        env,
        extendEnv: false,
        stdin: 'ignore',
        reject: false,
        timeout: 60_000,
      });
      let stderr = '';
      bench.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
      expect(await until(() => stderr.includes('Compiling churn') && existsSync(pids), 30_000), stderr).toBe(true);
      const [shell, sleep] = readFileSync(pids, 'utf8').trim().split(' ').map(Number) as [number, number];
      expect(alive(shell) && alive(sleep)).toBe(true);

      bench.kill(signal);
      const result = await bench;
      expect(result.exitCode, result.stderr).toBe(exitCode);
      expect(result.stderr.trimEnd().split('\n').at(-1)).toBe(last);
      // The build's process group went first: nothing is left behind.
      expect(await until(() => !alive(shell) && !alive(sleep), 5_000)).toBe(true);
    });
  }
});
