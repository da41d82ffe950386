/**
 * lambda-kit invoke [--event <file>] [--function <LogicalId>] [--env KEY=VALUE] [--remote]:
 * sends an event to the function and shows what it answered, how long it took and what it
 * logged. Locally (the default) the built binary runs under our Lambda Runtime API emulator,
 * without Docker; with --remote the deployed function is invoked through the Lambda API.
 *
 * The answer goes to stdout, so `lambda-kit invoke > out.json` keeps it; logs, timings and
 * errors go to stderr. What the function wrote or answered is shown with its control characters
 * escaped (src/text/terminal-text.ts); only a non-JSON answer written to a pipe or a file is
 * left byte for byte as the function sent it.
 */
import { dirname, isAbsolute, relative } from 'node:path';
import kleur from 'kleur';
import { parseCommandFlags } from '../../command-line.js';
import { EXIT, UserError, usageError } from '../../errors.js';
import { compactLogLine } from '../../aws/log-line.js';
import { MAX_FORMATTED_DEPTH, nestingDepth } from '../../text/json-text.js';
import { isUtf8, quoted, showable, showableBytes, showableJson, showableLine } from '../../text/terminal-text.js';
import { formatReport } from '../../aws/report.js';
import { findFunctionBinary } from '../../project/binary.js';
import { defaultEventFile, eventLimitOf, readEventFile, readEventStream, triggerTypes } from '../../project/events.js';
import { isRustFunction, loadProject, pickFunction, stackNameOf, type LambdaFunction, type Project } from '../../project/project.js';
import {
  batchOutcome,
  describeBatch,
  eventShapeProblem,
  expectedEventName,
  isEventShapeLogLine,
  shortErrorType,
} from '../../runtime-api/function-answer.js';
import { lambdaEnvironment, parseEnvAssignments } from '../../runtime-api/lambda-env.js';
import { LocalFunction, type LocalInvocation } from '../../runtime-api/local-function.js';
import { RecordingAws } from '../../runtime-api/recording-aws.js';

import { describeStandIns, planStandIns, printRecordedCall, recordLocally } from '../local-stand-ins.js';
import { STACK_FLAGS } from '../stack-target.js';
import { abortOnTerminationSignals, SIGNAL_EXIT, terminationSignalOf, type TerminationSignal } from '../termination-signals.js';
import { isRegionName, readAwsSetup } from '../../tools/aws-setup.js';
import { checkFailure, judgeAwsRegion } from '../../tools/doctor.js';

const PROGRAM = 'lambda-kit invoke';

/** Lambda stops an init that takes longer than this. */
const LAMBDA_INIT_LIMIT_MS = 10_000;

function interruptedBy(signal: TerminationSignal): UserError {
  return new UserError(`interrupted by ${signal}; the function and every process it started are stopped`, {
    exitCode: SIGNAL_EXIT[signal],
  });
}

const OPTIONS = {
  event: { type: 'string', short: 'e' },
  function: { type: 'string', short: 'f' },
  env: { type: 'string', multiple: true },
  remote: { type: 'boolean' },
  ...STACK_FLAGS,
  help: { type: 'boolean', short: 'h' },
} as const;

export const HELP = `Send an event to the function and show its answer, its duration and its logs.

Usage: lambda-kit invoke [options]

Locally (the default) the function's built binary runs on this machine under a Lambda Runtime
API emulator, without Docker, with the environment Lambda would give it. The template's
environment variables are set where they are plain values. Those that name the stack's own
resources (the sink's TABLE_NAME or QUEUE_URL) take what you give with --env or in your
environment; any left are set to local placeholders, and the function's AWS calls are then
answered and recorded here, never sent. AWS_ENDPOINT_URL, AWS_REGION, AWS_PROFILE and
credentials pass through, so with AWS_ENDPOINT_URL set the function calls a stand-in such as
moto instead, and nothing is recorded. The function always gets a region: AWS_REGION, else
your profile's, else us-east-1.

The answer goes to stdout; logs, timings and errors go to stderr. A JSON answer is
re-indented; any other answer is written byte for byte to a pipe or file, and shown with
control characters escaped at a terminal.
After a batch answer (batchItemFailures) one line counts the records that failed against
the event's; an event the function cannot read is one error line, naming what it expects.

Options:
  -e, --event <file>       the event to send, - for stdin (default: samconfig.toml's
                           local_invoke event, else the only file in events/); at most 6 MB,
                           or 1 MB for a trigger that invokes asynchronously (S3), as in Lambda
  -f, --function <id>      the function's logical id in template.yaml (default: the only one)
      --env KEY=VALUE      set an environment variable for the local run (repeatable)
      --remote             invoke the deployed function instead, through the Lambda API
      --stack-name <name>  with --remote: the stack (default: samconfig.toml's stack_name,
                           else the package name)
      --region <region>    with --remote: the AWS region (default: AWS_REGION or the profile's)
      --profile <name>     with --remote: the AWS profile (default: AWS_PROFILE)
  -h, --help               show this help

Exit codes: 0 the function answered (failed batch records too), 1 it failed (an error, a
crash, a timeout) or could not run, 2 bad options, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP
(the function is stopped too).
`;

export async function main(args: string[]): Promise<number> {
  const values = parseCommandFlags(PROGRAM, args, OPTIONS, HELP);
  if (!values) return EXIT.ok;
  const remoteOnly = (['stack-name', 'region', 'profile'] as const).find((flag) => values[flag] !== undefined);
  if (!values.remote && remoteOnly) throw usageError(`--${remoteOnly} applies to --remote only.`, `See ${PROGRAM} --help.`);
  if (values.remote && values.env)
    throw usageError('--env applies to a local run only: a deployed function has its environment from template.yaml.');
  const assignments = parseEnvAssignments(values.env ?? []);
  if (assignments.invalid !== undefined) throw usageError(`--env takes KEY=VALUE, not '${assignments.invalid}'.`);

  const project = await loadProject();
  const fn = pickFunction(project, values.function);
  const limit = await eventLimitOf(project, fn);
  let event: Buffer;
  let eventName: string;
  if (values.event === '-') {
    event = await readEventStream(process.stdin, 'stdin', limit);
    eventName = 'stdin';
  } else {
    const eventPath = values.event ?? (await defaultEventFile(project));
    event = await readEventFile(eventPath, limit);
    // A path the user typed is shown as typed; the default one, relative to where they are.
    eventName = values.event === undefined ? displayPath(eventPath) : showableLine(values.event);
  }
  const sent: SentEvent = {
    bytes: event,
    name: eventName,
    expected: expectedEventName(await triggerTypes(project.templatePath, fn.logicalId)),
  };

  if (values.remote) {
    return invokeDeployed(project, fn, sent, { stackName: values['stack-name'], region: values.region, profile: values.profile });
  }
  return invokeLocally(project, fn, sent, assignments.values);
}

interface SentEvent {
  bytes: Buffer;
  /** How the event is named to the user: the path as typed, or stdin. */
  name: string;
  /** What the function's trigger sends (`an SQS event`), when its template says. */
  expected: string | undefined;
}

async function invokeLocally(project: Project, fn: LambdaFunction, sent: SentEvent, overrides: Record<string, string>): Promise<number> {
  if (!isRustFunction(fn)) {
    throw new UserError(`lambda-kit invoke runs Rust functions locally, and ${fn.logicalId} is ${fn.runtime ?? 'not one'}.`, {
      hint: 'Invoke the deployed one with --remote, or measure it beside the Rust one with lambda-kit bench.',
    });
  }
  const binary = await findFunctionBinary(project, fn);
  const shown = displayPath(binary.path);
  const functionName = fn.functionName ?? fn.logicalId;
  const taskRoot = dirname(binary.path);
  const { env, unresolved } = lambdaEnvironment({ fn, functionName, taskRoot, caller: process.env, overrides });
  const plan = await planStandIns(env, unresolved, project);
  const { standIns } = plan;

  note(`Invoking ${fn.logicalId} locally: ${shown} (${binary.builtBy}) with ${sent.name}`);
  if (binary.newerSource) note(`${binary.newerSource} changed after this build: rebuild to run the change`);
  for (const line of describeStandIns(plan, ', or deploy and use --remote')) note(line);

  // From here a signal must not end lambda-kit before the function: it would orphan it.
  const interrupt = new AbortController();
  const signals = abortOnTerminationSignals(interrupt);
  let local: LocalFunction | undefined;
  let recorder: RecordingAws | undefined;
  let result: LocalInvocation | undefined;
  const heldBack: string[] = [];
  try {
    if (standIns.length > 0) {
      recorder = await RecordingAws.start();
      recordLocally(env, recorder, standIns);
    }
    local = await LocalFunction.start({
      command: binary.path,
      // As in Lambda, where the code is unpacked into the task root and runs from there.
      cwd: taskRoot,
      env,
      functionArn: `arn:aws:lambda:${plan.region}:123456789012:function:${functionName}`,
      timeoutMs: fn.timeout * 1000,
      initTimeoutMs: LAMBDA_INIT_LIMIT_MS,
      // The runtime's line about an event it could not read waits: the error says the same, once.
      onLog: (line) => (isEventShapeLogLine(line) ? heldBack.push(line) : printLogLine(line)),
    });
    result = await local.invoke(sent.bytes, { signal: interrupt.signal });
  } catch (error) {
    if (!interrupt.signal.aborted) throw error;
  } finally {
    await local?.stop();
    await recorder?.close();
    signals.release();
  }
  if (interrupt.signal.aborted || result === undefined) throw interruptedBy(terminationSignalOf(interrupt.signal) ?? 'SIGINT');
  const printRecorded = () => recorder?.calls.forEach(printRecordedCall);
  if (result.outcome !== 'response' && result.outcome !== 'error') printRecorded();

  const shapeProblem = result.outcome === 'error' ? eventShapeProblem(result.errorType, result.errorMessage) : undefined;
  if (shapeProblem === undefined) heldBack.forEach(printLogLine);
  switch (result.outcome) {
    case 'response':
    case 'error':
      // An event of the wrong shape is the user's input, not the function's answer: said once, below.
      if (shapeProblem === undefined) printPayload(result.payload);
      printRecorded();
      process.stderr.write(
        `${kleur.dim(
          formatReport({
            durationMs: result.durationMs,
            initDurationMs: result.initDurationMs,
            maxMemoryUsedMb: result.maxMemoryBytes === undefined ? undefined : Math.round(result.maxMemoryBytes / 1_048_576),
            memorySizeMb: fn.memorySize,
          }),
        )}\n`,
      );
      if (result.outcome === 'error') throw functionFailed(fn, sent, undefined, result.errorType, result.errorMessage);
      printBatchSummary(sent, result.payload);
      return EXIT.ok;
    case 'init-error':
      throw new UserError(`the function failed to initialise: ${result.errorType}: ${result.errorMessage.trim()}`);
    case 'timeout':
      throw new UserError(`Task timed out after ${(result.timeoutMs / 1000).toFixed(2)} seconds`, {
        hint: `(the function's Timeout in template.yaml)`,
      });
    case 'init-timeout':
      throw new UserError(
        `the function's init did not finish within ${(result.timeoutMs / 1000).toFixed(2)} seconds, Lambda's limit: it never asked for an event`,
        {
          hint: 'Is it stuck in main() before the runtime starts?',
        },
      );
    case 'exited': {
      if (result.spawnError) throw new UserError(`cannot run ${shown}: ${result.spawnError}`);
      const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      const when = result.initDurationMs === undefined ? 'during init, before it took the event' : 'while handling the event';
      // Its last lines are on the screen already; name the variable it most likely missed.
      const output = result.logs.join('\n');
      const missing = unresolved.find(({ name }) => output.includes(name));
      if (missing) {
        throw new UserError(`the function ${how} ${when}.`, {
          hint: `Set ${missing.name} (${missing.value} in template.yaml) with --env ${missing.name}=<value>.`,
        });
      }
      throw new UserError(`the function ${how} ${when}${result.logs.length ? ' (its output is above)' : ''}`);
    }
  }
}

interface RemoteFlags {
  stackName: string | undefined;
  region: string | undefined;
  profile: string | undefined;
}

async function invokeDeployed(project: Project, fn: LambdaFunction, sent: SentEvent, flags: RemoteFlags): Promise<number> {
  // The SDK would refuse a region that is no region name with an error of its own, mid-call.
  if (flags.region !== undefined && !isRegionName(flags.region)) {
    throw usageError(`--region ${quoted(flags.region, 40)} is not an AWS region (such as eu-west-1).`);
  }
  if (flags.region === undefined) {
    const setup = await readAwsSetup(flags.profile === undefined ? process.env : { ...process.env, AWS_PROFILE: flags.profile });
    if (setup.sdkRegion && !isRegionName(setup.sdkRegion.region)) throw checkFailure(judgeAwsRegion({ ...setup, samRegion: undefined }));
  }
  const stackName = stackNameOf(project, flags.stackName);
  const { invokeRemote, resolveFunctionName } = await import('../../aws/remote-invoke.js');
  const options = { region: flags.region, profile: flags.profile };
  const functionName = await resolveFunctionName(stackName, fn.logicalId, options);
  note(`Invoking ${functionName} (${fn.logicalId} in stack ${stackName}) with ${sent.name}`);

  const result = await invokeRemote(functionName, sent.bytes, options);
  const { errorType, errorMessage } = result.functionError ? errorDocument(result.payload) : {};
  const shapeProblem = result.functionError ? eventShapeProblem(errorType, errorMessage) : undefined;
  for (const line of result.logLines) if (shapeProblem === undefined || !isEventShapeLogLine(line)) printLogLine(line);
  if (shapeProblem === undefined) printPayload(result.payload);
  if (result.report) process.stderr.write(`${kleur.dim(formatReport(result.report))}\n`);
  else note('no REPORT line in the log tail');

  if (result.functionError)
    throw functionFailed(fn, sent, result.functionError, errorType ?? 'error', errorMessage ?? result.payload.toString('utf8'));
  printBatchSummary(sent, result.payload);
  return EXIT.ok;
}

/**
 * The one line a failed invocation ends with: the error's short type and its message; for an
 * event the function could not read, where the mismatch is and what to send instead.
 */
function functionFailed(
  fn: LambdaFunction,
  sent: SentEvent,
  functionError: string | undefined,
  errorType: string,
  errorMessage: string,
): UserError {
  const failed = functionError ? `the function failed (${functionError})` : 'the function failed';
  const shapeProblem = eventShapeProblem(errorType, errorMessage);
  if (shapeProblem === undefined) return new UserError(`${failed}: ${shortErrorType(errorType)}: ${errorMessage.trim()}`);
  const expects = sent.expected ? `${fn.logicalId} expects (${sent.expected})` : `${fn.logicalId} expects`;
  return new UserError(`${failed}: ${shortErrorType(errorType)}: ${shapeProblem}`, {
    hint: `The event does not have the shape ${expects}: pick a sample from events/ or check --event.`,
  });
}

/**
 * After a partial batch response, how many records failed: the invocation itself succeeded, so
 * the exit code stays 0, but a batch whose every record failed must not look like a success.
 */
function printBatchSummary(sent: SentEvent, payload: Buffer): void {
  const outcome = batchOutcome(sent.bytes, payload);
  if (outcome === undefined) return;
  const line = describeBatch(outcome);
  process.stderr.write(`${outcome.failed > 0 || outcome.unknown > 0 ? kleur.yellow(line) : kleur.green(line)}\n`);
}

function errorDocument(payload: Buffer): { errorType?: string; errorMessage?: string } {
  try {
    const doc = JSON.parse(payload.toString('utf8')) as Record<string, unknown>;
    return {
      errorType: typeof doc.errorType === 'string' ? doc.errorType : undefined,
      errorMessage: typeof doc.errorMessage === 'string' ? doc.errorMessage : undefined,
    };
  } catch {
    return {};
  }
}

/** Relative to where the user is, unless that climbs out of it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function note(text: string): void {
  process.stderr.write(`${kleur.dim(text)}\n`);
}

const LEVEL_COLOUR: Record<string, (s: string) => string> = {
  ERROR: kleur.red,
  WARN: kleur.yellow,
  INFO: kleur.green,
  DEBUG: kleur.blue,
  TRACE: kleur.magenta,
};

/** A function log line, JSON made compact, the level coloured, shown safely on one line. */
function printLogLine(line: string): void {
  if (!line.trim()) return;
  const { level, text } = compactLogLine(line);
  const shown = showableLine(text);
  const shownLevel = level === undefined ? undefined : showable(level);
  const painted = shownLevel ? `${(LEVEL_COLOUR[shownLevel] ?? kleur.white)(shownLevel.padEnd(5))} ${shown}` : shown;
  process.stderr.write(`${kleur.dim('│')} ${painted}\n`);
}

/**
 * The answer: JSON pretty-printed, with what JSON.stringify leaves raw (C1 controls, bidi
 * overrides) escaped the JSON way, so it is the same value. Anything else (text, binary, JSON
 * too deep to re-indent) goes byte for byte to a pipe or file, and to a terminal as showable
 * lines, bytes that are not UTF-8 as `\xNN`.
 */
function answerText(payload: Buffer, terminal: boolean): Buffer | string {
  const utf8 = isUtf8(payload);
  const text = utf8 ? payload.toString('utf8') : '';
  if (utf8 && nestingDepth(text) <= MAX_FORMATTED_DEPTH) {
    try {
      return `${showableJson(JSON.parse(text))}\n`;
    } catch {
      // Not JSON: shown as it is, below.
    }
  }
  if (!terminal) return payload;
  if (payload.length === 0) return '';
  const lines: string[] = [];
  for (let start = 0; start <= payload.length; ) {
    const end = payload.indexOf(0x0a, start);
    const stop = end === -1 ? payload.length : end;
    if (end !== -1 || stop > start) lines.push(showableBytes(payload.subarray(start, stop)));
    start = stop + 1;
  }
  return `${lines.join('\n')}\n`;
}

function printPayload(payload: Buffer): void {
  process.stdout.write(answerText(payload, Boolean(process.stdout.isTTY)));
}
