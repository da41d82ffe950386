/**
 * `lambda-kit bench --remote`, the measuring: the deployed functions, as Lambda itself reports
 * them in each invocation's REPORT line. As the lambda-perf project does, each round forces a
 * cold start by changing the function's configuration (one environment variable, a nonce), which
 * makes Lambda throw away its execution environments; then it invokes twice: the first is the
 * cold start, the second a warm invocation of the environment that start created.
 *
 * The user's environment variables are kept in every update, and restored at the end however
 * the bench ends. Figures of failing invocations would measure the wrong thing, so a function
 * error or a failed record stops the bench.
 */
import { randomUUID } from 'node:crypto';
import {
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  UpdateFunctionConfigurationCommand,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { UserError } from '../../errors.js';
import { awsError, clientConfig, message, where, type AwsOptions } from '../../aws/clients.js';
import { parseLogTail, type Report } from '../../aws/report.js';
import { summarizeSamples } from './report.js';
import type { Runtime, RuntimeFigures } from './figures.js';

/** The variable whose every new value is a configuration change, hence a cold start. */
export const NONCE_VARIABLE = 'LAMBDA_KIT_BENCH_NONCE';

export interface RemoteFunction {
  runtime: Runtime;
  /** The physical name (or ARN), as the stack has it. */
  functionName: string;
}

export interface RemoteBenchOptions {
  functions: RemoteFunction[];
  /** The batch every invocation gets. */
  event: unknown;
  /** Rounds per function: each is one cold and one warm invocation. */
  invocations: number;
  aws: AwsOptions;
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
  /** How long a configuration update may take to apply. Default 5 minutes. */
  updateTimeoutMs?: number;
}

const MB = 1_048_576;

export async function measureRemote(options: RemoteBenchOptions): Promise<RuntimeFigures[]> {
  const client = new LambdaClient(clientConfig(options.aws));
  // One encoding for every invocation: the batch is the same each time.
  const payload = Buffer.from(JSON.stringify(options.event));
  try {
    const lambdas = options.functions.map((fn) => new Lambda(client, fn, options));
    // Each function is there and readable before any is changed: a wrong name or a missing
    // permission fails in a second, not after minutes of measuring the others.
    for (const lambda of lambdas) await lambda.configuration(options.signal);
    const figures: RuntimeFigures[] = [];
    for (const lambda of lambdas) figures.push(await measureFunction(lambda, payload, options));
    return figures;
  } finally {
    client.destroy();
  }
}

async function measureFunction(lambda: Lambda, payload: Uint8Array, options: RemoteBenchOptions): Promise<RuntimeFigures> {
  const { invocations, signal } = options;
  const { fn } = lambda;
  const progress = (line: string) => options.onProgress?.(`${fn.runtime} (${fn.functionName}): ${line}`);

  throwIfAborted(signal);
  // Another update (a deploy) may still be applying: wait for it, then read what it left.
  const configuration = await lambda.waitForUpdate(signal);
  // A nonce left by a bench that was killed is not the user's: it goes too.
  const { [NONCE_VARIABLE]: _stale, ...original } = configuration.Environment?.Variables ?? {};
  const version = configuration.Runtime ?? (configuration.PackageType === 'Image' ? 'container image' : 'unknown runtime');

  const cold: number[] = [];
  const init: number[] = [];
  const warm: number[] = [];
  let peakMemoryMb = 0;
  let changed = false;
  let failure: unknown;
  try {
    for (let round = 1; round <= invocations; round++) {
      throwIfAborted(signal);
      changed = true;
      await lambda.setVariables({ ...original, [NONCE_VARIABLE]: randomUUID() }, signal);
      await lambda.waitForUpdate(signal);

      const first = await lambda.invoke(payload, signal);
      const second = await lambda.invoke(payload, signal);
      const parts: string[] = [];
      if (!first) parts.push("no REPORT line in the cold invocation's log tail: sample skipped");
      // Without an Init Duration the invocation did not start an environment (provisioned
      // concurrency, or an init Lambda folded into the invocation): it is no cold start sample.
      else if (first.initDurationMs === undefined)
        parts.push('the first invocation after the update reported no Init Duration: sample skipped');
      else {
        cold.push(first.initDurationMs + first.durationMs);
        init.push(first.initDurationMs);
        parts.push(`cold ${ms(first.initDurationMs + first.durationMs)} (init ${ms(first.initDurationMs)})`);
      }
      if (!second) parts.push("no REPORT line in the warm invocation's log tail: sample skipped");
      else if (second.initDurationMs !== undefined)
        parts.push('the second invocation started an environment of its own: warm sample skipped');
      else {
        warm.push(second.durationMs);
        parts.push(`warm ${ms(second.durationMs)}`);
      }
      for (const report of [first, second]) if (report) peakMemoryMb = Math.max(peakMemoryMb, report.maxMemoryUsedMb);
      progress(`round ${round}/${invocations}: ${parts.join(', ')}`);
    }
  } catch (error) {
    failure = error;
  }

  if (changed) {
    try {
      await lambda.restore(original);
    } catch (error) {
      const problem = `could not restore the environment variables of ${fn.functionName}: ${message(error)}`;
      // The bench's own failure is what the user must read first; this one then is a note.
      if (failure !== undefined) progress(problem);
      else
        failure = new UserError(problem, {
          hint: `It still has ${NONCE_VARIABLE}, which is harmless; remove it in the console or with a deploy.`,
        });
    }
  }
  if (failure !== undefined) throw failure;

  if (cold.length === 0 || warm.length === 0) {
    throw new UserError(
      `${fn.runtime} function ${fn.functionName}: no ${cold.length === 0 ? 'cold' : 'warm'} invocation left a REPORT line to read in its log tail`,
      {
        // The REPORT comes last, so the 4 KB cut rarely loses it; a log level that drops it does.
        hint: 'With LoggingConfig LogFormat JSON, Lambda writes it only when SystemLogLevel is INFO or DEBUG.',
      },
    );
  }
  return {
    runtime: fn.runtime,
    version,
    cold: summarizeSamples(cold),
    init: summarizeSamples(init),
    warm: summarizeSamples(warm),
    peakMemoryBytes: peakMemoryMb * MB,
  };
}

/** One function's calls, each AWS error turned into a one-line UserError naming it. */
class Lambda {
  readonly fn: RemoteFunction;
  readonly #client: LambdaClient;
  readonly #name: string;
  readonly #label: string;
  readonly #options: RemoteBenchOptions;

  constructor(client: LambdaClient, fn: RemoteFunction, options: RemoteBenchOptions) {
    this.fn = fn;
    this.#client = client;
    this.#name = fn.functionName;
    this.#label = `${fn.runtime} function ${fn.functionName}`;
    this.#options = options;
  }

  /** One request's outcome; aborted through `signal`, it rejects with the signal's reason. */
  async #outcome<T>(request: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    try {
      return await request;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw this.#explain(error);
    }
  }

  #explain(error: unknown): unknown {
    const name = (error as { name?: string })?.name ?? '';
    const explained = awsError(error, {
      notFound: () =>
        new UserError(`function ${this.#name} does not exist${where(this.#options.aws)}`, {
          hint: 'Deploy the stack again, or check --region.',
        }),
    });
    if (name === 'AccessDeniedException' && explained instanceof UserError) {
      return new UserError(explained.message, {
        hint: 'The bench needs lambda:GetFunctionConfiguration, lambda:UpdateFunctionConfiguration and lambda:InvokeFunction on the functions.',
      });
    }
    if (name === 'ResourceConflictException')
      return new UserError(`${this.#label} is being changed by someone else: ${message(error)}`, {
        hint: 'Try again when the deploy is done.',
      });
    return explained;
  }

  /** Only the environment changes; every other setting stays as it is. */
  setVariables(variables: Record<string, string>, signal?: AbortSignal): Promise<unknown> {
    const command = new UpdateFunctionConfigurationCommand({ FunctionName: this.#name, Environment: { Variables: variables } });
    return this.#outcome(this.#client.send(command, { abortSignal: signal }), signal);
  }

  /** Polls until the last update has applied: its configuration then, or an error if it failed. */
  async waitForUpdate(signal?: AbortSignal): Promise<FunctionConfiguration> {
    const configuration = await this.#settled(signal);
    if (configuration.LastUpdateStatus === 'Failed') {
      const reason = [configuration.LastUpdateStatusReasonCode, configuration.LastUpdateStatusReason].filter(Boolean).join(': ');
      throw new UserError(`updating the configuration of ${this.#label} failed${reason ? `: ${reason}` : ''}`);
    }
    return configuration;
  }

  configuration(signal?: AbortSignal): Promise<FunctionConfiguration> {
    const command = new GetFunctionConfigurationCommand({ FunctionName: this.#name });
    return this.#outcome(this.#client.send(command, { abortSignal: signal }), signal);
  }

  /** The configuration once no update is in progress (the last one succeeded or failed). */
  async #settled(signal?: AbortSignal): Promise<FunctionConfiguration> {
    const timeoutMs = this.#options.updateTimeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    // An environment update usually takes a second or two: poll often at first, then less.
    for (let delay = 250; ; delay = Math.min(delay * 1.5, 2000)) {
      const configuration = await this.configuration(signal);
      if (configuration.LastUpdateStatus !== 'InProgress') return configuration;
      if (Date.now() + delay > deadline) {
        throw new UserError(`the configuration update of ${this.#label} did not apply within ${Math.round(timeoutMs / 1000)} s`);
      }
      await sleep(delay, signal);
    }
  }

  /**
   * One synchronous invocation; its REPORT, or undefined when the log tail lost it. A function
   * error or a failed record is a UserError: those figures are not the function's.
   */
  async invoke(payload: Uint8Array, signal?: AbortSignal): Promise<Report | undefined> {
    const command = new InvokeCommand({ FunctionName: this.#name, Payload: payload, LogType: 'Tail', InvocationType: 'RequestResponse' });
    const response = await this.#outcome(this.#client.send(command, { abortSignal: signal }), signal);
    const text = Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8');
    if (response.FunctionError) throw new UserError(`${this.#label} failed (${response.FunctionError}): ${describeError(text)}`);
    let failures: unknown;
    try {
      failures = (JSON.parse(text) as { batchItemFailures?: unknown } | null)?.batchItemFailures;
    } catch {
      throw new UserError(`${this.#label} answered with something other than JSON: ${oneLine(text)}`);
    }
    if (Array.isArray(failures) && failures.length > 0) {
      throw new UserError(
        `${this.#label} reported ${failures.length} failed record${failures.length === 1 ? '' : 's'} (first: ${oneLine(JSON.stringify(failures[0]))})`,
        {
          hint: 'Its log (lambda-kit logs) says why.',
        },
      );
    }
    return parseLogTail(response.LogResult).report;
  }

  /** Back to the user's variables, even after an abort: never with the caller's signal. */
  async restore(variables: Record<string, string>): Promise<void> {
    // An update still applying (the abort came while waiting) would refuse the next one; a
    // failed one leaves the function as it was, ready for this one.
    await this.#settled();
    await this.setVariables(variables);
    await this.waitForUpdate();
  }
}

/** Lambda's error document, `{"errorType": …, "errorMessage": …}`, as one line. */
function describeError(text: string): string {
  try {
    const { errorType, errorMessage } = JSON.parse(text) as { errorType?: unknown; errorMessage?: unknown };
    if (typeof errorMessage === 'string') return oneLine(typeof errorType === 'string' ? `${errorType}: ${errorMessage}` : errorMessage);
  } catch {
    // Not JSON: the raw text says it.
  }
  return oneLine(text) || 'no error document';
}

function oneLine(text: string): string {
  const line = text.trim().split('\n')[0]!.trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

const ms = (value: number) => `${value.toFixed(2)} ms`;

function sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason;
}
