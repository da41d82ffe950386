/**
 * `lambda-kit bench --local`, the measuring: each runtime's function runs on this machine under
 * our Runtime API emulator, one process per execution environment, as in Lambda.
 *
 * - Cold starts: a fresh process per sample, timed from spawn to its first response (the first
 *   batch included), against the zero-latency SQS responder.
 * - Warm batches: the last of those processes goes on serving the same batch, `runs` times.
 *   Its peak RSS after them is the runtime's memory figure.
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
import { summarizeSamples } from './report.js';
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
  coldRuns: number;
  /** The zero-latency responder, and what it received since the last call (then forgotten). */
  responder: QueueTarget & { takeReceived(): { id: string; body: string }[] };
  /** moto's queue for each runtime, so that each one's message count can be checked. */
  moto: Record<Runtime, QueueTarget>;
  /** How many messages moto's queue for `runtime` holds; it is emptied for the next run. */
  drainMoto(runtime: Runtime): Promise<number>;
  onProgress(line: string): void;
  signal?: AbortSignal;
}

export async function measureLocal(options: LocalBenchOptions): Promise<RuntimeFigures[]> {
  // Serialised once: the emulator's own work per invocation stays out of every figure alike.
  const event = Buffer.from(JSON.stringify(options.event));
  const figures: RuntimeFigures[] = [];
  for (const runtime of options.runtimes) figures.push(await measureRuntime(runtime, { ...options, event }));
  return figures;
}

async function measureRuntime(rt: LocalRuntime, options: LocalBenchOptions): Promise<RuntimeFigures> {
  const { runs, coldRuns, event, onProgress } = options;
  const cold: number[] = [];
  const init: number[] = [];
  const warm: number[] = [];
  const warmMoto: number[] = [];
  let peakMemoryBytes = 0;

  for (let i = 1; i <= coldRuns; i++) {
    throwIfAborted(options.signal);
    onProgress(`${rt.runtime}: cold start ${i}/${coldRuns}`);
    options.responder.takeReceived();
    const fn = await start(rt, options.responder);
    try {
      const first = await invoke(rt, fn, event);
      cold.push(first.completedAt - fn.spawnedAt);
      if (first.initDurationMs !== undefined) init.push(first.initDurationMs);
      if (i === 1) checkMessages(rt.runtime, options.responder.takeReceived(), options);
      if (i < coldRuns) continue;

      // The last cold process stays warm: its invocations are the warm figures.
      for (let run = 1; run <= runs; run++) {
        throwIfAborted(options.signal);
        if (run === 1 || run % 10 === 0) onProgress(`${rt.runtime}: warm batch ${run}/${runs}`);
        warm.push((await invoke(rt, fn, event)).durationMs);
      }
      options.responder.takeReceived();
      peakMemoryBytes = fn.maxMemoryBytes() ?? 0;
    } finally {
      await fn.stop();
    }
  }

  const fn = await start(rt, options.moto[rt.runtime]);
  try {
    onProgress(`${rt.runtime}: warm batches against moto`);
    await options.drainMoto(rt.runtime);
    for (let run = 0; run <= runs; run++) {
      throwIfAborted(options.signal);
      const { durationMs } = await invoke(rt, fn, event);
      // The first batch warms the process; each one must have sent a message per record.
      if (run > 0) warmMoto.push(durationMs);
      const sent = await options.drainMoto(rt.runtime);
      if (sent !== options.customers.length) throw new UserError(`${rt.runtime}: moto's queue got ${sent} messages for ${options.customers.length} records`);
    }
  } finally {
    await fn.stop();
  }

  return {
    runtime: rt.runtime,
    version: rt.version,
    cold: summarizeSamples(cold),
    init: summarizeSamples(init),
    warm: summarizeSamples(warm),
    warmMoto: summarizeSamples(warmMoto),
    peakMemoryBytes,
  };
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
    const output = result.logs.filter((line) => line.trim()).slice(-3).join(' | ');
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
export function checkMessages(runtime: Runtime, received: { id: string; body: string }[], options: Pick<LocalBenchOptions, 'model' | 'customers'>): void {
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
