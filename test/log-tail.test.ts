/**
 * Following logs, against a mocked CloudWatch Logs client: LiveTail across a session timeout and
 * a failed stream (both reconnect), its fallback to polling where it is unavailable, and the
 * poller's gap-free, duplicate-free reading across pages, overlapping polls and throttling.
 */
import {
  CloudWatchLogsClient,
  FilterLogEventsCommand,
  StartLiveTailCommand,
  type StartLiveTailResponseStream,
} from '@aws-sdk/client-cloudwatch-logs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import type { LogEvent } from '../src/aws/log-format.js';
import { liveTail, logGroupArnOf, pollLogs, tailLogs, type LogTarget } from '../src/aws/log-tail.js';

const ARN = 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders';
const TARGET: LogTarget = {
  functionId: 'AppFunction',
  functionName: 'orders',
  logGroupName: '/aws/lambda/orders',
  logGroupArn: ARN,
  memorySizeMb: 512,
};
const logs = mockClient(CloudWatchLogsClient);

afterEach(() => logs.reset());

function update(...messages: string[]): StartLiveTailResponseStream {
  return {
    sessionUpdate: {
      sessionMetadata: { sampled: false },
      sessionResults: messages.map((message, i) => ({
        logGroupIdentifier: ARN,
        logStreamName: 's1',
        message,
        timestamp: 1000 + i,
        ingestionTime: 1001 + i,
      })),
    },
  };
}

async function* stream(items: StartLiveTailResponseStream[], failure?: Error): AsyncGenerator<StartLiveTailResponseStream> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
  if (failure) throw failure;
}

function named(name: string, message = name): Error {
  return Object.assign(new Error(message), { name });
}

describe('liveTail', () => {
  it('reconnects after a session timeout and a failed stream, and stops when aborted', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const notes: string[] = [];
    logs
      .on(StartLiveTailCommand)
      .resolvesOnce({
        responseStream: stream([
          { sessionStart: { sessionId: 'a' } },
          update('one', 'two'),
          { SessionTimeoutException: named('SessionTimeoutException') as never },
          update('never'),
        ]),
      })
      .resolvesOnce({
        responseStream: stream([{ sessionStart: { sessionId: 'b' } }, update('three')], named('SessionStreamingException', 'stream reset')),
      })
      .resolvesOnce({ responseStream: stream([{ sessionStart: { sessionId: 'c' } }, update('four')]) });
    const outcome = await liveTail(logs as unknown as CloudWatchLogsClient, [TARGET], {
      signal: controller.signal,
      filterPattern: 'ERROR',
      reconnectDelayMs: 0,
      onNote: (note) => notes.push(note),
      onEvents: (events: LogEvent[]) => {
        seen.push(...events.map((e) => e.message));
        if (seen.includes('four')) controller.abort();
      },
    });
    expect(outcome).toEqual({ kind: 'stopped' });
    expect(seen).toEqual(['one', 'two', 'three', 'four']);
    expect(notes).toEqual([
      'LiveTail: the session timed out; reconnecting',
      'LiveTail reconnected',
      'LiveTail: the stream failed: stream reset; reconnecting',
      'LiveTail reconnected',
    ]);
    const calls = logs.commandCalls(StartLiveTailCommand);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.args[0].input).toEqual({ logGroupIdentifiers: [ARN], logEventFilterPattern: 'ERROR' });
  });

  it('reads back what was written while it reconnected, without repeating a line', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const line = (message: string, timestamp: number) => ({
      logGroupIdentifier: ARN,
      logStreamName: 's1',
      message,
      timestamp,
      ingestionTime: timestamp + 1,
    });
    const at = (...lines: ReturnType<typeof line>[]): StartLiveTailResponseStream => ({
      sessionUpdate: { sessionMetadata: { sampled: false }, sessionResults: lines },
    });
    logs
      .on(StartLiveTailCommand)
      .resolvesOnce({
        responseStream: stream([
          { sessionStart: { sessionId: 'a' } },
          at(line('one', 1000), line('two', 2000)),
          { SessionTimeoutException: named('SessionTimeoutException') as never },
        ]),
      })
      // The new session starts after 'three' and 'four' were written, and repeats 'four'.
      .resolvesOnce({ responseStream: stream([{ sessionStart: { sessionId: 'b' } }, at(line('four', 4000), line('five', 5000))]) });
    logs.on(FilterLogEventsCommand).resolves({
      events: [
        { logStreamName: 's1', message: 'two', timestamp: 2000, eventId: 'e2' },
        { logStreamName: 's1', message: 'three', timestamp: 3000, eventId: 'e3' },
        { logStreamName: 's1', message: 'four', timestamp: 4000, eventId: 'e4' },
      ],
    });
    await liveTail(logs as unknown as CloudWatchLogsClient, [TARGET], {
      signal: controller.signal,
      reconnectDelayMs: 0,
      onNote: () => {},
      onEvents: (events: LogEvent[]) => {
        seen.push(...events.map((e) => e.message));
        if (seen.includes('five')) controller.abort();
      },
    });
    expect(seen).toEqual(['one', 'two', 'three', 'four', 'five']);
    const backfill = logs.commandCalls(FilterLogEventsCommand);
    expect(backfill).toHaveLength(1);
    expect(backfill[0]!.args[0].input).toMatchObject({ logGroupName: '/aws/lambda/orders', startTime: 2000 - 10_000 });
  });

  it('says when LiveTail samples, and names the function of each event', async () => {
    const controller = new AbortController();
    const notes: string[] = [];
    const events: LogEvent[] = [];
    logs.on(StartLiveTailCommand).resolves({
      responseStream: stream([
        { sessionStart: {} },
        { sessionUpdate: { sessionMetadata: { sampled: true }, sessionResults: update('x').sessionUpdate!.sessionResults } },
      ]),
    });
    await liveTail(logs as unknown as CloudWatchLogsClient, [TARGET], {
      signal: controller.signal,
      reconnectDelayMs: 0,
      onNote: (note) => notes.push(note),
      onEvents: (batch) => {
        events.push(...batch);
        controller.abort();
      },
    });
    expect(notes[0]).toMatch(/LiveTail is sampling/);
    expect(events[0]).toMatchObject({
      functionId: 'AppFunction',
      logGroupName: '/aws/lambda/orders',
      logStreamName: 's1',
      message: 'x',
      timestamp: 1000,
    });
  });

  it('is unavailable when no session starts, and tailLogs then polls', async () => {
    const controller = new AbortController();
    const notes: string[] = [];
    const seen: string[] = [];
    logs.on(StartLiveTailCommand).rejects(named('AccessDeniedException', 'not authorized to perform logs:StartLiveTail'));
    logs.on(FilterLogEventsCommand).resolves({ events: [{ eventId: '1', logStreamName: 's1', timestamp: 5, message: 'polled' }] });
    await tailLogs(logs as unknown as CloudWatchLogsClient, [TARGET], {
      startTime: 0,
      signal: controller.signal,
      pollIntervalMs: 5,
      onNote: (note) => notes.push(note),
      onEvents: (events) => {
        seen.push(...events.map((e) => e.message));
        controller.abort();
      },
    });
    expect(notes[0]).toMatch(
      /^LiveTail is unavailable \(AccessDeniedException: not authorized.*\); polling FilterLogEvents every second instead$/,
    );
    expect(seen).toEqual(['polled']);
  });

  it('builds the log group ARN from the function’s', () => {
    expect(logGroupArnOf('arn:aws:lambda:eu-west-1:123456789012:function:orders', '/aws/lambda/orders')).toBe(ARN);
    expect(logGroupArnOf(undefined, '/aws/lambda/orders')).toBeUndefined();
  });
});

describe('pollLogs', () => {
  it('reads every page, overlaps polls without repeating, and backs off on throttling', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const notes: string[] = [];
    const ev = (id: number, stream = 's1') => ({ eventId: String(id), logStreamName: stream, timestamp: 10_000 + id, message: `e${id}` });
    logs
      .on(FilterLogEventsCommand)
      // Poll 1: two pages.
      .resolvesOnce({ events: [ev(1), ev(2)], nextToken: 'p2' })
      .resolvesOnce({ events: [ev(3)] })
      // Poll 2: throttled.
      .rejectsOnce(named('ThrottlingException', 'Rate exceeded'))
      // Poll 3: the overlap brings back 2 and 3, a late event 4 with an old timestamp, and the
      // same eventId in another stream (moto numbers events per stream).
      .resolvesOnce({ events: [ev(2), ev(3), { ...ev(4), timestamp: 10_001 }, ev(1, 's2')] })
      .resolves({ events: [ev(3)] });
    const started = Date.now();
    let backedOffBy = 0;
    await pollLogs(logs as unknown as CloudWatchLogsClient, [TARGET], {
      startTime: 0,
      signal: controller.signal,
      pollIntervalMs: 20,
      overlapMs: 5_000,
      onNote: (note) => notes.push(note),
      onEvents: (events) => {
        seen.push(...events.map((e) => `${e.logStreamName}/${e.message}`));
        if (seen.length === 5) {
          backedOffBy = Date.now() - started;
          setTimeout(() => controller.abort(), 60);
        }
      },
    });
    expect(seen).toEqual(['s1/e1', 's1/e2', 's1/e3', 's1/e4', 's2/e1']);
    // Poll 1, a throttled poll, then a wait of 2 × the interval before poll 3.
    expect(backedOffBy).toBeGreaterThanOrEqual(55);
    const inputs = logs.commandCalls(FilterLogEventsCommand).map((call) => call.args[0].input);
    expect(inputs[0]).toEqual({ logGroupName: '/aws/lambda/orders', startTime: 0, nextToken: undefined });
    expect(inputs[1]).toMatchObject({ nextToken: 'p2', startTime: 0 });
    // The overlap: 5 s behind the newest event seen, not after it.
    expect(inputs[3]).toMatchObject({ startTime: 10_003 - 5_000, nextToken: undefined });
    expect(notes).toEqual([]);
  });
});
