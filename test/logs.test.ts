/**
 * `lambda-kit logs`' pure parts: the line formatter (every kind of line Lambda and a Rust
 * function write, in both log formats), the summary figures on known inputs, and --since.
 */
import { describe, expect, it } from 'vitest';
import { clock, formatJsonEvent, LogFormatter, type LogEvent } from '../src/aws/log-format.js';
import { formatSummary, InvocationStats, percentile } from '../src/aws/log-summary.js';
import { parseSince } from '../src/cli/commands/logs.js';

const ID = '6e4b5dc6-5a0b-4a45-b2f9-2f4f5c1b3c3e';
const ID2 = '0f7c1a2b-9d3e-4f5a-8b6c-7d8e9f0a1b2c';
const T = Date.UTC(2026, 4, 1, 9, 30, 0, 123);

function event(message: string, extra: Partial<LogEvent> = {}): LogEvent {
  return { timestamp: T, message, logStreamName: 's1', logGroupName: '/aws/lambda/orders', functionId: 'AppFunction', ...extra };
}

const plain = () => new LogFormatter({ colour: false, verbose: false, showFunction: false, utc: true });
const report = (id: string, rest: string) =>
  `REPORT RequestId: ${id}\tDuration: 2.37 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t${rest}`;

describe('LogFormatter', () => {
  it('shows time, short request id and message; the stream remembers whose lines follow START', () => {
    const f = plain();
    expect(f.format(event(`START RequestId: ${ID} Version: $LATEST`))).toBeUndefined();
    expect(f.format(event('INFO orders: stored item id=A-1001'))).toBe('09:30:00.123 6e4b5dc6 INFO orders: stored item id=A-1001');
    expect(f.format(event('another line', { logStreamName: 's2' }))).toBe('09:30:00.123          another line');
    expect(f.format(event(`END RequestId: ${ID}`))).toBeUndefined();
    expect(f.format(event(report(ID, '')))).toBe('09:30:00.123 6e4b5dc6 REPORT Duration 2.37 ms · Billed 3 ms · Memory 18/128 MB');
  });

  it('shows START/END and INIT_START with --verbose, and the function with several', () => {
    const f = new LogFormatter({ colour: false, verbose: true, showFunction: true, utc: true });
    expect(f.format(event(`START RequestId: ${ID} Version: $LATEST`))).toBe(
      `09:30:00.123 AppFunction 6e4b5dc6 START RequestId: ${ID} Version: $LATEST`,
    );
    expect(f.format(event('INIT_START Runtime Version: provided:al2023.v100'))).toContain('INIT_START');
  });

  it('takes the request id from the Rust runtime’s span, and from the Node/Python prefix', () => {
    const f = plain();
    expect(f.format(event(`2026-05-01T09:30:00.123Z  WARN Lambda runtime invoke{requestId="${ID2}"}: orders: slow`))).toMatch(
      /^09:30:00.123 0f7c1a2b /,
    );
    expect(f.format(event(`2026-05-01T09:30:00.123Z\t${ID}\tINFO\thello`))).toBe('09:30:00.123 6e4b5dc6 INFO  hello');
  });

  it('compacts JSON logs (tracing and Lambda’s own) and colours the level', () => {
    const line = JSON.stringify({
      timestamp: 't',
      level: 'WARN',
      fields: { message: 'slow sink', ms: 812 },
      target: 'orders',
      span: { requestId: ID },
    });
    expect(plain().format(event(line))).toBe('09:30:00.123 6e4b5dc6 WARN  slow sink ms=812');
    const coloured = new LogFormatter({ colour: true, verbose: false, showFunction: false, utc: true }).format(event(line))!;
    expect(coloured).toContain('\x1b[33mWARN \x1b[39m');
    expect(plain().format(event('{"timestamp":"t","level":"INFO","requestId":"r-12345678","message":"ok","count":3}'))).toBe(
      '09:30:00.123 r-123456 INFO  ok count=3',
    );
  });

  it('paints failures red and classifies them: ERROR level, Task timed out, Runtime exited, Runtime.* errors', () => {
    const f = new LogFormatter({ colour: true, verbose: false, showFunction: false, utc: true });
    const red = (s: string) => `\x1b[31m${s}\x1b[39m`;
    const timedOut = f.classify(event(`2026-05-01T09:30:03.123Z ${ID} Task timed out after 3.00 seconds`));
    expect(timedOut.kind).toBe('timeout');
    expect(timedOut.requestId).toBe(ID);
    expect(timedOut.text).toContain(red(`2026-05-01T09:30:03.123Z ${ID} Task timed out after 3.00 seconds`));
    const exited = f.classify(event('RequestId: x Error: Runtime exited with error: exit status 101\nRuntime.ExitError'));
    expect(exited.kind).toBe('error');
    expect(exited.text).toContain('\x1b[31m');
    const jsonError = f.classify(event(JSON.stringify({ level: 'ERROR', fields: { message: 'boom' }, span: { requestId: ID } })));
    expect(jsonError).toMatchObject({ kind: 'error', requestId: ID });
    expect(jsonError.text).toContain(red('boom'));
    const textError = f.classify(event('ERROR orders: sink unreachable'));
    expect(textError.kind).toBe('error');
    expect(textError.text).toContain(red('ERROR orders: sink unreachable'));
    expect(f.classify(event('INFO fine')).kind).toBe('log');
  });

  it('gives each REPORT one line, with a cold-start badge, the trace, and a red failed status', () => {
    const f = plain();
    const cold = f.classify(
      event(
        `${report(ID, 'Init Duration: 33.12 ms\t')}\nXRAY TraceId: 1-5e1b4151-43a0913a12345678901234ab\tSegmentId: 6c8b3d5a0b1d2e3f\tSampled: true\t\n`,
      ),
    );
    expect(cold.kind).toBe('report');
    expect(cold.report).toMatchObject({ initDurationMs: 33.12, xrayTraceId: '1-5e1b4151-43a0913a12345678901234ab' });
    expect(cold.text).toBe(
      '09:30:00.123 6e4b5dc6 ❄ cold start REPORT Duration 2.37 ms · Billed 3 ms · Memory 18/128 MB · Init 33.12 ms · trace 1-5e1b4151-43a0913a12345678901234ab',
    );
    const coloured = new LogFormatter({ colour: true, verbose: false, showFunction: false, utc: true });
    expect(coloured.format(event(report(ID, 'Status: timeout')))).toContain(
      '\x1b[31mREPORT Duration 2.37 ms · Billed 3 ms · Memory 18/128 MB · Status timeout\x1b[39m',
    );
  });

  it('reads the JSON platform format: report, start hidden, failed runtimeDone red', () => {
    const f = plain();
    const start = JSON.stringify({ time: 't', type: 'platform.start', record: { requestId: ID, version: '$LATEST' } });
    expect(f.format(event(start))).toBeUndefined();
    expect(f.format(event('{"level":"INFO","fields":{"message":"no span"}}'))).toBe('09:30:00.123 6e4b5dc6 INFO  no span');
    const done = JSON.stringify({ time: 't', type: 'platform.runtimeDone', record: { requestId: ID, status: 'timeout' } });
    expect(f.classify(event(done))).toMatchObject({ kind: 'timeout', requestId: ID });
    const json = JSON.stringify({
      time: 't',
      type: 'platform.report',
      record: {
        requestId: ID,
        metrics: { durationMs: 1.5, billedDurationMs: 2, memorySizeMB: 128, maxMemoryUsedMB: 17, initDurationMs: 20 },
        status: 'success',
      },
    });
    expect(f.format(event(json))).toBe(
      '09:30:00.123 6e4b5dc6 ❄ cold start REPORT Duration 1.50 ms · Billed 2 ms · Memory 17/128 MB · Init 20.00 ms',
    );
  });

  it('--json: one raw event per line', () => {
    expect(JSON.parse(formatJsonEvent(event('hello', { eventId: '42' })))).toEqual({
      timestamp: T,
      function: 'AppFunction',
      logGroupName: '/aws/lambda/orders',
      logStreamName: 's1',
      eventId: '42',
      message: 'hello',
    });
  });

  it('writes the clock with zero padding', () => {
    expect(clock(Date.UTC(2026, 0, 2, 3, 4, 5, 6), true)).toBe('03:04:05.006');
  });
});

describe('summary', () => {
  it('computes the figures of known invocations', () => {
    const f = plain();
    const stats = new InvocationStats(512);
    const lines = [
      report(ID, 'Init Duration: 30.00 ms'),
      `REPORT RequestId: ${ID2}\tDuration: 10.00 ms\tBilled Duration: 10 ms\tMemory Size: 512 MB\tMax Memory Used: 40 MB\tInit Duration: 50.00 ms`,
      ...Array.from(
        { length: 97 },
        (_, i) =>
          `REPORT RequestId: w-${i}\tDuration: ${i + 1}.00 ms\tBilled Duration: ${i + 1} ms\tMemory Size: 512 MB\tMax Memory Used: 20 MB`,
      ),
      // A timeout: its Task timed out line and its REPORT count once, and not as an error too.
      `2026-05-01T09:30:03.123Z ${ID2} Task timed out after 3.00 seconds`,
      `REPORT RequestId: t-1\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 512 MB\tMax Memory Used: 22 MB\tStatus: timeout`,
      `ERROR Lambda runtime invoke{requestId="e-1"}: orders: sink unreachable`,
      JSON.stringify({ level: 'ERROR', fields: { message: 'again' }, span: { requestId: 'e-1' } }),
      `REPORT RequestId: e-2\tDuration: 5.00 ms\tBilled Duration: 5 ms\tMemory Size: 512 MB\tMax Memory Used: 19 MB\tStatus: error\tError Type: Runtime.ExitError`,
    ];
    for (const line of lines) stats.observe(f.classify(event(line)));
    const summary = stats.summary();
    // Durations 1..97 and 2.37, 5, 10, 3000: 101 values; ranks 51, 96 and 100 are 48, 93 and 97.
    expect(summary).toEqual({
      invocations: 101,
      coldStarts: 2,
      medianInitMs: 30,
      p50Ms: 48,
      p95Ms: 93,
      p99Ms: 97,
      maxMemoryUsedMb: 40,
      memorySizeMb: 512,
      errors: 2,
      timeouts: 2,
    });
    expect(formatSummary(summary)).toBe(
      '101 invocations · 2 cold starts (median init 30.00 ms) · p50 48.00 ms · p95 93.00 ms · p99 97.00 ms · memory 40/512 MB · 2 errors · 2 timeouts',
    );
  });

  it('uses nearest-rank percentiles and says when nothing ran', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 99)).toBe(4);
    expect(percentile([7], 1)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
    expect(formatSummary(new InvocationStats(128).summary())).toBe('no invocations');
  });
});

describe('parseSince', () => {
  it('reads relative spans and ISO dates', () => {
    const now = Date.UTC(2026, 4, 1, 12);
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('1d', now)).toBe(now - 86_400_000);
    expect(parseSince('30s', now)).toBe(now - 30_000);
    expect(parseSince('2026-05-01T09:00:00Z', now)).toBe(Date.UTC(2026, 4, 1, 9));
    expect(parseSince('soon', now)).toBeUndefined();
    expect(parseSince('10', now)).toBeUndefined();
  });
});
