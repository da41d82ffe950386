/**
 * npm run bench:dev: the edit → run loop of `lambda-kit dev`, timed as a user lives it, in two
 * fresh API → SQS projects (made by the scaffolder, moto as the queue), on lambda-kit's default
 * path: no CARGO_TARGET_DIR, the shared build cache in a temp cache home of the bench's own
 * (LAMBDA_KIT_CARGO_CACHE), empty at the start:
 *
 * - the first debug build of the first project (it fills the cache: every dependency compiles);
 * - the first debug build of the second project, with the dependencies the first compiled;
 * - a one-line edit of handler.rs → the next HTTP request answered by the new code;
 * - the size of the debug binary dev runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { execa } from 'execa';
import { hostArchitecture } from '../project/binary.js';
import { watchOutput, type ChildOutput } from '../tools/child-output.js';
import { startMoto, type MotoServer } from '../tools/moto.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CREATE_BIN = join(ROOT, 'bin/create-fast-lambda.js');
const KIT_BIN = join(ROOT, 'bin/lambda-kit.js');
/** A cold build of the SDK on 2 busy cores takes many minutes; nothing here waits forever. */
const BUILD_LIMIT_MS = 40 * 60_000;
const ANSWER_LIMIT_MS = 10 * 60_000;

// The SDK's nine-line notice about Node.js 20, as lambda-kit itself silences it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const GOALS = { secondBuildSeconds: 90, editToAnswerSeconds: 10, binaryMb: 60 } as const;

const CREATED = 'Ok(json_response(StatusCode::CREATED, body))';
const ACCEPTED = 'Ok(json_response(StatusCode::ACCEPTED, body))';

interface DevRun extends ChildOutput {
  child: ChildProcess;
}

function startDev(dir: string, env: NodeJS.ProcessEnv, queueUrl: string): DevRun {
  const child = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0', '--env', `QUEUE_URL=${queueUrl}`], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { child, ...watchOutput(child, 'lambda-kit dev') };
}

async function stopDev(run: DevRun): Promise<void> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return;
  const exited = new Promise((resolve) => run.child.once('exit', resolve));
  run.child.kill('SIGINT');
  await exited;
}

async function postItem(base: string, id: string): Promise<number> {
  const response = await fetch(`${base}/items`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, name: 'flat white', quantity: 1 }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** Seconds from spawning dev in `dir` to its first "built in" line, and the base URL it serves. */
async function firstBuild(run: DevRun): Promise<{ seconds: number; base: string }> {
  const started = performance.now();
  const [, base] = await run.waitFor(/AppFunction on (http:\/\/127\.0\.0\.1:\d+)/, 120_000);
  await run.waitFor(/built in [\d.]+ s/, BUILD_LIMIT_MS);
  return { seconds: (performance.now() - started) / 1000, base: base! };
}

/** Seconds from saving a one-line edit of handler.rs to the first request the new code answers. */
async function editToAnswer(dir: string, base: string): Promise<number> {
  const handler = join(dir, 'src', 'handler.rs');
  const source = await readFile(handler, 'utf8');
  if (!source.includes(CREATED)) throw new Error(`src/handler.rs has no "${CREATED}" to edit`);
  const saved = performance.now();
  await writeFile(handler, source.replace(CREATED, ACCEPTED));
  for (let attempt = 0; performance.now() - saved < ANSWER_LIMIT_MS; attempt++) {
    // dev holds a request that arrives during a rebuild until the new build answers it.
    if ((await postItem(base, `E-${attempt}`)) === 202) return (performance.now() - saved) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the edit was not answered within ${ANSWER_LIMIT_MS / 1000} s`);
}

/** Bytes of the files below `dir` (each hard link counted once per name: cargo uplifts by linking). */
async function diskUsage(dir: string): Promise<number> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const sizes = await Promise.all(entries.filter((e) => e.isFile()).map((e) => stat(join(e.parentPath, e.name)).then((s) => s.size)));
  return sizes.reduce((sum, size) => sum + size, 0);
}

const verdict = (value: number, goal: number) => (value <= goal ? '✓' : '✗');

async function main(): Promise<void> {
  const venvBin = (await execa('bash', [join(ROOT, 'scripts/python-tools.sh')], { cwd: ROOT })).stdout.trim().split('\n').at(-1)!;
  const arch = hostArchitecture() ?? 'x86_64';
  const root = mkdtempSync(join(tmpdir(), 'cfl-bench-dev-'));
  let moto: MotoServer | undefined;
  const runs: DevRun[] = [];
  const stopAll = async () => {
    await Promise.all(runs.map(stopDev));
    await moto?.stop();
    rmSync(root, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  }
  try {
    moto = await startMoto(venvBin);
    const sqs = new SQSClient({
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `bench-dev-${process.pid}` }))).QueueUrl!;
    const cacheHome = join(root, 'cargo-cache');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...moto.env,
      CARGO_TERM_COLOR: 'never',
      LAMBDA_KIT_CARGO_CACHE: cacheHome,
      PATH: `${venvBin}:${process.env.PATH ?? ''}`,
    };
    // A user's shell has none of these; each would make lambda-kit leave cargo's directories alone.
    for (const key of ['CARGO_TARGET_DIR', 'CARGO_BUILD_TARGET_DIR', 'CARGO_BUILD_BUILD_DIR']) delete env[key];
    const names = [`bench-dev-first-${process.pid}`, `bench-dev-second-${process.pid}`];
    for (const name of names) {
      await execa(process.execPath, [CREATE_BIN, name, '--trigger', 'api', '--sink', 'sqs', '--arch', arch, '--yes'], {
        cwd: root,
        stdin: 'ignore',
      });
    }

    process.stderr.write(`building ${names[0]}: every dependency compiles into the empty shared cache ${cacheHome}…\n`);
    const first = startDev(join(root, names[0]!), env, queueUrl);
    runs.push(first);
    const firstBuilt = await firstBuild(first);
    if ((await postItem(firstBuilt.base, 'A-1')) !== 201) throw new Error('the first project did not answer 201');
    process.stderr.write('editing src/handler.rs…\n');
    const editSeconds = await editToAnswer(join(root, names[0]!), firstBuilt.base);
    await stopDev(first);
    const binary = statSync(join(root, names[0]!, 'target', 'lambda', names[0]!, 'bootstrap')).size;

    process.stderr.write(`building ${names[1]} with the dependencies ${names[0]} compiled into the shared cache…\n`);
    const second = startDev(join(root, names[1]!), env, queueUrl);
    runs.push(second);
    const secondBuilt = await firstBuild(second);
    await stopDev(second);

    const mb = binary / 1e6;
    const cacheGb = (await diskUsage(cacheHome)) / 1e9;
    const load = loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
    console.log(`lambda-kit dev, HTTP API → SQS, ${arch}, ${cpus().length} cores, load average ${load} at the end`);
    console.log(`  first debug build, first project     ${firstBuilt.seconds.toFixed(1).padStart(7)} s`);
    console.log(
      `  first debug build, second project    ${secondBuilt.seconds.toFixed(1).padStart(7)} s    goal ≤ ${GOALS.secondBuildSeconds} s ${verdict(secondBuilt.seconds, GOALS.secondBuildSeconds)}`,
    );
    console.log(
      `  edit handler.rs → new answer         ${editSeconds.toFixed(1).padStart(7)} s    goal ≤ ${GOALS.editToAnswerSeconds} s ${verdict(editSeconds, GOALS.editToAnswerSeconds)}`,
    );
    console.log(
      `  debug binary                         ${`${mb.toFixed(1)} MB`.padStart(9)}    goal ≤ ${GOALS.binaryMb} MB ${verdict(mb, GOALS.binaryMb)}`,
    );
    console.log(`  shared build cache, both projects    ${`${cacheGb.toFixed(2)} GB`.padStart(9)}`);
  } finally {
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:dev: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
