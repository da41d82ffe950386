/**
 * `lambda-kit bench --local`, the measuring: each runtime's function runs on this machine under
 * our Runtime API emulator, one process per execution environment, as in Lambda.
 *
 * - Cold starts: a fresh process per sample, timed from spawn to its first response (the first
 *   batch included), against the zero-latency SQS responder, with the CPU time the process used
 *   by then. In rounds: Rust, Node.js, Python, Rust, ..., so that load on the machine falls on
 *   the three alike and each twin's ratio to Rust can be taken round by round. Where those
 *   ratios are too spread to judge a goal, blocks of rounds are added, up to maxColdRuns.
 * - Warm batches: a process per runtime, the three taking turns on the same batch, `runs`
 *   times each, with the CPU time the process used during each batch. Its peak RSS after them
 *   is the runtime's memory figure.
 * - Warm batches against moto: a process of its own (its queue URL is read once, at init),
 *   one batch to warm it, then `runs` measured ones.
 *
 * Every answer is checked: the first against the reference predictions (same messages, to
 * 1e-9), all of them for an empty batchItemFailures. Figures of failing invocations would
 * measure the wrong thing, so a failure stops the bench.
 */
import { UserError } from '../../errors.js';
import type { CustomerRecord } from '../../examples/churn/data.js';
import { score, type Model } from '../../examples/churn/model.js';
import type { LambdaFunction } from '../../project/project.js';
import { lambdaEnvironment } from '../../runtime-api/lambda-env.js';
import { LocalFunction, type LocalInvocation } from '../../runtime-api/local-function.js';
import { awsEnv } from '../../tools/moto.js';
import { machineLoadSince, readMachine, type MachineLoad } from '../machine-load.js';
import { cpuMsBetween, readProcessCpu, totalCpuMs, type ProcessCpu } from '../process-cpu.js';
import { needsMoreRounds, pairwiseRatios, spreadOf } from '../ratio-spread.js';
import { COLD_START_TARGETS, summarizeSamples } from './report.js';
import type { Runtime, RuntimeFigures } from './figures.js';

/** How one runtime's function is started here. */
export interface LocalRuntime {
  runtime: Runtime;
  /** What runs it, for the report: "rustc 1.95.0", "node v20.20.2", "Python 3.11.7". */
  version: string;
  fn: LambdaFunction;
  command: string;
  args: string[];
  /** LAMBDA_TASK_ROOT, and the process's working directory. */
  taskRoot: string;
  /** Added to the Lambda environment (PYTHONPATH and the like). */
  extraEnv?: Record<string, string>;
}

/** A queue to send to: the responder's or moto's, and the endpoint that serves it. */
export interface QueueTarget {
  endpoint: string;
  queueUrl: string;
}

export interface LocalBenchOptions {
  runtimes: LocalRuntime[];
  model: Model;
  customers: CustomerRecord[];
  event: unknown;
  runs: number;
  /** Cold-start rounds; up to maxColdRuns (by blocks of 10) while the pairwise ratios are too spread to judge. */
  coldRuns: number;
  maxColdRuns?: number;
  /** The zero-latency responder, and what it received since the last call (then forgotten). */
  responder: QueueTarget & { takeReceived(): { id: string; body: string }[] };
  /** moto's queue for each runtime, so that each one's message count can be checked. */
  moto: Record<Runtime, QueueTarget>;
  /** How many messages moto's queue for `runtime` holds; it is emptied for the next run. */
  drainMoto(runtime: Runtime): Promise<number>;
  onProgress(line: string): void;
  signal?: AbortSignal;
}

/** What the local measuring gives: each runtime's figures, and how the run went. */
export interface LocalMeasurement {
  runtimes: RuntimeFigures[];
  /** Cold-start rounds measured: coldRuns, or more where the ratios' spread was wide. */
  coldRounds: number;
  cpuSource: ProcessCpu['source'] | undefined;
  load: MachineLoad;
}

/** Rounds added at a time when the cold-start ratios are too spread to judge. */
const EXTRA_ROUNDS = 10;

export async function measureLocal(options: LocalBenchOptions): Promise<LocalMeasurement> {
  // Serialised once: the emulator's own work per invocation stays out of every figure alike.
  const event = Buffer.from(JSON.stringify(options.event));
  const { runtimes, runs, onProgress } = options;
  const empty = () => ({
    cold: [] as number[],
    coldCpu: [] as number[],
    init: [] as number[],
    warm: [] as number[],
    warmCpu: [] as number[],
  });
  const samples = new Map(runtimes.map((rt) => [rt.runtime, empty()]));
  const of = (rt: LocalRuntime) => samples.get(rt.runtime)!;
  let cpuSource: ProcessCpu['source'] | undefined;
  // The bench's own CPU in the load window: lambda-kit (emulator and responder included) and the functions.
  let functionsCpuMs = 0;
  const ownCpuBefore = process.cpuUsage();
  const machineBefore = readMachine();

  // Cold starts in rounds, the runtimes taking turns, so that load on the machine falls on all alike.
  let rounds = 0;
  let target = options.coldRuns;
  const maxRounds = Math.max(options.coldRuns, options.maxColdRuns ?? options.coldRuns);
  while (rounds < target) {
    rounds++;
    for (const rt of runtimes) {
      throwIfAborted(options.signal);
      onProgress(`${rt.runtime}: cold start ${rounds}/${target}`);
      options.responder.takeReceived();
      const fn = await start(rt, options.responder);
      try {
        const first = await invoke(rt, fn, event);
        const cpu = readProcessCpu(fn.process.pid!);
        of(rt).cold.push(first.completedAt - fn.spawnedAt);
        if (first.initDurationMs !== undefined) of(rt).init.push(first.initDurationMs);
        of(rt).coldCpu.push(cpu ? totalCpuMs(cpu) : Number.NaN);
        if (cpu) functionsCpuMs += totalCpuMs(cpu);
        cpuSource ??= cpu?.source;
        if (rounds === 1) checkMessages(rt.runtime, options.responder.takeReceived(), options);
      } finally {
        await fn.stop();
      }
    }
    if (rounds === target && needsMoreRounds(coldChecks(runtimes, of), rounds, maxRounds)) {
      target = Math.min(maxRounds, rounds + EXTRA_ROUNDS);
      onProgress(`the cold-start ratios are too spread to judge after ${rounds} rounds: ${target - rounds} more`);
    }
  }

  // Warm batches: one process per runtime, all three up, taking turns batch by batch.
  const warmFunctions: { rt: LocalRuntime; fn: LocalFunction }[] = [];
  const peakMemoryBytes = new Map<Runtime, number>();
  try {
    for (const rt of runtimes) {
      const fn = await start(rt, options.responder);
      warmFunctions.push({ rt, fn });
      // Its first batch is a cold start, already measured.
      await invoke(rt, fn, event);
    }
    for (let run = 1; run <= runs; run++) {
      if (run === 1 || run % 10 === 0) onProgress(`warm batch ${run}/${runs}`);
      for (const { rt, fn } of warmFunctions) {
        throwIfAborted(options.signal);
        const before = readProcessCpu(fn.process.pid!);
        const { durationMs } = await invoke(rt, fn, event);
        const after = readProcessCpu(fn.process.pid!);
        of(rt).warm.push(durationMs);
        of(rt).warmCpu.push(before && after ? cpuMsBetween(before, after) : Number.NaN);
      }
    }
    options.responder.takeReceived();
    for (const { rt, fn } of warmFunctions) {
      peakMemoryBytes.set(rt.runtime, fn.maxMemoryBytes() ?? 0);
      const cpu = readProcessCpu(fn.process.pid!);
      if (cpu) functionsCpuMs += totalCpuMs(cpu);
    }
  } finally {
    await Promise.all(warmFunctions.map(({ fn }) => fn.stop()));
  }
  const ownCpu = process.cpuUsage(ownCpuBefore);
  const load = machineLoadSince(machineBefore, (ownCpu.user + ownCpu.system) / 1000 + functionsCpuMs);

  const figures: RuntimeFigures[] = [];
  for (const rt of runtimes) {
    const warmMoto = await measureMoto(rt, { ...options, event });
    const s = of(rt);
    figures.push({
      runtime: rt.runtime,
      version: rt.version,
      cold: summarizeSamples(s.cold),
      init: summarizeSamples(s.init),
      warm: summarizeSamples(s.warm),
      // Where /proc told nothing (not Linux), no CPU figures rather than columns of dashes.
      ...(cpuSource ? { coldCpu: summarizeSamples(s.coldCpu), warmCpu: summarizeSamples(s.warmCpu) } : {}),
      warmMoto: summarizeSamples(warmMoto),
      peakMemoryBytes: peakMemoryBytes.get(rt.runtime) ?? 0,
    });
  }
  return { runtimes: figures, coldRounds: rounds, cpuSource, load };
}

/** Each twin's pairwise cold-start ratios to Rust, against its goal. */
function coldChecks(runtimes: LocalRuntime[], of: (rt: LocalRuntime) => { cold: number[] }) {
  const rust = runtimes.find((rt) => rt.runtime === 'rust');
  if (!rust) return [];
  return runtimes
    .filter((rt) => rt !== rust)
    .map((rt) => ({ spread: spreadOf(pairwiseRatios(of(rt).cold, of(rust).cold)), target: COLD_START_TARGETS[rt.runtime] }));
}

/** Warm batches against moto, for realism: a process of its own, one batch to warm it, then `runs`. */
async function measureMoto(rt: LocalRuntime, options: LocalBenchOptions & { event: Buffer }): Promise<number[]> {
  const { runs, event } = options;
  const warmMoto: number[] = [];
  const fn = await start(rt, options.moto[rt.runtime]);
  try {
    options.onProgress(`${rt.runtime}: warm batches against moto`);
    await options.drainMoto(rt.runtime);
    for (let run = 0; run <= runs; run++) {
      throwIfAborted(options.signal);
      const { durationMs } = await invoke(rt, fn, event);
      // The first batch warms the process; each one must have sent a message per record.
      if (run > 0) warmMoto.push(durationMs);
      const sent = await options.drainMoto(rt.runtime);
      if (sent !== options.customers.length)
        throw new UserError(`${rt.runtime}: moto's queue got ${sent} messages for ${options.customers.length} records`);
    }
  } finally {
    await fn.stop();
  }
  return warmMoto;
}

async function start(rt: LocalRuntime, queue: QueueTarget): Promise<LocalFunction> {
  const functionName = rt.fn.functionName ?? rt.fn.logicalId;
  // Only what a function in Lambda would have: no credentials or profile of the user's.
  const caller = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...awsEnv(queue.endpoint), QUEUE_URL: queue.queueUrl };
  const { env } = lambdaEnvironment({ fn: rt.fn, functionName, taskRoot: rt.taskRoot, caller });
  return LocalFunction.start({
    command: rt.command,
    args: rt.args,
    cwd: rt.taskRoot,
    env: { ...env, ...rt.extraEnv },
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    timeoutMs: rt.fn.timeout * 1000,
  });
}

type Answered = Extract<LocalInvocation, { outcome: 'response' }>;

/** One invocation that must succeed with no failed records. */
async function invoke(rt: LocalRuntime, fn: LocalFunction, event: unknown): Promise<Answered> {
  const result = await fn.invoke(event);
  const problem = answerProblem(result);
  if (problem) {
    const output = result.logs
      .filter((line) => line.trim())
      .slice(-3)
      .join(' | ');
    throw new UserError(`${rt.runtime} (${rt.fn.logicalId}): ${problem}${output ? ` — its last output: ${output}` : ''}`);
  }
  return result as Answered;
}

function answerProblem(result: LocalInvocation): string | undefined {
  switch (result.outcome) {
    case 'response': {
      let failures: unknown;
      try {
        failures = (JSON.parse(result.payload.toString('utf8')) as { batchItemFailures?: unknown }).batchItemFailures;
      } catch {
        return `answered with something other than JSON: ${result.payload.toString('utf8').slice(0, 120)}`;
      }
      if (!Array.isArray(failures)) return 'answered without a batchItemFailures list';
      if (failures.length > 0) return `reported ${failures.length} failed records (first: ${JSON.stringify(failures[0])})`;
      return undefined;
    }
    case 'error':
      return `failed: ${result.errorType}: ${result.errorMessage.trim()}`;
    case 'init-error':
      return `failed to initialise: ${result.errorType}: ${result.errorMessage.trim()}`;
    case 'timeout':
      return `timed out after ${result.timeoutMs} ms`;
    case 'init-timeout':
      return `never asked for an event (init took over ${result.timeoutMs} ms)`;
    case 'exited':
      return result.spawnError ? `could not start: ${result.spawnError}` : `exited (${result.signal ?? `code ${result.exitCode}`})`;
  }
}

/** The batch's messages as the reference model predicts them: one per record, by record index. */
export function checkMessages(
  runtime: Runtime,
  received: { id: string; body: string }[],
  options: Pick<LocalBenchOptions, 'model' | 'customers'>,
): void {
  const { model, customers } = options;
  // Declared `never` so that a call narrows like a throw.
  const fail: (why: string) => never = (why) => {
    throw new UserError(`${runtime}: its SQS messages differ from the model's predictions: ${why}`);
  };
  if (received.length !== customers.length) fail(`${received.length} messages for ${customers.length} records`);
  const byId = new Map(received.map((message) => [message.id, message.body]));
  for (const [index, customer] of customers.entries()) {
    const body = byId.get(String(index));
    if (body === undefined) fail(`no message with id ${index}`);
    const expected = score(model, customer);
    let got: Record<string, unknown>;
    try {
      got = JSON.parse(body) as Record<string, unknown>;
    } catch {
      fail(`message ${index} is not JSON: ${body.slice(0, 80)}`);
    }
    const keys = Object.keys(got).join(',');
    if (keys !== 'customer_id,probability,label,model_version') fail(`message ${index} has keys ${keys}`);
    if (got.customer_id !== customer.customer_id) fail(`message ${index} is for ${String(got.customer_id)}, not ${customer.customer_id}`);
    if (got.model_version !== model.version) fail(`message ${index} names model ${String(got.model_version)}`);
    if (typeof got.probability !== 'number' || Math.abs(got.probability - expected.probability) > 1e-9) {
      fail(`message ${index}: probability ${String(got.probability)}, expected ${expected.probability}`);
    }
    if (got.label !== expected.label) fail(`message ${index}: label ${String(got.label)}, expected ${expected.label}`);
  }
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
