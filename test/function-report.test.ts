/**
 * The function benchmark's pure parts: its statistics, its check of an answer, its table and
 * JSON. Nothing here is timed; `npm run bench:function` does the measuring.
 */
import { describe, expect, it } from 'vitest';
import {
  SIZE_TARGET_BYTES,
  answerProblem,
  cpuBusyBetween,
  formatReport,
  formatTable,
  median,
  parseCount,
  parseCpuTimes,
  recordsIn,
  reportJson,
  summarize,
  type FunctionFigures,
} from '../src/bench/function-report.js';
import type { LocalInvocation } from '../src/runtime-api/local-function.js';

describe('statistics', () => {
  it('median: the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/no values/);
  });

  it('summarize: p95 by nearest rank, always one of the samples', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i); // 100 … 1, unsorted
    expect(summarize(hundred)).toEqual({ n: 100, median: 50.5, p95: 95, min: 1, max: 100 });
    // Ten samples: p95 is the 10th (ceil(9.5)), the largest.
    expect(summarize([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]).p95).toBe(10);
    expect(summarize([3])).toEqual({ n: 1, median: 3, p95: 3, min: 3, max: 3 });
    expect(() => summarize([])).toThrow(/no values/);
  });

  it('summarize leaves its input unsorted', () => {
    const samples = [3, 1, 2];
    expect(summarize(samples)).toEqual({ n: 3, median: 2, p95: 3, min: 1, max: 3 });
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('answerProblem', () => {
  const timing = { requestId: 'r', deliveredAt: 0, completedAt: 1, durationMs: 1, logs: [] };
  const response = (payload: unknown): LocalInvocation => ({
    ...timing,
    outcome: 'response',
    payload: Buffer.from(JSON.stringify(payload)),
  });

  it('accepts what each trigger answers when its sink took every record', () => {
    expect(answerProblem('api', response({ statusCode: 201, body: '{}' }))).toBeUndefined();
    expect(answerProblem('sqs', response({ batchItemFailures: [] }))).toBeUndefined();
    expect(answerProblem('kinesis', response({ batchItemFailures: [] }))).toBeUndefined();
    expect(answerProblem('s3', response(null))).toBeUndefined();
  });

  it('refuses an answer that reports a failure, and says what it got', () => {
    expect(answerProblem('api', response({ statusCode: 500, body: '{"error":"internal error"}' }))).toMatch(
      /expected status 201, got 500: .*internal error/,
    );
    expect(answerProblem('sqs', response({ batchItemFailures: [{ itemIdentifier: 'm-1' }] }))).toMatch(
      /expected no batchItemFailures, got .*m-1/,
    );
    expect(answerProblem('kinesis', response({}))).toMatch(/expected no batchItemFailures/);
  });

  it('refuses every outcome that is not a response', () => {
    const error: LocalInvocation = {
      ...timing,
      outcome: 'error',
      errorType: 'Sink',
      errorMessage: 'table missing',
      payload: Buffer.from('{}'),
    };
    expect(answerProblem('s3', error)).toBe('error: Sink: table missing');
    expect(answerProblem('sqs', { outcome: 'exited', requestId: 'r', exitCode: 101, signal: null, logs: [] })).toMatch(
      /ended before answering \(exit code 101\)/,
    );
    expect(
      answerProblem('sqs', { outcome: 'exited', requestId: 'r', exitCode: null, signal: null, spawnError: 'ENOENT', logs: [] }),
    ).toMatch(/\(ENOENT\)/);
    expect(answerProblem('api', { outcome: 'timeout', requestId: 'r', deliveredAt: 0, timeoutMs: 10_000, logs: [] })).toBe(
      'no answer within 10000 ms',
    );
    expect(answerProblem('api', { outcome: 'init-timeout', requestId: 'r', timeoutMs: 10_000, logs: [] })).toMatch(/did not poll/);
    expect(answerProblem('api', { ...timing, outcome: 'response', payload: Buffer.from('not json') })).toMatch(/not JSON: not json/);
  });
});

describe('reporting', () => {
  const warm = Array.from({ length: 100 }, (_, i) => 2 + i / 100); // 2.00 … 2.99
  const figures = (overrides: Partial<FunctionFigures>): FunctionFigures => ({
    trigger: 'sqs',
    sink: 'dynamodb',
    records: 3,
    binaryBytes: 7_270_544,
    zippedBytes: 3_233_545,
    buildSeconds: 63.4,
    coldStartMs: [30, 20, 25, 21, 24],
    initMs: [10, 9, 11, 12, 8],
    coldCpuMs: [4, 5, 3, 6, 4.5],
    warmMs: warm,
    warmCpuMs: warm.map((ms) => ms / 4),
    peakRssBytes: 21 * 1_048_576,
    ...overrides,
  });
  const context = {
    date: new Date('2026-05-01T09:30:00Z'),
    machine: '2 × Test CPU',
    tools: 'node 20.20.2',
    cpuBusy: 0.534,
    cold: 5,
    warm: 100,
  };

  it('recordsIn counts an event’s records; an API request is one', () => {
    expect(recordsIn({ Records: [{}, {}, {}] })).toBe(3);
    expect(recordsIn({ version: '2.0', body: '{}' })).toBe(1);
  });

  it('formatTable: one aligned Markdown row per function, the size target judged, medians and p95', () => {
    const table = formatTable([
      figures({}),
      figures({
        trigger: 'kinesis',
        sink: 'sqs',
        binaryBytes: SIZE_TARGET_BYTES + 1_250_000,
        peakRssBytes: undefined,
        coldCpuMs: [],
        warmCpuMs: [],
      }),
    ]);
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[0]).toMatch(
      /^\| function +\| records \| +binary \| ≤ 8 MB +\| +zipped \| cold start \(median\) \| of which init \| cold CPU \| warm median \| warm CPU median \| warm p95 \| peak RSS \|$/,
    );
    expect(lines[1]).toMatch(/^\|-+\|-+:\|-+:\|-+\|/);
    const cells = (line: string) =>
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    expect(cells(lines[2]!)).toEqual([
      'sqs → dynamodb',
      '3',
      '7.27 MB',
      'yes',
      '3.23 MB',
      '24.0 ms',
      '10.0 ms',
      '4.50 ms',
      '2.50 ms',
      '0.62 ms',
      '2.94 ms',
      '21 MiB',
    ]);
    // Where /proc told nothing (not Linux), the CPU columns say so.
    expect(cells(lines[3]!)).toEqual([
      'kinesis → sqs',
      '3',
      '9.25 MB',
      'no, +1.25 MB',
      '3.23 MB',
      '24.0 ms',
      '10.0 ms',
      'n/a',
      '2.50 ms',
      'n/a',
      '2.94 ms',
      'n/a',
    ]);
  });

  it('formatReport says when, where, and what was counted, above the table', () => {
    const report = formatReport(context, [figures({})]);
    expect(report.split('\n').slice(0, 4)).toEqual([
      '2026-05-01 · 2 × Test CPU · CPU 53 % busy while measuring',
      'node 20.20.2',
      'release builds · cold start: median of 5 fresh processes · warm: median and p95 of 100 invocations of one process',
      "CPU: the function process's threads, from /proc/<pid>/task/*/schedstat, by the first response (cold) and around each invocation (warm)",
    ]);
    expect(report).toContain(formatTable([figures({})]));
  });

  it('reportJson keeps every sample and the exact sizes', () => {
    const json = JSON.parse(reportJson(context, [figures({ warmMs: [1.23456789, 2] }), figures({ coldCpuMs: [], warmCpuMs: [] })]));
    expect(json).toMatchObject({
      date: '2026-05-01T09:30:00.000Z',
      cpuBusyWhileMeasuring: 0.534,
      counts: { cold: 5, warm: 100 },
      sizeTargetBytes: 8_000_000,
    });
    const [fn] = json.functions;
    expect(fn).toMatchObject({
      trigger: 'sqs',
      sink: 'dynamodb',
      binaryBytes: 7_270_544,
      zippedBytes: 3_233_545,
      withinSizeTarget: true,
      buildSeconds: 63.4,
      peakRssBytes: 22_020_096,
    });
    expect(fn.warmMs).toEqual({ n: 2, median: 1.617, p95: 2, min: 1.235, max: 2, samples: [1.235, 2] });
    expect(fn.coldStartMs.samples).toEqual([30, 20, 25, 21, 24]);
    expect(fn.coldCpuMs).toEqual({ n: 5, median: 4.5, p95: 6, min: 3, max: 6, samples: [4, 5, 3, 6, 4.5] });
    expect(fn.warmCpuMs.n).toBe(100);
    expect(json.functions[1]).toMatchObject({ coldCpuMs: null, warmCpuMs: null });
  });

  it('parseCpuTimes and cpuBusyBetween: the busy share of all cores between two /proc/stat readings', () => {
    // user nice system idle iowait irq softirq steal guest guest_nice
    const before = parseCpuTimes('cpu  100 0 50 800 50 0 0 0 30 0\ncpu0 50 0 25 400 25 0 0 0 15 0\n')!;
    const after = parseCpuTimes('cpu  400 0 150 1200 50 0 0 0 90 0\ncpu0 200 0 75 600 25 0 0 0 45 0\n')!;
    expect(before).toEqual({ idle: 850, total: 1000 });
    expect(after).toEqual({ idle: 1250, total: 1800 });
    expect(cpuBusyBetween(before, after)).toBe(0.5);
    expect(cpuBusyBetween(after, after)).toBeUndefined();
    expect(parseCpuTimes('')).toBeUndefined();
    expect(parseCpuTimes('cpu  a b c d')).toBeUndefined();
  });

  it('parseCount takes whole numbers from 1, and names the flag it refuses', () => {
    expect(parseCount('10', '--cold')).toBe(10);
    expect(parseCount(' 100 ', 'BENCH_WARM')).toBe(100);
    for (const bad of ['0', '-1', '1.5', 'ten', '', '1e3'])
      expect(() => parseCount(bad, '--cold')).toThrow(/--cold must be a whole number ≥ 1/);
    try {
      parseCount('0', '--warm');
    } catch (error) {
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
  });
});
