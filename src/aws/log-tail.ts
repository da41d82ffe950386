/**
 * Reading a stack's function logs from CloudWatch Logs: which log groups (CloudFormation, then
 * Lambda GetFunction for each function's LoggingConfig), a window of events (FilterLogEvents),
 * and following them: StartLiveTail for sub-second lines, FilterLogEvents polling where LiveTail
 * is unavailable or with --poll. Nothing here prints; events go to a callback.
 *
 * Loaded only by `lambda-kit logs`, so nothing else pays for the SDK.
 */
import { CloudFormationClient, ListStackResourcesCommand, type StackResourceSummary } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  StartLiveTailCommand,
  type FilteredLogEvent,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { UserError } from '../errors.js';
import type { LogEvent } from './log-format.js';
import { awsError, clientConfig, message, where, type AwsOptions } from './clients.js';

/** A function of the stack and where it logs. */
export interface LogTarget {
  functionId: string;
  functionName: string;
  logGroupName: string;
  /** For LiveTail, which takes ARNs; from the function's ARN. */
  logGroupArn: string | undefined;
  memorySizeMb: number | undefined;
}

export function logsClient(options: AwsOptions): CloudWatchLogsClient {
  // Our own loop backs off on throttling; the SDK's retries would only stack delays on it.
  return new CloudWatchLogsClient({ ...clientConfig(options), maxAttempts: 2 });
}

/** The stack's Lambda functions (all, or `functionId`) and the log group of each. */
export async function resolveLogTargets(stackName: string, functionId: string | undefined, options: AwsOptions = {}): Promise<LogTarget[]> {
  const cfn = new CloudFormationClient(clientConfig(options));
  const resources: StackResourceSummary[] = [];
  try {
    let token: string | undefined;
    do {
      const page = await cfn.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
      resources.push(...(page.StackResourceSummaries ?? []));
      token = page.NextToken;
    } while (token);
  } catch (error) {
    throw awsError(error, {
      stack: stackName,
      notFound: () =>
        new UserError(`stack ${stackName} does not exist${where(options)}`, {
          hint: 'Deploy it first (lambda-kit deploy or sam deploy), or name the stack with --stack-name.',
        }),
    });
  } finally {
    cfn.destroy();
  }
  const functions = resources.filter((r) => r.ResourceType === 'AWS::Lambda::Function' && r.LogicalResourceId);
  if (functions.length === 0)
    throw new UserError(`stack ${stackName} has no Lambda functions${where(options)}`, {
      hint: 'Is it the right stack? Name it with --stack-name.',
    });
  const picked = functionId === undefined ? functions : functions.filter((r) => r.LogicalResourceId === functionId);
  if (picked.length === 0) {
    throw new UserError(
      `stack ${stackName} has no function ${functionId}; it has ${functions.map((r) => r.LogicalResourceId).join(', ')}`,
      { exitCode: 2 },
    );
  }
  const lambda = new LambdaClient(clientConfig(options));
  try {
    return await Promise.all(
      picked.map(async (resource): Promise<LogTarget> => {
        const name = resource.PhysicalResourceId;
        if (!name)
          throw new UserError(
            `stack ${stackName} has not created ${resource.LogicalResourceId} yet (${resource.ResourceStatus ?? 'no status'})`,
          );
        try {
          const { Configuration } = await lambda.send(new GetFunctionCommand({ FunctionName: name }));
          const logGroupName = Configuration?.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;
          return {
            functionId: resource.LogicalResourceId!,
            functionName: name,
            logGroupName,
            logGroupArn: logGroupArnOf(Configuration?.FunctionArn, logGroupName),
            memorySizeMb: Configuration?.MemorySize,
          };
        } catch (error) {
          throw awsError(error, {
            notFound: () =>
              new UserError(`function ${name} of stack ${stackName} does not exist${where(options)}`, { hint: 'Deploy the stack again.' }),
          });
        }
      }),
    );
  } finally {
    lambda.destroy();
  }
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:f` → `arn:aws:logs:eu-west-1:123456789012:log-group:<group>`. */
export function logGroupArnOf(functionArn: string | undefined, logGroupName: string): string | undefined {
  const parts = functionArn?.split(':');
  if (!parts || parts.length < 7 || parts[0] !== 'arn') return undefined;
  return `arn:${parts[1]}:logs:${parts[3]}:${parts[4]}:log-group:${logGroupName}`;
}

export interface WindowOptions {
  startTime: number;
  endTime?: number;
  filterPattern?: string;
  signal?: AbortSignal;
}

/** Every event of the window in every target's log group, oldest first. */
export async function readLogWindow(
  client: CloudWatchLogsClient,
  targets: LogTarget[],
  options: WindowOptions,
): Promise<{ events: LogEvent[]; missingGroups: string[] }> {
  const missingGroups: string[] = [];
  const perGroup = await Promise.all(
    groupsOf(targets).map(async ({ logGroupName, targets: owners }) => {
      const events: LogEvent[] = [];
      try {
        await filterPages(
          client,
          { logGroupName, startTime: options.startTime, endTime: options.endTime, filterPattern: options.filterPattern },
          options.signal,
          (page) => {
            for (const raw of page) events.push(toLogEvent(raw, logGroupName, owners));
          },
        );
      } catch (error) {
        if ((error as { name?: string }).name === 'ResourceNotFoundException') missingGroups.push(logGroupName);
        else throw logsError(error);
      }
      return events;
    }),
  );
  const events = perGroup.flat();
  // Stable: within one timestamp, the order CloudWatch gave.
  events.sort((a, b) => a.timestamp - b.timestamp);
  return { events, missingGroups };
}

export interface TailOptions {
  startTime: number;
  filterPattern?: string;
  signal: AbortSignal;
  onEvents: (events: LogEvent[]) => void;
  /** Something the person should know (fell back to polling, reconnected, sampled). */
  onNote: (note: string) => void;
  /** Skip LiveTail. */
  poll?: boolean;
  pollIntervalMs?: number;
  overlapMs?: number;
  /** FilterLogEvents page size (tests use a small one to exercise pagination). */
  pageLimit?: number;
}

/** Follows the targets' logs until `signal` aborts: LiveTail if it works, else polling. */
export async function tailLogs(client: CloudWatchLogsClient, targets: LogTarget[], options: TailOptions): Promise<void> {
  if (!options.poll) {
    const outcome = await liveTail(client, targets, options);
    if (outcome.kind === 'stopped') return;
    options.onNote(`LiveTail is unavailable (${outcome.reason}); polling FilterLogEvents every second instead`);
    return pollLogs(client, targets, { ...options, startTime: Math.max(options.startTime, outcome.lastTimestamp ?? 0) });
  }
  return pollLogs(client, targets, options);
}

// ---------------------------------------------------------------------------------------------
// LiveTail

export type LiveTailOutcome = { kind: 'stopped' } | { kind: 'unavailable'; reason: string; lastTimestamp?: number };

/** Gives up on LiveTail after this many failed connects in a row with no session between them. */
const LIVE_TAIL_ATTEMPTS = 3;

/**
 * StartLiveTail, reconnected when its session ends (3 hours at most: SessionTimeoutException)
 * or its stream fails. Returns `unavailable` when no session could be started at all, so the
 * caller falls back to polling.
 */
export async function liveTail(
  client: CloudWatchLogsClient,
  targets: LogTarget[],
  options: Pick<TailOptions, 'filterPattern' | 'signal' | 'onEvents' | 'onNote' | 'overlapMs'> & { reconnectDelayMs?: number },
): Promise<LiveTailOutcome> {
  const groups = groupsOf(targets);
  const arns = groups.map((g) => g.targets[0]!.logGroupArn);
  if (arns.some((arn) => arn === undefined)) return { kind: 'unavailable', reason: 'no log group ARN' };
  if (arns.length > 10) return { kind: 'unavailable', reason: 'it follows at most 10 log groups' };
  const owners = new Map(groups.map((g) => [g.targets[0]!.logGroupArn!, g]));
  let failures = 0;
  let sessions = 0;
  let lastTimestamp: number | undefined;
  let sampledNoted = false;
  // LiveTail events carry no eventId: they are told apart by stream, time and text, which is
  // what lets a reconnect's backfill and the new session overlap without repeating a line.
  const overlap = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const recent = new Map<string, number>();
  const keyOf = (event: LogEvent) => `${event.logGroupName}\u0000${event.logStreamName}\u0000${event.timestamp}\u0000${event.message}`;
  const deliver = (candidates: LogEvent[]) => {
    const fresh = candidates.filter((event) => !recent.has(keyOf(event)));
    for (const event of fresh) {
      recent.set(keyOf(event), event.timestamp);
      lastTimestamp = Math.max(lastTimestamp ?? 0, event.timestamp);
    }
    for (const [key, timestamp] of recent) if (timestamp < (lastTimestamp ?? 0) - overlap) recent.delete(key);
    if (fresh.length) options.onEvents(fresh);
  };
  /** What was written while no session was open: FilterLogEvents from just before the last line. */
  const backfill = async () => {
    if (lastTimestamp === undefined) return;
    const missed: LogEvent[] = [];
    try {
      for (const group of groups) {
        await filterPages(
          client,
          { logGroupName: group.logGroupName, startTime: lastTimestamp - overlap, filterPattern: options.filterPattern },
          options.signal,
          (page) => missed.push(...page.map((raw) => toLogEvent({ ...raw, eventId: undefined }, group.logGroupName, group.targets))),
        );
      }
    } catch (error) {
      if (options.signal.aborted) return;
      options.onNote(`could not read the lines written while reconnecting (${message(error)}); some may be missing`);
    }
    deliver(missed.sort((a, b) => a.timestamp - b.timestamp));
  };
  while (!options.signal.aborted) {
    let started = false;
    let ended: string;
    try {
      const response = await client.send(
        new StartLiveTailCommand({
          logGroupIdentifiers: arns as string[],
          ...(options.filterPattern ? { logEventFilterPattern: options.filterPattern } : {}),
        }),
        { abortSignal: options.signal },
      );
      if (!response.responseStream) throw new Error('no response stream');
      ended = 'the stream ended';
      for await (const item of response.responseStream as AsyncIterable<StartLiveTailResponseStream>) {
        if (item.sessionStart) {
          started = true;
          failures = 0;
          if (sessions++ > 0) {
            options.onNote('LiveTail reconnected');
            await backfill();
          }
        } else if (item.sessionUpdate) {
          if (item.sessionUpdate.sessionMetadata?.sampled && !sampledNoted) {
            sampledNoted = true;
            options.onNote('LiveTail is sampling (more than 500 lines a second): use --poll to see every line');
          }
          const events: LogEvent[] = [];
          for (const result of item.sessionUpdate.sessionResults ?? []) {
            const group = owners.get(result.logGroupIdentifier ?? '') ?? groups[0]!;
            events.push(toLogEvent({ ...result, eventId: undefined }, group.logGroupName, group.targets));
          }
          deliver(events);
        } else if (item.SessionTimeoutException) {
          ended = 'the session timed out';
          break;
        } else if (item.SessionStreamingException) {
          ended = `the stream failed: ${item.SessionStreamingException.message ?? 'SessionStreamingException'}`;
          break;
        }
        if (options.signal.aborted) break;
      }
    } catch (error) {
      if (options.signal.aborted) break;
      const name = (error as { name?: string }).name ?? '';
      if (name === 'SessionTimeoutException') ended = 'the session timed out';
      else if (!started && sessions === 0) {
        // Never connected: an endpoint without LiveTail (moto, a proxy), or no permission for it.
        const mapped = awsError(error, { notFound: () => new UserError(message(error)) });
        if (mapped instanceof UserError && /credentials/.test(mapped.message)) throw mapped;
        if (isPermanent(error)) return { kind: 'unavailable', reason: `${name || 'error'}: ${message(error)}`, lastTimestamp };
        ended = message(error);
      } else ended = `the stream failed: ${message(error)}`;
    }
    if (options.signal.aborted) break;
    if (!started) failures++;
    if (failures >= LIVE_TAIL_ATTEMPTS)
      return { kind: 'unavailable', reason: `no session after ${failures} attempts (${ended})`, lastTimestamp };
    if (sessions > 0) options.onNote(`LiveTail: ${ended}; reconnecting`);
    await sleep(options.reconnectDelayMs ?? 500 * 2 ** Math.max(0, failures - 1), options.signal);
  }
  return { kind: 'stopped' };
}

function isPermanent(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  const code = (error as { code?: string }).code ?? '';
  return (
    ['AccessDeniedException', 'UnknownOperationException', 'InvalidParameterException', 'UnrecognizedClientException'].includes(name) ||
    ['ENOTFOUND', 'EAI_AGAIN'].includes(code)
  );
}

// ---------------------------------------------------------------------------------------------
// FilterLogEvents polling

/** How far each poll reaches back behind the newest event seen, to catch late-ingested ones. */
export const DEFAULT_OVERLAP_MS = 10_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * Polls FilterLogEvents about every `pollIntervalMs`, gap-free and duplicate-free: each poll
 * reaches back `overlapMs` behind the newest event seen (events are often ingested out of
 * order, and CloudWatch may list them late), reads every page, and passes on only events it
 * has not seen (by log stream and eventId). Events older than the window are forgotten, so the
 * memory held is the overlap's worth of event ids.
 */
export async function pollLogs(client: CloudWatchLogsClient, targets: LogTarget[], options: TailOptions): Promise<void> {
  await Promise.all(groupsOf(targets).map((group) => pollGroup(client, group, options)));
}

async function pollGroup(client: CloudWatchLogsClient, group: LogGroup, options: TailOptions): Promise<void> {
  const interval = options.pollIntervalMs ?? 1000;
  const overlap = options.overlapMs ?? DEFAULT_OVERLAP_MS;
  const seen = new Map<string, number>();
  let newest = 0;
  let backoff = 0;
  let missingNoted = false;
  while (!options.signal.aborted) {
    const started = Date.now();
    const startTime = Math.max(options.startTime, newest - overlap);
    const fresh: LogEvent[] = [];
    try {
      await filterPages(
        client,
        { logGroupName: group.logGroupName, startTime, filterPattern: options.filterPattern, limit: options.pageLimit },
        options.signal,
        (page) => {
          for (const raw of page) {
            const key = `${raw.logStreamName}\u0000${raw.eventId}`;
            if (seen.has(key)) continue;
            const event = toLogEvent(raw, group.logGroupName, group.targets);
            seen.set(key, event.timestamp);
            fresh.push(event);
          }
        },
      );
      backoff = 0;
    } catch (error) {
      if (options.signal.aborted) break;
      const name = (error as { name?: string }).name ?? '';
      if (name === 'ResourceNotFoundException') {
        if (!missingNoted) options.onNote(`${group.logGroupName} does not exist yet; waiting for the function's first log line`);
        missingNoted = true;
      } else if (isThrottle(error) || isTransient(error)) {
        backoff = Math.min(MAX_BACKOFF_MS, backoff ? backoff * 2 : interval * 2);
        if (backoff >= 8000) options.onNote(`${name || 'network error'} from CloudWatch Logs; retrying in ${Math.round(backoff / 1000)} s`);
      } else {
        throw logsError(error);
      }
    }
    // Whatever was read before an error is kept: the next poll's overlap covers the rest.
    if (fresh.length) {
      fresh.sort((a, b) => a.timestamp - b.timestamp);
      newest = Math.max(newest, fresh[fresh.length - 1]!.timestamp);
      options.onEvents(fresh);
    }
    const horizon = Math.max(options.startTime, newest - overlap);
    if (seen.size > 0) for (const [key, timestamp] of seen) if (timestamp < horizon) seen.delete(key);
    await sleep(backoff || Math.max(0, interval - (Date.now() - started)), options.signal);
  }
}

function isThrottle(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return (
    ['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException', 'RequestLimitExceeded'].includes(name) || status === 429
  );
}

function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
  return ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN'].includes(code) || status >= 500;
}

// ---------------------------------------------------------------------------------------------
// Shared

interface LogGroup {
  logGroupName: string;
  targets: LogTarget[];
}

/** Functions may share a log group (a template's explicit one); each group is read once. */
function groupsOf(targets: LogTarget[]): LogGroup[] {
  const groups = new Map<string, LogGroup>();
  for (const target of targets) {
    const group = groups.get(target.logGroupName) ?? { logGroupName: target.logGroupName, targets: [] };
    group.targets.push(target);
    groups.set(target.logGroupName, group);
  }
  return [...groups.values()];
}

function toLogEvent(raw: FilteredLogEvent, logGroupName: string, owners: LogTarget[]): LogEvent {
  const logStreamName = raw.logStreamName ?? '';
  return {
    timestamp: raw.timestamp ?? 0,
    message: raw.message ?? '',
    logStreamName,
    ...(raw.eventId !== undefined ? { eventId: raw.eventId } : {}),
    ...(raw.ingestionTime !== undefined ? { ingestionTime: raw.ingestionTime } : {}),
    logGroupName,
    functionId: ownerOf(owners, logStreamName),
  };
}

/**
 * In a log group of its own, every stream is the function's. In a shared one, Lambda names the
 * streams `2026/05/01/<function name>[$LATEST]<id>`.
 */
function ownerOf(owners: LogTarget[], logStreamName: string): string {
  if (owners.length === 1) return owners[0]!.functionId;
  return owners.find((t) => logStreamName.includes(`/${t.functionName}[`))?.functionId ?? owners[0]!.functionId;
}

async function filterPages(
  client: CloudWatchLogsClient,
  input: { logGroupName: string; startTime: number; endTime?: number; filterPattern?: string; limit?: number },
  signal: AbortSignal | undefined,
  onPage: (events: FilteredLogEvent[]) => void,
): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new FilterLogEventsCommand({
        logGroupName: input.logGroupName,
        startTime: input.startTime,
        ...(input.endTime !== undefined ? { endTime: input.endTime } : {}),
        ...(input.filterPattern ? { filterPattern: input.filterPattern } : {}),
        ...(input.limit ? { limit: input.limit } : {}),
        nextToken,
      }),
      signal ? { abortSignal: signal } : {},
    );
    onPage(page?.events ?? []);
    nextToken = page?.nextToken;
  } while (nextToken && !signal?.aborted);
}

function logsError(error: unknown): unknown {
  const name = (error as { name?: string }).name ?? '';
  if (name === 'InvalidParameterException' && /filter/i.test(message(error)))
    return new UserError(`CloudWatch Logs refused the filter: ${message(error)}`, { exitCode: 2 });
  return awsError(error, { notFound: () => new UserError(message(error)) });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
