/**
 * The churn function starts rayon's threads on the first batch large enough to score in parallel,
 * not at init: creating the pool at init waited for its threads to start, and alternating the two
 * builds gave 10–15 % more wall time per cold start (and 3 % more CPU). Run for real: the debug
 * build under the Runtime API emulator, its threads counted in /proc before and after a large batch.
 *
 * Needs cargo and Linux (/proc).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchBatch } from '../src/bench/churn/figures.js';
import { type SqsResponder, startSqsResponder } from '../src/bench/sqs-responder.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { writeProject } from '../src/scaffold/write.js';
import { LocalFunction } from '../src/runtime-api/local-function.js';
import { lambdaEnvironment } from '../src/runtime-api/lambda-env.js';
import { functionsOf } from '../src/project/project.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { awsEnv } from '../src/tools/moto.js';
import { tempDir } from './support/cli.js';
import { CARGO_ENV, IN_CI, which } from './support/tools.js';

const missing = process.platform !== 'linux' ? 'not Linux' : !which('cargo') ? 'cargo is not on PATH' : undefined;
if (missing && IN_CI) throw new Error(`the churn thread test needs cargo on Linux in CI: ${missing}`);

const NAME = 'churn-threads';
const BUILD_TIMEOUT = 20 * 60_000;

let root: string | undefined;
let fn: LocalFunction | undefined;
let sqs: SqsResponder | undefined;

beforeAll(async () => {
  if (missing) return;
  root = await tempDir('cfl-churn-threads-');
  const dir = join(root, NAME);
  const files = renderProject(resolveSpec({ name: NAME, example: 'churn', arch: 'x86_64' }));
  await writeProject(dir, files);
  await execa('cargo', ['build', '--quiet'], { cwd: dir, env: { ...process.env, ...CARGO_ENV }, stdin: 'ignore' });

  const app = functionsOf(parseCfnYaml(files.get('template.yaml')!), dir).find((f) => f.logicalId === 'AppFunction')!;
  sqs = await startSqsResponder({ record: false });
  const caller = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...awsEnv(sqs.endpoint), QUEUE_URL: sqs.queueUrl };
  const { env } = lambdaEnvironment({ fn: app, functionName: NAME, taskRoot: dir, caller });
  fn = await LocalFunction.start({ command: join(CARGO_ENV.CARGO_TARGET_DIR, 'debug', NAME), cwd: dir, env, timeoutMs: 30_000 });
}, BUILD_TIMEOUT);

afterAll(async () => {
  await fn?.stop();
  await sqs?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The process's threads other than tokio's blocking pool (which the SDK may use for I/O). */
function computeThreads(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).filter(
    (tid) => !readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('tokio-runtime'),
  ).length;
}

async function invokeBatch(records: number): Promise<void> {
  const result = await fn!.invoke(benchBatch(records).event);
  expect(result.outcome, JSON.stringify(result.logs.slice(-3))).toBe('response');
}

describe.skipIf(missing !== undefined)('the churn function', () => {
  it('runs on one thread until a batch is large enough for rayon, then adds a thread per vCPU', { timeout: 60_000 }, async () => {
    // Below PARALLEL_FROM (64 records) a batch is scored on the function's own thread.
    await invokeBatch(3);
    expect(computeThreads(fn!.process.pid!)).toBe(1);

    await invokeBatch(500);
    const vcpus = availableParallelism();
    expect(computeThreads(fn!.process.pid!)).toBe(vcpus > 1 ? 1 + vcpus : 1);
  });
});
