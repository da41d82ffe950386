/**
 * npm run bench:function [-- --cold 10 --warm 100 --trigger sqs --json]
 *
 * The generated functions, built as users deploy them and measured on this machine. For each
 * trigger it generates a project with its default sink (API → DynamoDB, Kinesis → SQS,
 * S3 → DynamoDB, SQS → DynamoDB), builds it with `cargo lambda build --release` into the shared
 * .cache/cargo-target, and reports the binary's size and zipped size. Then, against a moto
 * server, it runs the binary under our Runtime API emulator with its sample event
 * (events/<trigger>.json): one process serving the warm invocations, and fresh processes for
 * the cold starts. Beside each wall time it reads the CPU time the function process used (its
 * threads, from /proc): around each warm invocation, and by each cold process's first response.
 * Every answer is checked to be a success, so the figures are never those of failing invocations.
 *
 * A development script, run from a clone of this repository: it needs the Python venv of
 * scripts/python-tools.sh (moto, cargo-lambda, ziglang), and it creates the sink resources with
 * @aws-sdk/client-dynamodb and client-sqs, which are devDependencies. It is built into dist/ but
 * left out of the published package (`files` in package.json).
 *
 * Moto, the functions and a running build are stopped on success, on failure and on
 * Ctrl-C/SIGTERM; the build runs in a process group of its own, so its compilers go with it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { compactLogLine } from '../aws/log-line.js';
import { parseCommandFlags } from '../command-line.js';
import { formatBytes, formatDuration } from '../text/units.js';
import { EXIT, UserError, reportError, usageError } from '../errors.js';
import { hostArchitecture } from '../project/binary.js';
import { defaultEventFile, readEventFile } from '../project/events.js';
import { loadProject, pickFunction, type LambdaFunction } from '../project/project.js';
import { lambdaEnvironment } from '../runtime-api/lambda-env.js';
import { LocalFunction, type LocalInvocation } from '../runtime-api/local-function.js';
import { TRIGGERS, sink as sinkRow, type SinkId, type TriggerId } from '../scaffold/catalog.js';
import { renderProject } from '../scaffold/render.js';
import { resolveSpec } from '../scaffold/spec.js';
import { writeProject } from '../scaffold/write.js';
import { cargoLambdaArtifacts, cargoLambdaPlan, runBuild } from '../tools/build.js';
import { startMoto, type MotoServer } from '../tools/moto.js';
import { runTool, succeeded } from '../tools/run-tool.js';
import { cargoLambdaVersion, rustcVersion } from '../tools/versions.js';
import { zipOneFile } from '../tools/zip.js';
import { cpuMsBetween, readProcessCpu, totalCpuMs } from './process-cpu.js';
import {
  answerProblem,
  cpuBusyBetween,
  formatReport,
  median,
  parseCpuTimes,
  parseCount,
  recordsIn,
  reportJson,
  type CpuTimes,
  type FunctionFigures,
} from './function-report.js';

const PROGRAM = 'bench:function';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Shared with the tests and the Rust checks: the SDK crates compile once. */
const CARGO_TARGET_DIR = join(ROOT, '.cache', 'cargo-target');
/** How often a long build says it is still going. */
const PROGRESS_EVERY_MS = 30_000;

const OPTIONS = {
  cold: { type: 'string' },
  warm: { type: 'string' },
  trigger: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const HELP = `Build the generated functions in release mode and measure them against moto.

Usage: npm run bench:function [-- options]

Options:
  --cold <n>         fresh processes for the cold start (env BENCH_COLD; default 10)
  --warm <n>         warm invocations of one process (env BENCH_WARM; default 100)
  --trigger <id>     only this trigger (${TRIGGERS.map((row) => row.id).join(', ')}); repeatable; all by default
  --json             print the figures, every sample included, as JSON
  -h, --help         show this help

Progress goes to stderr; the report (or the JSON) to stdout.
`;

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** What the benchmark holds running, so a signal can stop it at once. */
const running = new Set<{ stop(): Promise<void> }>();

async function holding<T extends { stop(): Promise<void> }, R>(thing: T, body: (thing: T) => Promise<R>): Promise<R> {
  running.add(thing);
  try {
    return await body(thing);
  } finally {
    running.delete(thing);
    await thing.stop();
  }
}

interface Built {
  trigger: TriggerId;
  sink: SinkId;
  fn: LambdaFunction;
  projectDir: string;
  binary: string;
  buildSeconds: number;
}

async function main(args: string[], signal: AbortSignal): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const cold = count(values.cold, 'BENCH_COLD', '--cold', 10);
  const warm = count(values.warm, 'BENCH_WARM', '--warm', 100);
  const triggers = (values.trigger ?? TRIGGERS.map((t) => t.id)).flatMap((t) => t.split(','));
  for (const t of triggers) {
    if (!TRIGGERS.some((row) => row.id === t))
      throw usageError(`unknown trigger '${t}'; choose from ${TRIGGERS.map((row) => row.id).join(', ')}.`);
  }
  const arch = hostArchitecture();
  if (process.platform !== 'linux' || !arch)
    throw new UserError('the function benchmark runs the Lambda binaries themselves, so it needs Linux on x86_64 or arm64.');

  // The SDK clients that create the sinks would warn about Node 20's support window on stderr.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const started = performance.now();
  const venvBin = await pythonToolsBin();
  const buildEnv: NodeJS.ProcessEnv = {
    ...process.env,
    CARGO_TARGET_DIR,
    CARGO_TERM_COLOR: 'never',
    PATH: `${venvBin}:${process.env.PATH ?? ''}`,
  };
  const date = new Date();
  const machine = describeMachine();
  const tools = await describeTools(venvBin, buildEnv);
  progress(`${PROGRAM}: ${triggers.join(', ')} on ${machine}; ${tools}`);

  const work = await mkdtemp(join(tmpdir(), 'cfl-function-bench-'));
  try {
    const built: Built[] = [];
    for (const [i, trigger] of (triggers as TriggerId[]).entries()) {
      signal.throwIfAborted();
      built.push(await generateAndBuild(trigger, arch, work, buildEnv, `[${i + 1}/${triggers.length}]`, signal));
    }

    const { figures, cpuBusy } = await holding(await startMoto(venvBin), async (moto) => {
      progress(`moto ${moto.endpoint}`);
      const before = await cpuTimes();
      const measured: FunctionFigures[] = [];
      for (const job of built) measured.push(await measure(job, moto, { cold, warm }, signal));
      const after = await cpuTimes();
      return { figures: measured, cpuBusy: before && after ? cpuBusyBetween(before, after) : undefined };
    });

    const context = { date, machine, tools, cpuBusy, cold, warm };
    process.stdout.write(values.json ? reportJson(context, figures) : formatReport(context, figures));
    progress(`${PROGRAM}: done in ${formatDuration(performance.now() - started)}`);
    return EXIT.ok;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function count(flag: string | undefined, envName: string, flagName: string, fallback: number): number {
  const raw = flag ?? process.env[envName];
  return raw === undefined ? fallback : parseCount(raw, flag === undefined ? envName : flagName);
}

/** The venv of scripts/python-tools.sh (installed on first use): moto_server, cargo-lambda, ziglang. */
async function pythonToolsBin(): Promise<string> {
  const run = await runTool('bash', [join(ROOT, 'scripts', 'python-tools.sh')], { cwd: ROOT, timeoutMs: 15 * 60_000 });
  const stdout = succeeded(run);
  if (!stdout) {
    const why = !run.found ? run.reason : (run.stderr.trim().split('\n').at(-1) ?? `exit code ${run.exitCode}`);
    throw new UserError(`scripts/python-tools.sh could not provide moto and cargo-lambda: ${why}`);
  }
  return stdout.trim().split('\n').at(-1)!;
}

async function cpuTimes(): Promise<CpuTimes | undefined> {
  return parseCpuTimes(await readFile('/proc/stat', 'utf8').catch(() => ''));
}

function describeMachine(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform} ${release()} ${process.arch}`;
}

async function describeTools(venvBin: string, env: NodeJS.ProcessEnv): Promise<string> {
  const [rustc, cargoLambda, moto] = await Promise.all([
    runTool('rustc', ['-vV'], { env }),
    runTool('cargo', ['lambda', '--version'], { env }),
    runTool(join(venvBin, 'python'), ['-c', 'import moto; print(moto.__version__)'], { env }),
  ]);
  const rust = rustcVersion(succeeded(rustc) ?? '')?.text ?? '?';
  const lambda = cargoLambdaVersion(succeeded(cargoLambda) ?? '')?.text ?? '?';
  return `node ${process.version.slice(1)}, rustc ${rust}, cargo-lambda ${lambda}, moto ${succeeded(moto)?.trim() ?? '?'}`;
}

/** Writes the project as create-fast-lambda would, then runs the release build users deploy. */
async function generateAndBuild(
  trigger: TriggerId,
  arch: 'arm64' | 'x86_64',
  work: string,
  env: NodeJS.ProcessEnv,
  step: string,
  signal: AbortSignal,
): Promise<Built> {
  const spec = resolveSpec({ name: `bench-${trigger}`, trigger, arch });
  const projectDir = join(work, spec.name);
  await writeProject(projectDir, renderProject(spec));
  const project = await loadProject(projectDir);
  const fn = pickFunction(project, undefined);
  const plan = cargoLambdaPlan(fn, { debug: false });
  progress(`${step} ${trigger} → ${spec.sink}: ${plan.title}`);

  const started = performance.now();
  let last = '';
  const ticker = setInterval(
    () => progress(`      ${formatDuration(performance.now() - started)}${last ? `, ${last}` : ''}`),
    PROGRESS_EVERY_MS,
  );
  let run;
  try {
    run = await runBuild(
      plan,
      (line) => {
        const text = stripVTControlCharacters(line).trim();
        // The crate's own line comes last and stays for the whole LTO link.
        if (/^(Compiling|Finished)\b/.test(text)) last = text.replace(` (${projectDir})`, '');
      },
      env,
      { signal },
    );
  } finally {
    clearInterval(ticker);
  }
  signal.throwIfAborted();
  const buildSeconds = (performance.now() - started) / 1000;
  if (run.exitCode !== 0) {
    process.stderr.write(`${run.lines.slice(-40).join('\n')}\n`);
    throw new UserError(`${plan.title} failed for ${trigger} (exit code ${run.exitCode ?? 'none'}); its last lines are above.`);
  }

  const artifacts = await cargoLambdaArtifacts(fn, env);
  const binary = artifacts.find((path) => path.endsWith(`${sep}${project.packageName}${sep}bootstrap`)) ?? artifacts[0];
  if (!binary || !(await stat(binary).catch(() => undefined))?.isFile())
    throw new UserError(`${plan.title} left no binary for ${trigger} (looked for ${binary ?? 'none'}).`);
  const size = (await stat(binary)).size;
  progress(`      built in ${formatDuration(buildSeconds * 1000)}: ${formatBytes(size)}`);
  return { trigger, sink: spec.sink, fn, projectDir, binary, buildSeconds };
}

/** The sink the function writes to, created in moto; returns the variable that names it. */
async function createSink(sink: SinkId, trigger: TriggerId, moto: MotoServer): Promise<Record<string, string>> {
  const config = { endpoint: moto.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
  const name = `bench-${trigger}-results`;
  const variable = sinkRow(sink).env;
  if (sink === 'dynamodb') {
    const client = new DynamoDBClient(config);
    await client.send(
      new CreateTableCommand({
        TableName: name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );
    client.destroy();
    return { [variable]: name };
  }
  if (sink === 'sqs') {
    const client = new SQSClient(config);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name }));
    client.destroy();
    return { [variable]: QueueUrl! };
  }
  return {};
}

/** A moto queue for each variable named, as variable → queue URL. */
async function createQueues(variables: { name: string }[], trigger: TriggerId, moto: MotoServer): Promise<Record<string, string>> {
  const client = new SQSClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  const urls: Record<string, string> = {};
  for (const { name } of variables) {
    const { QueueUrl } = await client.send(
      new CreateQueueCommand({ QueueName: `bench-${trigger}-${name.toLowerCase().replaceAll('_', '-')}` }),
    );
    urls[name] = QueueUrl!;
  }
  client.destroy();
  return urls;
}

type Answer = Extract<LocalInvocation, { outcome: 'response' }>;

function expectSuccess(trigger: TriggerId, result: LocalInvocation, what: string): asserts result is Answer {
  const problem = answerProblem(trigger, result);
  if (problem === undefined) return;
  for (const line of result.logs.slice(-10)) {
    const { level, text } = compactLogLine(line);
    process.stderr.write(`│ ${level ? `${level.padEnd(5)} ` : ''}${text}\n`);
  }
  throw new UserError(`${trigger}: ${what} did not succeed: ${problem}`);
}

async function measure(
  job: Built,
  moto: MotoServer,
  counts: { cold: number; warm: number },
  signal: AbortSignal,
): Promise<FunctionFigures> {
  const { trigger, fn } = job;
  const data = await readFile(job.binary);
  const zippedBytes = zipOneFile({ name: 'bootstrap', data, mode: 0o755 }).length;

  const event = await readEventFile(await defaultEventFile(await loadProject(job.projectDir)));
  const sinkEnv = await createSink(job.sink, trigger, moto);
  const caller = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...moto.env };
  const environment = (overrides: Record<string, string>) =>
    lambdaEnvironment({ fn, functionName: fn.logicalId, taskRoot: dirname(job.binary), caller, overrides });
  // The queues a batch function parks poison records on (POISON_QUEUE_URL, DEAD_LETTER_QUEUE_URL):
  // empty moto queues, since the bench's events hold none.
  const queues = await createQueues(
    environment(sinkEnv).unresolved.filter(({ name }) => name.endsWith('_QUEUE_URL')),
    trigger,
    moto,
  );
  const { env, unresolved } = environment({ ...sinkEnv, ...queues });
  if (unresolved.length > 0) throw new UserError(`${trigger}: no value for ${unresolved.map((u) => `${u.name} (${u.value})`).join(', ')}`);
  const start = () => LocalFunction.start({ command: job.binary, cwd: job.projectDir, env, timeoutMs: fn.timeout * 1000 });

  // One execution environment: the first invocation pays the init and is left out.
  progress(`${trigger}: ${counts.warm} warm invocations in one process`);
  const { warmMs, warmCpuMs, peakRssBytes } = await holding(await start(), async (runtime) => {
    expectSuccess(trigger, await runtime.invoke(event), 'the first invocation');
    const samples: number[] = [];
    const cpu: number[] = [];
    for (let i = 1; i <= counts.warm; i++) {
      signal.throwIfAborted();
      const before = readProcessCpu(runtime.process.pid!);
      const result = await runtime.invoke(event);
      const after = readProcessCpu(runtime.process.pid!);
      expectSuccess(trigger, result, `warm invocation ${i}`);
      samples.push(result.durationMs);
      if (before && after) cpu.push(cpuMsBetween(before, after));
    }
    return { warmMs: samples, warmCpuMs: cpu, peakRssBytes: runtime.maxMemoryBytes() };
  });
  progress(`      median ${median(warmMs).toFixed(2)} ms${warmCpuMs.length ? `, ${median(warmCpuMs).toFixed(2)} ms of CPU` : ''}`);

  progress(`${trigger}: ${counts.cold} cold starts`);
  const coldStartMs: number[] = [];
  const initMs: number[] = [];
  const coldCpuMs: number[] = [];
  for (let i = 1; i <= counts.cold; i++) {
    signal.throwIfAborted();
    await holding(await start(), async (runtime) => {
      const result = await runtime.invoke(event);
      const cpu = readProcessCpu(runtime.process.pid!);
      expectSuccess(trigger, result, `cold start ${i}`);
      if (result.initDurationMs === undefined) throw new UserError(`${trigger}: cold start ${i} answered without a first poll on record`);
      coldStartMs.push(result.completedAt - runtime.spawnedAt);
      initMs.push(result.initDurationMs);
      if (cpu) coldCpuMs.push(totalCpuMs(cpu));
    });
  }
  progress(`      median ${median(coldStartMs).toFixed(1)} ms`);

  return {
    trigger,
    sink: job.sink,
    records: recordsIn(JSON.parse(event.toString('utf8'))),
    binaryBytes: data.length,
    zippedBytes,
    buildSeconds: job.buildSeconds,
    coldStartMs,
    initMs,
    coldCpuMs,
    warmMs,
    warmCpuMs,
    peakRssBytes,
  };
}

// ---------------------------------------------------------------------------------------------
// Entry point: errors become one line and an exit code; a signal stops everything first.

class Interrupted extends Error {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
  }
}

const controller = new AbortController();
for (const signalName of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signalName, () => {
    progress(`\n${PROGRAM}: ${signalName}, stopping moto, the functions and the build`);
    controller.abort(new Interrupted(signalName));
    // Stop what runs now rather than when the current step ends; each stop is idempotent.
    void Promise.allSettled([...running].map((thing) => thing.stop()));
  });
}

try {
  process.exitCode = await main(process.argv.slice(2), controller.signal);
} catch (error) {
  const reason: unknown = controller.signal.aborted ? controller.signal.reason : error;
  if (reason instanceof Interrupted) {
    process.stderr.write(`${PROGRAM}: ${reason.message}; everything it started is stopped.\n`);
    process.exitCode = reason.signalName === 'SIGINT' ? EXIT.cancelled : 128 + (reason.signalName === 'SIGTERM' ? 15 : 1);
  } else {
    process.exitCode = reportError(PROGRAM, reason);
  }
}
