/**
 * lambda-kit bench [--local | --remote]: the churn example's Rust function against its Node.js
 * and Python twins, on the same batch. Locally each runs under our Runtime API emulator; remotely
 * the deployed functions are invoked as lambda-perf does (a forced cold start, then warm).
 *
 * The table goes to stdout (or the figures as JSON with --json); progress to stderr. Both modes
 * write <out>/results.json and <out>/chart.svg.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { hostname, cpus } from 'node:os';
import { join, relative } from 'node:path';
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT, CancelledError, UserError, usageError } from '../../errors.js';
import { STACK_FLAGS, stackTarget } from '../stack-target.js';
import { abortOnTerminationSignals, SIGNAL_EXIT, terminationSignalOf, type TerminationSignal } from '../termination-signals.js';
import { loadProject, type Project } from '../../project/project.js';
import { validateModel, type Model } from '../../examples/churn/model.js';
import { benchBatch, FUNCTION_IDS, RUNTIMES, type BenchResults, type Runtime, type RuntimeFigures } from '../../bench/churn/figures.js';
import { chartSvg, describeRun, formatGoals, formatTable, goals, resultsJson } from '../../bench/churn/report.js';

const PROGRAM = 'lambda-kit bench';

const OPTIONS = {
  local: { type: 'boolean' },
  remote: { type: 'boolean' },
  records: { type: 'string' },
  runs: { type: 'string' },
  invocations: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  ...STACK_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Measure the Rust function against its Node.js and Python twins on the same batch
(a project made with create-fast-lambda --example churn).

Usage: lambda-kit bench [--local] [--records 500] [--runs 20] [--json]
       lambda-kit bench --remote [--invocations 20] [--records 500] [--json] [stack options]

--local (the default) runs each function on this machine under lambda-kit's Lambda Runtime API
emulator: the Rust one built with cargo lambda --release, the twins with this machine's node and
a Python venv in .lambda-kit/. It measures the cold start (process spawn to first response),
warm batches against a zero-latency SQS responder (the function's own cost) and against moto
(for realism), and the peak RSS, with the CPU time each function process used (cold, and per
warm batch). The runtimes take turns, round by round, and each twin's ratio to Rust is the
median of the round-by-round ratios, given with its spread; a goal whose target lies inside
the spread is reported as within noise. Every answer is checked against the model's predictions.

--remote measures the deployed stack: each invocation after a forced cold start (an environment
variable update), then a warm one, reading Init Duration, Duration and Max Memory Used from the
REPORT line. The functions' environment is restored afterwards.

Options:
      --local              measure on this machine (default)
      --remote             measure the deployed functions
      --records <n>        customers per batch, 1-5000 (default 500)
      --runs <n>           --local: cold-start rounds, and warm batches, per runtime (default 20,
                           and up to 60 rounds while the cold-start ratios spread too wide)
      --invocations <n>    --remote: cold and warm invocations per function (default 20)
      --out <dir>          where results.json and chart.svg go (default bench)
      --json               print the figures as JSON instead of the table
      --stack-name <name>  with --remote: the stack (default: samconfig.toml's stack_name)
      --region <region>    with --remote: the AWS region
      --profile <name>     with --remote: the AWS profile
  -h, --help               show this help

Exit codes: 0 measured (goals met or not: the table says), 1 a function failed or a tool is
missing, 2 bad options, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (every process the bench
started is stopped first).
`;

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  if (values.local && values.remote) throw usageError('--local and --remote exclude each other.', `See ${PROGRAM} --help.`);
  const remote = values.remote ?? false;
  const remoteOnly = (['invocations', 'stack-name', 'region', 'profile'] as const).find((flag) => values[flag] !== undefined);
  if (!remote && remoteOnly) throw usageError(`--${remoteOnly} applies to --remote only.`, `See ${PROGRAM} --help.`);
  if (remote && values.runs !== undefined) throw usageError('--runs applies to --local; use --invocations with --remote.');
  const records = count(values.records, '--records', 500, 5000);
  const runs = count(values.runs ?? values.invocations, remote ? '--invocations' : '--runs', 20, 1000);

  const project = await loadProject();
  const model = await readModel(project);
  const { customers, event } = benchBatch(records);

  // Until the figures are in, a signal stops the functions, builds and moto this run started
  // (each in a process group of its own) before lambda-kit exits with the signal's code.
  const controller = new AbortController();
  const signals = abortOnTerminationSignals(controller);
  let results: BenchResults;
  try {
    results = remote
      ? await benchRemote(project, values, event, runs, controller.signal)
      : await benchLocal(project, model, customers, event, { runs, adaptive: values.runs === undefined }, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw interruptedBy(terminationSignalOf(controller.signal) ?? 'SIGINT');
    throw error;
  } finally {
    signals.release();
  }

  const out = join(project.dir, values.out ?? 'bench');
  await writeAtomically(join(out, 'results.json'), resultsJson(results));
  await writeAtomically(join(out, 'chart.svg'), chartSvg(results));
  if (values.json) {
    process.stdout.write(resultsJson(results));
  } else {
    const list = goals(results);
    process.stdout.write(`${describeRun(results)}\n\n${formatTable(results)}\n${list.length ? `\n${formatGoals(list)}\n` : ''}`);
  }
  progress(`wrote ${relative(process.cwd(), join(out, 'results.json')) || 'results.json'} and chart.svg`);
  return EXIT.ok;
}

function interruptedBy(signal: TerminationSignal): UserError {
  // Ctrl-C is a person cancelling; the others are worth naming.
  if (signal === 'SIGINT') return new CancelledError();
  return new UserError(`interrupted by ${signal}; every process the bench started is stopped`, { exitCode: SIGNAL_EXIT[signal] });
}

function count(raw: string | undefined, flag: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < 1 || value > max)
    throw usageError(`${flag} must be a whole number from 1 to ${max}, not '${raw}'.`);
  return value;
}

async function readModel(project: Project): Promise<Model> {
  const path = join(project.dir, 'model.json');
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) {
    throw new UserError('no model.json in the project: lambda-kit bench measures the churn example.', {
      hint: 'Create one with: create-fast-lambda --example churn',
    });
  }
  try {
    return validateModel(JSON.parse(text));
  } catch (error) {
    throw new UserError(`model.json: ${(error as Error).message}`);
  }
}

/** Without --runs, the cold-start rounds may grow to this many times the default where the ratios spread wide. */
const MAX_COLD_ROUNDS_FACTOR = 3;

const progress = (line: string) => process.stderr.write(`${kleur.dim(line)}\n`);

async function benchLocal(
  project: Project,
  model: Model,
  customers: ReturnType<typeof benchBatch>['customers'],
  event: unknown,
  { runs, adaptive }: { runs: number; adaptive: boolean },
  signal: AbortSignal,
): Promise<BenchResults> {
  const { prepareLocal } = await import('../../bench/churn/prepare.js');
  const { measureLocal } = await import('../../bench/churn/local.js');
  const { startMoto } = await import('../../tools/moto.js');
  const { startSqsResponder } = await import('../../bench/sqs-responder.js');
  const { motoQueues } = await import('../../bench/churn/moto-queues.js');

  progress('Preparing the three functions (the first time takes a few minutes)');
  const prepared = await prepareLocal(project, { onLine: progress, signal });
  // The bench empties its queues after every batch; real SQS allows that once a minute.
  const moto = await startMoto(prepared.venvBin, 30_000, { MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR: 'false' });
  const responder = await startSqsResponder();
  try {
    const queues = await motoQueues(moto.endpoint);
    const measured = await measureLocal({
      runtimes: prepared.runtimes,
      model,
      customers,
      event,
      runs,
      coldRuns: runs,
      // Without --runs, rounds are added while the cold-start ratios are too spread to judge.
      maxColdRuns: adaptive ? runs * MAX_COLD_ROUNDS_FACTOR : runs,
      responder: {
        endpoint: responder.endpoint,
        queueUrl: responder.queueUrl,
        takeReceived: () => responder.takeReceived(),
      },
      moto: queues.targets,
      drainMoto: queues.drain,
      onProgress: progress,
      signal,
    });
    queues.close();
    return {
      mode: 'local',
      finishedAt: new Date().toISOString(),
      records: customers.length,
      runs,
      coldRuns: measured.coldRounds,
      interleaved: true,
      ...(measured.cpuSource ? { cpuSource: measured.cpuSource } : {}),
      load: measured.load,
      host: `${hostname()}: ${process.platform} ${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? 'unknown CPU'})`,
      runtimes: measured.runtimes,
    };
  } finally {
    await responder.close();
    await moto.stop();
  }
}

async function benchRemote(
  project: Project,
  values: { 'stack-name'?: string; region?: string; profile?: string },
  event: unknown,
  invocations: number,
  signal: AbortSignal,
): Promise<BenchResults> {
  const { benchFunctions } = await import('../../bench/churn/prepare.js');
  const { resolveFunctionName } = await import('../../aws/remote-invoke.js');
  const { measureRemote } = await import('../../bench/churn/remote.js');
  benchFunctions(project);
  const target = await stackTarget(values, ['aws-region', 'aws-credentials']);
  const aws = { region: target.region, profile: target.profile };
  const functions: { runtime: Runtime; functionName: string }[] = [];
  for (const runtime of RUNTIMES)
    functions.push({ runtime, functionName: await resolveFunctionName(target.stackName, FUNCTION_IDS[runtime], aws) });
  const figures: RuntimeFigures[] = await measureRemote({ functions, event, invocations, aws, onProgress: progress, signal });
  return {
    mode: 'remote',
    finishedAt: new Date().toISOString(),
    records: (event as { Records: unknown[] }).Records.length,
    runs: invocations,
    coldRuns: invocations,
    host: `stack ${target.stackName}${target.region ? ` in ${target.region}` : ''}`,
    runtimes: figures,
  };
}

/** Written whole or not at all: a reader never sees half a results file. */
async function writeAtomically(path: string, contents: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, contents);
  await rename(temporary, path);
}
