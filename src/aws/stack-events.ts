/**
 * Following a stack's events while CloudFormation changes it, the way `sam deploy` does
 * (samcli/lib/deploy/deployer.py), apart from any printing: DescribeStackEvents page by page
 * (newest first) back to a start marker, each event once (by EventId), handed on oldest first;
 * throttling slows the polling down rather than failing it; the tail ends on the root stack's
 * terminal status, not on a nested stack's.
 */
import { DescribeStackEventsCommand, type CloudFormationClient, type StackEvent } from '@aws-sdk/client-cloudformation';

export type { StackEvent } from '@aws-sdk/client-cloudformation';

/** Where a tail starts: events after this one (and not older than `time`) are new. */
export interface StartMarker {
  /** The stack's newest event before the change, if it had any. */
  eventId: string | undefined;
  time: Date;
}

export interface TailOptions {
  /** The stack's name, or its id (a deleted stack's events are found by id only). */
  stack: string;
  since: StartMarker;
  onEvent: (event: StackEvent) => void;
  /** Stops the tail at once (Ctrl-C). */
  signal?: AbortSignal;
  /**
   * Settles when whatever changes the stack has finished (sam deploy exited): the tail then
   * reads once more, for the last events, and ends even without a terminal status.
   */
  until?: Promise<unknown>;
  intervalMs?: number;
  maxIntervalMs?: number;
  /** For tests: how to wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface TailResult {
  /** The root stack's last status seen, if any event named it. */
  status: string | undefined;
  /** True when that status is terminal (COMPLETE or FAILED, not IN_PROGRESS). */
  finished: boolean;
  /** Every new event, oldest first, nested stacks' included. */
  events: StackEvent[];
  /** Why the tail ended. */
  ended: 'terminal' | 'until' | 'aborted';
}

const ROOT_TYPE = 'AWS::CloudFormation::Stack';

/** A stack status that CloudFormation stays in until someone acts: not `*_IN_PROGRESS`. */
export function isTerminalStatus(status: string | undefined): boolean {
  return Boolean(status) && !status!.endsWith('_IN_PROGRESS') && status !== 'REVIEW_IN_PROGRESS';
}

/**
 * An event about the root stack itself, `rootId` being its id. A nested stack is both a
 * resource of type Stack in its parent and a stack with events of its own about itself.
 */
export function isRootEvent(event: StackEvent, rootId: string | undefined): boolean {
  return event.ResourceType === ROOT_TYPE && rootId !== undefined && event.StackId === rootId && event.PhysicalResourceId === rootId;
}

/** A nested stack's id, when the event is its parent's record of it. */
function nestedStackId(event: StackEvent): string | undefined {
  if (event.ResourceType !== ROOT_TYPE || event.PhysicalResourceId === event.StackId) return undefined;
  return event.PhysicalResourceId?.startsWith('arn:') ? event.PhysicalResourceId : undefined;
}

export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  return (
    ['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestLimitExceeded'].includes(e?.name ?? '') ||
    /rate exceeded/i.test(e?.message ?? '')
  );
}

export function stackMissing(error: unknown): boolean {
  const e = error as { name?: string; message?: string };
  return e?.name === 'ValidationError' && /does not exist/i.test(e.message ?? '');
}

const realSleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * The events of `stack` newer than the marker and not yet in `seen`, oldest first: pages are
 * read newest first until one reaches the marker, an event already seen, or an older time.
 */
export async function newStackEvents(
  client: CloudFormationClient,
  stack: string,
  since: StartMarker,
  seen: Set<string>,
): Promise<StackEvent[]> {
  const fresh: StackEvent[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new DescribeStackEventsCommand({ StackName: stack, NextToken: token }));
    let reachedOld = false;
    for (const event of page.StackEvents ?? []) {
      const id = event.EventId ?? '';
      if (id === since.eventId || seen.has(id) || (event.Timestamp && event.Timestamp < since.time)) {
        reachedOld = true;
        break;
      }
      fresh.push(event);
    }
    token = reachedOld ? undefined : page.NextToken;
  } while (token);
  const result = fresh.reverse().filter((event) => !seen.has(event.EventId ?? ''));
  for (const event of result) seen.add(event.EventId ?? '');
  return result;
}

/** The marker for a change about to start: the stack's newest event now (none if no stack). */
export async function startMarker(client: CloudFormationClient, stack: string, now = new Date()): Promise<StartMarker> {
  try {
    const page = await client.send(new DescribeStackEventsCommand({ StackName: stack }));
    const newest = page.StackEvents?.[0];
    return { eventId: newest?.EventId, time: newest?.Timestamp && newest.Timestamp > now ? newest.Timestamp : now };
  } catch (error) {
    if (stackMissing(error)) return { eventId: undefined, time: now };
    throw error;
  }
}

/** Follows the stack's events until its root reaches a terminal status (or `until`, or abort). */
export async function tailStackEvents(client: CloudFormationClient, options: TailOptions): Promise<TailResult> {
  const { stack, since, onEvent, signal } = options;
  const base = options.intervalMs ?? 1000;
  const max = options.maxIntervalMs ?? 16_000;
  const sleep = options.sleep ?? realSleep;
  const seen = new Set<string>();
  const events: StackEvent[] = [];
  const nested = new Set<string>();
  let status: string | undefined;
  let rootId: string | undefined = stack.startsWith('arn:') ? stack : undefined;
  let settled = false;
  void options.until?.then(
    () => (settled = true),
    () => (settled = true),
  );
  const wake = new AbortController();
  const onAbort = () => wake.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  void options.until?.finally(() => wake.abort());

  let interval = base;
  try {
    for (;;) {
      if (signal?.aborted) return { status, finished: isTerminalStatus(status), events, ended: 'aborted' };
      const lastRead = settled;
      try {
        const batch: StackEvent[] = [];
        for (const id of [stack, ...nested]) {
          try {
            const found = await newStackEvents(client, id, since, seen);
            if (id === stack) rootId ??= found[0]?.StackId;
            batch.push(...found);
          } catch (error) {
            // The stack may not exist yet (a first deploy before sam creates it).
            if (!stackMissing(error)) throw error;
          }
        }
        batch.sort((a, b) => (a.Timestamp?.getTime() ?? 0) - (b.Timestamp?.getTime() ?? 0));
        let terminal = false;
        for (const event of batch) {
          const child = nestedStackId(event);
          if (child) nested.add(child);
          if (isRootEvent(event, rootId)) {
            status = event.ResourceStatus;
            terminal = isTerminalStatus(status);
          }
          events.push(event);
          if (signal?.aborted) break;
          onEvent(event);
        }
        interval = base;
        if (signal?.aborted) return { status, finished: isTerminalStatus(status), events, ended: 'aborted' };
        if (terminal) return { status, finished: true, events, ended: 'terminal' };
      } catch (error) {
        if (!isThrottling(error)) throw error;
        interval = Math.min(interval * 2, max);
      }
      if (lastRead) return { status, finished: isTerminalStatus(status), events, ended: 'until' };
      if (!settled) await sleep(interval, wake.signal);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
