/**
 * lambda-kit dev [--port 3000] [--env KEY=VALUE]... [--function <id>] [--source <target>]: the
 * edit → run loop. It builds a debug binary with cargo lambda, runs it under the Runtime API
 * emulator, serves the template's API routes and Lambda's Invoke API on 127.0.0.1 (or, for a
 * queue, stream or bucket trigger, polls the source as the event source mapping would), and on
 * every change to src/, Cargo.toml or template.yaml rebuilds and swaps the function while the
 * server stays up. A failed build shows cargo's errors and leaves the last good build serving.
 *
 * A signal stops the build, the function's process group and the server, then exits 130
 * (SIGINT), 143 (SIGTERM) or 129 (SIGHUP).
 */
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stripVTControlCharacters } from 'node:util';
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT, UserError, usageError } from '../../errors.js';
import { abortOnTerminationSignals, SIGNAL_EXIT, terminationSignalOf } from '../termination-signals.js';
import { compactLogLine } from '../../aws/log-line.js';
import { apiRoutesOf, routeKeyOf, type ApiRoute } from '../../dev/api-routes.js';
import { describeFailure, startDevServer, type DevServer } from '../../dev/dev-server.js';
import { runSource } from '../../dev/sources/run-source.js';
import { runSchedule } from '../../dev/sources/schedule-source.js';
import { checkTimeZone, parseSchedule } from '../../dev/sources/schedule-times.js';
import { type ScheduleSettings, schedulesOf } from '../../dev/sources/schedule-settings.js';
import { eventSourcesOf, type EventSourceSettings } from '../../dev/sources/source-settings.js';
import { FunctionHost } from '../../dev/function-host.js';
import { lockProjectForDev, type ProjectLock } from '../../dev/project-lock.js';
import { watchSources } from '../../dev/source-watcher.js';
import { hostArchitecture } from '../../project/binary.js';
import { parseCfnYaml } from '../../project/cfn-yaml.js';
import { isRustFunction, loadProject, pickFunction, stackNameOf, type LambdaFunction, type Project } from '../../project/project.js';
import { lambdaEnvironment, parseEnvAssignments } from '../../runtime-api/lambda-env.js';
import { RecordingAws } from '../../runtime-api/recording-aws.js';
import { describeStandIns, giveRegion, type LocalStandIns, planStandIns, printRecordedCall, recordLocally } from '../local-stand-ins.js';
import { LocalFunction } from '../../runtime-api/local-function.js';
import { showable, showableLine } from '../../text/terminal-text.js';
import { cargoLambdaArtifacts, cargoLambdaPlan, runBuild } from '../../tools/build.js';
import { sharedBuildEnvironment } from '../../tools/cargo-cache.js';

const PROGRAM = 'lambda-kit dev';

/** Lambda stops an init that takes longer than this. */
const LAMBDA_INIT_LIMIT_MS = 10_000;
/** A request that comes during a rebuild waits this long for it, then the last good build answers. */
const BUILD_WAIT_MS = 240_000;
/** A save is a burst of file events: the rebuild starts once they have been quiet this long. */
const QUIET_MS = 250;
/** How long stopping may wait for the build to end after its process group was signalled, and for the poller. */
const BUILD_STOP_WAIT_MS = 5000;

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  env: { type: 'string', multiple: true },
  function: { type: 'string', short: 'f' },
  source: { type: 'string' },
  'fire-now': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Run the function locally behind its trigger, rebuilding it on every change.

Usage: lambda-kit dev [options]

Builds a debug binary (cargo lambda build), runs it under lambda-kit's Runtime API emulator,
and serves on http://127.0.0.1:<port>:
  - the template's API routes (HttpApi and Api events, {param} and {proxy+} paths): each
    request becomes the event API Gateway sends (HTTP API payload 2.0, REST API payload 1.0)
    and the function's answer becomes the response; an unknown route is a 404, as in API Gateway;
  - Lambda's Invoke API, for the AWS CLI and SDKs:
      aws lambda invoke --endpoint-url http://127.0.0.1:<port> --function-name AppFunction out.json
For an SQS, Kinesis, DynamoDB Streams or S3 trigger, dev acts as the event source mapping
instead: it polls the queue, stream or bucket (--source, else the deployed stack's) with the
template's BatchSize, MaximumBatchingWindowInSeconds and ReportBatchItemFailures (and, for the
streams, StartingPosition, MaximumRetryAttempts and BisectBatchOnFunctionError).
For a schedule (ScheduleV2) trigger, dev runs the function as EventBridge Scheduler would: at
each time of its rate, cron or at expression, in its time zone, with its Input (the scheduled
time and the other <aws.scheduler.…> keywords filled in); Enter (or --fire-now) runs it now.
Every change to src/, Cargo.toml or template.yaml rebuilds the function; requests made during
the rebuild wait for it. A failed build shows cargo's errors and the last good build answers.
IAM and JWT authorizers are not checked locally; a Bearer JWT's claims are decoded, unverified,
into the request context. The environment is set as for lambda-kit invoke.

Options:
  -p, --port <port>        the port to listen on, on 127.0.0.1 (default: 3000; 0 picks a free one)
      --env KEY=VALUE      set an environment variable for the function (repeatable)
  -f, --function <id>      the function's logical id in template.yaml (default: the only one)
      --source <target>    for a queue, stream or bucket trigger: the queue URL, stream ARN (for
                           DynamoDB, or the table's name) or bucket name to poll (default: the
                           deployed stack's; AWS_ENDPOINT_URL points at a stand-in such as moto)
      --fire-now           for a schedule trigger: run it once as soon as it is built, besides
                           on its schedule (Enter in dev's terminal runs it too)
  -h, --help               show this help

Exit codes: 0 never (dev runs until stopped), 1 it could not start, 2 bad options,
130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (the build and the function are stopped too).
`;

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const port = portOf(values.port);
  const assignments = parseEnvAssignments(values.env ?? []);
  if (assignments.invalid !== undefined) throw usageError(`--env takes KEY=VALUE, not '${showableLine(assignments.invalid, 60)}'.`);

  const project = await loadProject();
  const fn = pickFunction(project, values.function);
  if (!isRustFunction(fn)) throw new UserError(`lambda-kit dev runs Rust functions, and ${fn.logicalId} is ${fn.runtime ?? 'not one'}.`);
  const template = parseCfnYaml(await readFile(project.templatePath, 'utf8'));
  const routes = apiRoutesOf(template, fn.logicalId);
  if (routes.length > 0) {
    if (values.source !== undefined)
      throw usageError(`--source names a queue, stream or bucket, and ${fn.logicalId} is triggered by an API.`);
    if (values['fire-now']) throw usageError(`--fire-now runs a schedule, and ${fn.logicalId} is triggered by an API.`);
    return new DevSession(project, fn, { routes }, port, assignments.values).run();
  }
  const spec = eventSourcesOf(template, fn.logicalId).find((source) => source.enabled);
  if (spec) {
    if (values['fire-now']) throw usageError(`--fire-now runs a schedule, and ${fn.logicalId} is triggered by ${spec.eventName}.`);
    const target = values.source ?? (await deployedSource(project, spec));
    return new DevSession(project, fn, { source: { spec, target } }, port, assignments.values).run();
  }
  const [schedule] = schedulesOf(template, fn.logicalId, stackNameOf(project, undefined));
  if (schedule) {
    if (values.source !== undefined) throw usageError(`--source names a queue, stream or bucket, and ${fn.logicalId} runs on a schedule.`);
    // Refused before anything starts: an expression or time zone Scheduler would refuse.
    parseSchedule(schedule.expression);
    checkTimeZone(schedule.timeZone);
    return new DevSession(
      project,
      fn,
      { schedule: { settings: schedule, fireNow: values['fire-now'] === true } },
      port,
      assignments.values,
    ).run();
  }
  throw new UserError(
    `${fn.logicalId} has no trigger lambda-kit dev emulates (HttpApi, Api, SQS, Kinesis, DynamoDB, S3 or ScheduleV2 events in template.yaml).`,
    { hint: 'Run it on an event with lambda-kit invoke --event.' },
  );
}

const SOURCE_FLAG: Record<EventSourceSettings['kind'], string> = {
  sqs: '--source <queue URL>',
  kinesis: '--source <stream ARN>',
  dynamodb: '--source <stream ARN | table name>',
  s3: '--source <bucket name>',
};

/** The source of the deployed stack, when the template names one of its resources. */
async function deployedSource(project: Project, spec: EventSourceSettings): Promise<string> {
  const flag = SOURCE_FLAG[spec.kind];
  const hint = `Deploy the stack first, or name the source with ${flag} (one on moto, for instance).`;
  if (spec.source === undefined)
    throw new UserError(`${spec.eventName} in template.yaml names no source lambda-kit can read`, { hint: `Pass ${flag}.` });
  if ('literal' in spec.source) return spec.source.literal;
  const { physicalIdOf } = await import('../../aws/stack-resource.js');
  const target = await physicalIdOf(stackNameOf(project, undefined), spec.source.logicalId, hint);
  note(`${spec.eventName}: ${spec.source.logicalId} of stack ${stackNameOf(project, undefined)} is ${target}`);
  return target;
}

function portOf(flag: string | undefined): number {
  if (flag === undefined) return 3000;
  const port = /^\d{1,5}$/.test(flag) ? Number(flag) : NaN;
  if (!(port >= 0 && port <= 65_535)) throw usageError(`--port takes a port number from 0 to 65535, not '${showableLine(flag, 40)}'.`);
  return port;
}

async function readRoutes(project: Project, fn: LambdaFunction): Promise<ApiRoute[]> {
  return apiRoutesOf(parseCfnYaml(await readFile(project.templatePath, 'utf8')), fn.logicalId);
}

/** What triggers the function under dev: API routes served on the port, a source dev polls, or a schedule dev keeps. */
type Trigger =
  | { routes: ApiRoute[] }
  | { source: { spec: EventSourceSettings; target: string } }
  | { schedule: { settings: ScheduleSettings; fireNow: boolean } };

/** One run of dev: the server, the function, the watcher and the build loop, until a signal. */
class DevSession {
  #project: Project;
  #fn: LambdaFunction;
  #routes: ApiRoute[];
  #trigger: Trigger;
  #port: number;
  #overrides: Record<string, string>;
  #interrupt = new AbortController();
  #host: FunctionHost;
  /** Where each good build's binary is copied to run from: cargo may rewrite its own while ours runs. */
  #runDir = '';
  #generation = 0;
  #build: Promise<void> | undefined;
  #pending: string[] | undefined;
  /** The event source poller's run, and what ended it when it was not dev stopping. */
  #polling: Promise<void> | undefined;
  #sourceFailure: unknown;
  /** What the shared build cache had to say, said once per session. */
  #cacheMessages = new Set<string>();
  /** The region and placeholders every launch of the function gets, and the recorder of its AWS calls when there are placeholders. */
  #standIns: LocalStandIns | undefined;
  #recorder: RecordingAws | undefined;

  constructor(project: Project, fn: LambdaFunction, trigger: Trigger, port: number, overrides: Record<string, string>) {
    this.#project = project;
    this.#fn = fn;
    this.#trigger = trigger;
    this.#routes = 'routes' in trigger ? trigger.routes : [];
    this.#port = port;
    this.#overrides = overrides;
    this.#host = new FunctionHost({ launch: (binary) => this.#launch(binary), buildWaitMs: BUILD_WAIT_MS });
  }

  async run(): Promise<number> {
    const signals = abortOnTerminationSignals(this.#interrupt);
    let server: DevServer | undefined;
    let watcher: { close(): void } | undefined;
    let stopSchedule: (() => Promise<void>) | undefined;
    let lock: ProjectLock | undefined;
    try {
      this.#runDir = await mkdtemp(join(tmpdir(), 'lambda-kit-dev-'));
      server = await this.#listen();
      const base = `http://127.0.0.1:${server.port}`;
      // Before any build: a second dev in this project would rebuild into the first one's binary.
      lock = await lockProjectForDev(this.#project.dir, base);
      status(`lambda-kit dev: ${this.#fn.logicalId} on ${base}`);
      for (const route of this.#routes)
        status(`  ${routeKeyOf(route) === '$default' ? 'ANY  (every other path)' : `${route.method.padEnd(6)} ${base}${route.path}`}`);
      status(`  Invoke API: aws lambda invoke --endpoint-url ${base} --function-name ${this.#fn.logicalId} out.json`);
      if (this.#routes.length > 0)
        note('IAM and JWT authorizers are not checked locally: a Bearer JWT’s claims are decoded, unverified, into the request context.');
      const host = hostArchitecture();
      if (host && host !== this.#fn.architecture)
        note(`template.yaml builds for ${this.#fn.architecture}; dev builds for this machine (${host}) to run it here.`);
      await this.#planStandIns();
      watcher = watchSources(this.#project.dir, (files) => this.#rebuild(files), {
        quietMs: QUIET_MS,
        onProblem: (message) => warn(message),
      });
      this.#rebuild(undefined);
      if ('source' in this.#trigger) this.#poll(this.#trigger.source);
      if ('schedule' in this.#trigger) stopSchedule = this.#keepSchedule(this.#trigger.schedule);
      // A signal may have come while dev was starting: an abort listener added after it never fires.
      if (!this.#interrupt.signal.aborted)
        await new Promise((resolve) => this.#interrupt.signal.addEventListener('abort', resolve, { once: true }));
    } finally {
      watcher?.close();
      // The build's process group is signalled by the abort; wait (bounded) for it to be gone.
      await Promise.race([this.#build, new Promise((resolve) => setTimeout(resolve, BUILD_STOP_WAIT_MS).unref())]);
      await Promise.race([this.#polling, new Promise((resolve) => setTimeout(resolve, BUILD_STOP_WAIT_MS).unref())]);
      await Promise.race([stopSchedule?.(), new Promise((resolve) => setTimeout(resolve, BUILD_STOP_WAIT_MS).unref())]);
      await this.#host.stop();
      await server?.close();
      await this.#recorder?.close();
      if (this.#runDir) await rm(this.#runDir, { recursive: true, force: true });
      await lock?.release();
      signals.release();
    }
    if (this.#sourceFailure) throw this.#sourceFailure;
    const signal = terminationSignalOf(this.#interrupt.signal) ?? 'SIGINT';
    throw new UserError(`stopped by ${signal}: the build, the function and the server are stopped`, { exitCode: SIGNAL_EXIT[signal] });
  }

  /** Acts as the event source mapping until dev stops; a source that cannot be polled at all stops dev. */
  #poll({ spec, target }: { spec: EventSourceSettings; target: string }): void {
    status(
      `  ${spec.eventName}: polling ${showableLine(target, 200)} (batch size ${spec.batchSize}, window ${spec.maximumBatchingWindowInSeconds} s${spec.reportBatchItemFailures ? ', ReportBatchItemFailures' : ''})`,
    );
    const { env } = lambdaEnvironment({
      fn: this.#fn,
      functionName: this.#fn.logicalId,
      taskRoot: this.#runDir,
      caller: process.env,
      overrides: this.#overrides,
    });
    this.#polling = runSource({
      kind: spec.kind,
      target,
      batchSize: spec.batchSize,
      maximumBatchingWindowInSeconds: spec.maximumBatchingWindowInSeconds,
      reportBatchItemFailures: spec.reportBatchItemFailures,
      ...(spec.startingPosition && { startingPosition: spec.startingPosition }),
      ...(spec.startingPositionTimestamp !== undefined && { startingPositionTimestamp: spec.startingPositionTimestamp }),
      ...(spec.maximumRetryAttempts !== undefined && { maximumRetryAttempts: spec.maximumRetryAttempts }),
      ...(spec.bisectBatchOnFunctionError && { bisectBatchOnFunctionError: true }),
      ...(spec.keyFilter && { keyFilter: spec.keyFilter }),
      env,
      invoke: async (event) => {
        const result = await this.#host.invoke(Buffer.from(JSON.stringify(event)), this.#interrupt.signal);
        if (result.outcome === 'response') return { ok: true, answer: result.payload };
        return { ok: false, error: result.outcome === 'unavailable' ? result.reason : describeFailure(result) };
      },
      signal: this.#interrupt.signal,
      log: (line) => status(showableLine(line, 400)),
    }).catch((error: unknown) => {
      this.#sourceFailure = error;
      this.#interrupt.abort('source-failed');
    });
  }

  /** Runs the function on its schedule, and now on Enter (or --fire-now), until dev stops; returns how to stop listening. */
  #keepSchedule({ settings, fireNow }: { settings: ScheduleSettings; fireNow: boolean }): () => Promise<void> {
    status(
      `  ${showableLine(settings.eventName, 64)}: ${showableLine(settings.expression, 100)} in ${showableLine(settings.timeZone, 60)}; press Enter to run it now`,
    );
    if (settings.flexible) note('FlexibleTimeWindow is not emulated: dev runs each run at its scheduled time, the start of the window.');
    const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || 'us-east-1';
    const running = runSchedule({
      eventName: settings.eventName,
      expression: settings.expression,
      timeZone: settings.timeZone,
      input: settings.input,
      // The default group's, as SAM's ScheduleV2 makes it; the account is moto's and LocalStack's.
      scheduleArn: `arn:aws:scheduler:${region}:123456789012:schedule/default/${settings.name}`,
      enabled: settings.enabled,
      invoke: async (payload) => {
        const result = await this.#host.invoke(payload, this.#interrupt.signal);
        if (result.outcome === 'response') return { ok: true, answer: result.payload };
        return { ok: false, error: result.outcome === 'unavailable' ? result.reason : describeFailure(result) };
      },
      signal: this.#interrupt.signal,
      log: (line) => status(showableLine(line, 400)),
    });
    // A line on stdin (Enter at a terminal) is one run now.
    const onInput = (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 0x0a) running.fireNow();
    };
    // A terminal dev cannot read (it runs in the background) is no reason to stop: Enter is only a shortcut.
    const onInputError = () => process.stdin.off('data', onInput);
    process.stdin.on('data', onInput).on('error', onInputError);
    if (fireNow) running.fireNow();
    return async () => {
      process.stdin.off('data', onInput).off('error', onInputError);
      process.stdin.pause();
      process.stdin.destroy();
      await running.done;
    };
  }

  async #listen(): Promise<DevServer> {
    try {
      return await startDevServer({
        port: this.#port,
        routes: () => this.#routes,
        functionNames: () => [this.#fn.logicalId, ...(this.#fn.functionName ? [this.#fn.functionName] : [])],
        invoke: (event) => this.#host.invoke(event, this.#interrupt.signal),
        log: (line) => status(showableLine(line, 400)),
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UserError(`port ${this.#port} on 127.0.0.1 is in use`, { hint: 'Pick another with --port.' });
      if (code === 'EACCES')
        throw new UserError(`port ${this.#port} needs privileges to listen on`, { hint: 'Pick one above 1023 with --port.' });
      throw error;
    }
  }

  /** Starts a build now, or right after the one running (changes during a build are not lost). */
  #rebuild(files: string[] | undefined): void {
    if (this.#interrupt.signal.aborted) return;
    if (this.#build) {
      this.#pending = [...(this.#pending ?? []), ...(files ?? [])];
      return;
    }
    this.#host.beginBuild();
    this.#build = this.#buildLoop(files).finally(() => (this.#build = undefined));
  }

  async #buildLoop(first: string[] | undefined): Promise<void> {
    let files = first;
    for (;;) {
      await this.#buildOnce(files);
      if (this.#pending === undefined || this.#interrupt.signal.aborted) return;
      files = [...new Set(this.#pending)];
      this.#pending = undefined;
      this.#host.beginBuild();
    }
  }

  async #buildOnce(files: string[] | undefined): Promise<void> {
    let binary: string | undefined;
    try {
      if (files) status(`${files.map((file) => showable(file)).join(', ')} changed: rebuilding`);
      if (files?.includes('template.yaml')) await this.#reloadTemplate();
      const host = hostArchitecture() ?? this.#fn.architecture;
      const plan = cargoLambdaPlan({ ...this.#fn, architecture: host }, { debug: true });
      const started = performance.now();
      // Per build, not per session: Cargo.toml's crate name may have changed since.
      const shared = await sharedBuildEnvironment(this.#fn.codeDir);
      if (shared.message && !this.#cacheMessages.has(shared.message)) {
        this.#cacheMessages.add(shared.message);
        note(shared.message);
      }
      status(`${plan.title}…`);
      const run = await runBuild(
        plan,
        (line) => process.stderr.write(`${kleur.dim(showableLine(stripVTControlCharacters(line), 2000))}\n`),
        { ...process.env, ...shared.env },
        {
          signal: this.#interrupt.signal,
        },
      );
      if (this.#interrupt.signal.aborted) return;
      const took = `${((performance.now() - started) / 1000).toFixed(1)} s`;
      if (run.exitCode !== 0) {
        const serving = this.#host.hasBinary ? 'the last good build still answers' : 'nothing answers until a build succeeds';
        warn(`build failed after ${took} (cargo’s errors are above): ${serving}; fix and save to rebuild`);
        return;
      }
      binary = await this.#stage();
      status(kleur.green(`built in ${took}: the next request runs the new code`));
    } catch (error) {
      if (this.#interrupt.signal.aborted) return;
      warn(error instanceof UserError ? error.message : `the build could not run: ${(error as Error).message}`);
    } finally {
      this.#host.endBuild(binary);
    }
  }

  /** A changed template.yaml: its routes and the function's settings, or the old ones and why not. */
  async #reloadTemplate(): Promise<void> {
    try {
      const project = await loadProject(this.#project.dir);
      const fn = pickFunction(project, this.#fn.logicalId);
      const routes = await readRoutes(project, fn);
      if ('routes' in this.#trigger && routes.length === 0) throw new UserError(`${fn.logicalId} has no HttpApi or Api event left`);
      this.#project = project;
      this.#fn = fn;
      this.#routes = routes;
      if ('routes' in this.#trigger) status(`template.yaml reloaded: ${routes.map(routeKeyOf).join(', ')}`);
      else
        status(
          'template.yaml reloaded: the function’s settings apply from the next build; a change to the event source needs a restart of dev',
        );
    } catch (error) {
      warn(`template.yaml not reloaded, the previous one still applies: ${(error as Error).message}`);
    }
  }

  /** Copies the binary cargo lambda built to a path of its own, for this generation. */
  async #stage(): Promise<string> {
    const artifacts = await cargoLambdaArtifacts(this.#fn);
    const artifact = artifacts.find((path) => basename(dirname(path)) === this.#project.packageName) ?? artifacts[0];
    if (!artifact) throw new UserError(`cargo lambda build built no binary for ${this.#fn.logicalId}`);
    const staged = join(this.#runDir, `bootstrap-${++this.#generation}`);
    await copyFile(artifact, staged);
    // The one before the last may still be starting; older ones run nowhere any more.
    if (this.#generation > 2) await rm(join(this.#runDir, `bootstrap-${this.#generation - 2}`), { force: true });
    return staged;
  }

  /**
   * As lambda-kit invoke does: the function always gets a region, and the variables naming the
   * template's own resources that nobody set get placeholders, with its AWS calls recorded here
   * and shown as they happen, so a first dev needs no deployed stack and no --env.
   */
  async #planStandIns(): Promise<void> {
    const { env, unresolved } = this.#functionEnvironment();
    this.#standIns = await planStandIns(env, unresolved, this.#project);
    for (const line of describeStandIns(this.#standIns, ' (and AWS_ENDPOINT_URL for moto or LocalStack)')) note(line);
    if (this.#standIns.standIns.length > 0) this.#recorder = await RecordingAws.start({ onCall: printRecordedCall });
  }

  #functionEnvironment() {
    return lambdaEnvironment({
      fn: this.#fn,
      functionName: this.#fn.functionName ?? this.#fn.logicalId,
      taskRoot: this.#runDir,
      caller: process.env,
      overrides: this.#overrides,
    });
  }

  async #launch(binary: string): Promise<LocalFunction> {
    const fn = this.#fn;
    const functionName = fn.functionName ?? fn.logicalId;
    const { env } = this.#functionEnvironment();
    const plan = this.#standIns!;
    giveRegion(env, plan.region);
    if (this.#recorder) recordLocally(env, this.#recorder, plan.standIns);
    return LocalFunction.start({
      command: binary,
      cwd: this.#runDir,
      env,
      functionArn: `arn:aws:lambda:${plan.region}:123456789012:function:${functionName}`,
      timeoutMs: fn.timeout * 1000,
      initTimeoutMs: LAMBDA_INIT_LIMIT_MS,
      onLog: printLogLine,
    });
  }
}

function status(text: string): void {
  process.stderr.write(`${text}\n`);
}

function note(text: string): void {
  process.stderr.write(`${kleur.dim(text)}\n`);
}

function warn(text: string): void {
  process.stderr.write(`${kleur.yellow(showableLine(text, 2000))}\n`);
}

const LEVEL_COLOUR: Record<string, (s: string) => string> = { ERROR: kleur.red, WARN: kleur.yellow, INFO: kleur.green, DEBUG: kleur.blue };

/** A line the function wrote, as lambda-kit invoke shows it: its level, its message, control characters escaped. */
function printLogLine(line: string): void {
  if (!line.trim()) return;
  const { level, text } = compactLogLine(line);
  const shownLevel = level === undefined ? undefined : showable(level);
  const shown = showableLine(text);
  process.stderr.write(
    `${kleur.dim('│')} ${shownLevel ? `${(LEVEL_COLOUR[shownLevel] ?? kleur.white)(shownLevel.padEnd(5))} ${shown}` : shown}\n`,
  );
}
