/**
 * The REPORT line in every variant Lambda writes (text and JSON log formats; cold and warm;
 * SnapStart restore; X-Ray; timeout and error status), the log tail of an invoke, and the
 * compact form of a function's JSON log lines.
 */
import { describe, expect, it } from 'vitest';
import { compactLogLine } from '../src/aws/log-line.js';
import { formatReport, isPlatformLine, parseLogTail, parseReportLine } from '../src/aws/report.js';

const ID = '6e4b5dc6-5a0b-4a45-b2f9-2f4f5c1b3c3e';

describe('parseReportLine, text format', () => {
  it('reads a warm invocation', () => {
    const line = `REPORT RequestId: ${ID}\tDuration: 2.37 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB\t`;
    expect(parseReportLine(line)).toEqual({ requestId: ID, durationMs: 2.37, billedDurationMs: 3, memorySizeMb: 128, maxMemoryUsedMb: 18 });
  });

  it('reads a cold start: Init Duration', () => {
    const line = `REPORT RequestId: ${ID}\tDuration: 41.05 ms\tBilled Duration: 75 ms\tMemory Size: 512 MB\tMax Memory Used: 21 MB\tInit Duration: 33.12 ms\t`;
    expect(parseReportLine(line)).toMatchObject({ durationMs: 41.05, billedDurationMs: 75, initDurationMs: 33.12 });
  });

  it('reads a SnapStart restore', () => {
    const line = `REPORT RequestId: ${ID}\tDuration: 8.12 ms\tBilled Duration: 203 ms\tMemory Size: 1024 MB\tMax Memory Used: 64 MB\tRestore Duration: 474.16 ms\tBilled Restore Duration: 194 ms\t`;
    const report = parseReportLine(line);
    expect(report).toMatchObject({ durationMs: 8.12, billedDurationMs: 203, restoreDurationMs: 474.16, billedRestoreDurationMs: 194 });
    expect(report?.initDurationMs).toBeUndefined();
  });

  it('reads the X-Ray trace, on the same line or the next', () => {
    const xray = 'XRAY TraceId: 1-5e1b4151-43a0913a12345678901234ab\tSegmentId: 6c8b3d5a0b1d2e3f\tSampled: true\t';
    const base = `REPORT RequestId: ${ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 72 MB\tInit Duration: 112.04 ms\t`;
    const expected = { xrayTraceId: '1-5e1b4151-43a0913a12345678901234ab', xraySegmentId: '6c8b3d5a0b1d2e3f', xraySampled: true };
    expect(parseReportLine(`${base}${xray}`)).toMatchObject(expected);
    const tail = Buffer.from(`START RequestId: ${ID} Version: $LATEST\nEND RequestId: ${ID}\n${base}\n${xray}\n`).toString('base64');
    expect(parseLogTail(tail).report).toMatchObject({ ...expected, initDurationMs: 112.04 });
  });

  it('reads a CloudWatch REPORT event whose X-Ray part is a second line of the same message', () => {
    const message = `REPORT RequestId: ${ID}\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 72 MB\tInit Duration: 112.04 ms\t\nXRAY TraceId: 1-5e1b4151-43a0913a12345678901234ab\tSegmentId: 6c8b3d5a0b1d2e3f\tSampled: false\t\n`;
    expect(parseReportLine(message)).toEqual({
      requestId: ID,
      durationMs: 12.34,
      billedDurationMs: 13,
      memorySizeMb: 128,
      maxMemoryUsedMb: 72,
      initDurationMs: 112.04,
      xrayTraceId: '1-5e1b4151-43a0913a12345678901234ab',
      xraySegmentId: '6c8b3d5a0b1d2e3f',
      xraySampled: false,
    });
  });

  it('reads a cold start that timed out, with Init Duration and Status together', () => {
    const line = `REPORT RequestId: ${ID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tInit Duration: 95.10 ms\tStatus: timeout`;
    expect(parseReportLine(line)).toMatchObject({ initDurationMs: 95.1, status: 'timeout' });
  });

  it('reads Status: timeout and Status: error with its type', () => {
    const timeout = `REPORT RequestId: ${ID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 20 MB\tStatus: timeout`;
    expect(parseReportLine(timeout)).toMatchObject({ durationMs: 3000, status: 'timeout' });
    const error = `REPORT RequestId: ${ID}\tDuration: 5.55 ms\tBilled Duration: 6 ms\tMemory Size: 128 MB\tMax Memory Used: 19 MB\tStatus: error\tError Type: Runtime.ExitError`;
    expect(parseReportLine(error)).toMatchObject({ status: 'error', errorType: 'Runtime.ExitError' });
  });

  it('reads a line whose tabs became spaces (copied from a console)', () => {
    const line = `REPORT RequestId: ${ID} Duration: 2.37 ms Billed Duration: 3 ms Memory Size: 128 MB Max Memory Used: 18 MB Init Duration: 9.5 ms`;
    expect(parseReportLine(line)).toEqual({
      requestId: ID,
      durationMs: 2.37,
      billedDurationMs: 3,
      memorySizeMb: 128,
      maxMemoryUsedMb: 18,
      initDurationMs: 9.5,
    });
  });

  it('refuses what is not a complete REPORT', () => {
    expect(parseReportLine(`START RequestId: ${ID} Version: $LATEST`)).toBeUndefined();
    expect(parseReportLine(`REPORT RequestId: ${ID}\tDuration: 2.37 ms`)).toBeUndefined();
    expect(parseReportLine('REPORT Duration: 2 ms\tBilled Duration: 3 ms\tMemory Size: 128 MB\tMax Memory Used: 18 MB')).toBeUndefined();
    expect(parseReportLine('a REPORT of the day')).toBeUndefined();
  });
});

describe('parseReportLine, JSON format (LogFormat: JSON)', () => {
  const json = (record: object) => JSON.stringify({ time: '2026-05-01T09:30:00.456Z', type: 'platform.report', record });
  const metrics = { durationMs: 2.37, billedDurationMs: 3, memorySizeMB: 128, maxMemoryUsedMB: 18 };

  it('reads a warm and a cold invocation', () => {
    expect(parseReportLine(json({ requestId: ID, metrics, status: 'success' }))).toEqual({
      requestId: ID,
      durationMs: 2.37,
      billedDurationMs: 3,
      memorySizeMb: 128,
      maxMemoryUsedMb: 18,
      status: 'success',
    });
    expect(parseReportLine(json({ requestId: ID, metrics: { ...metrics, initDurationMs: 33.12 }, status: 'success' }))).toMatchObject({
      initDurationMs: 33.12,
    });
  });

  it('reads a restore, the trace, and a failed status with its error type', () => {
    const record = {
      requestId: ID,
      metrics: { ...metrics, restoreDurationMs: 474.16, billedRestoreDurationMs: 194 },
      tracing: {
        spanId: '6c8b3d5a0b1d2e3f',
        type: 'X-Amzn-Trace-Id',
        value: 'Root=1-5e1b4151-43a0913a12345678901234ab;Parent=6c8b3d5a0b1d2e3f;Sampled=1',
      },
      status: 'error',
      errorType: 'Runtime.ExitError',
    };
    expect(parseReportLine(json(record))).toMatchObject({
      restoreDurationMs: 474.16,
      billedRestoreDurationMs: 194,
      xrayTraceId: '1-5e1b4151-43a0913a12345678901234ab',
      xraySegmentId: '6c8b3d5a0b1d2e3f',
      xraySampled: true,
      status: 'error',
      errorType: 'Runtime.ExitError',
    });
    expect(parseReportLine(json({ requestId: ID, metrics, status: 'timeout' }))).toMatchObject({ status: 'timeout' });
  });

  it('refuses other platform events and other JSON', () => {
    expect(parseReportLine(JSON.stringify({ time: 't', type: 'platform.start', record: { requestId: ID } }))).toBeUndefined();
    expect(parseReportLine(json({ requestId: ID, metrics: { durationMs: 1 } }))).toBeUndefined();
    expect(parseReportLine('{"level":"INFO","message":"REPORT"}')).toBeUndefined();
    expect(parseReportLine('{not json')).toBeUndefined();
  });
});

describe('parseLogTail', () => {
  it('keeps the function’s lines and parses the REPORT, in text format', () => {
    const tail = [
      `START RequestId: ${ID} Version: $LATEST`,
      'INFO Lambda runtime invoke{requestId="…"}: stored item id=A-1001',
      `END RequestId: ${ID}`,
      `REPORT RequestId: ${ID}\tDuration: 4.20 ms\tBilled Duration: 5 ms\tMemory Size: 512 MB\tMax Memory Used: 22 MB\t`,
      '',
    ].join('\n');
    const { lines, report } = parseLogTail(Buffer.from(tail).toString('base64'));
    expect(lines).toEqual(['INFO Lambda runtime invoke{requestId="…"}: stored item id=A-1001']);
    expect(report).toMatchObject({ requestId: ID, durationMs: 4.2 });
  });

  it('keeps the function’s lines and parses the REPORT, in JSON format', () => {
    const tail = [
      JSON.stringify({ time: 't', type: 'platform.initStart', record: { runtimeVersion: 'provided:al2023.v100' } }),
      JSON.stringify({ time: 't', type: 'platform.start', record: { requestId: ID, version: '$LATEST' } }),
      '{"level":"WARN","fields":{"message":"message failed","message_id":"m-2"}}',
      JSON.stringify({ time: 't', type: 'platform.runtimeDone', record: { requestId: ID, status: 'success' } }),
      JSON.stringify({
        time: 't',
        type: 'platform.report',
        record: {
          requestId: ID,
          metrics: { durationMs: 1.5, billedDurationMs: 2, memorySizeMB: 128, maxMemoryUsedMB: 17, initDurationMs: 20 },
        },
      }),
    ].join('\n');
    const { lines, report } = parseLogTail(Buffer.from(tail).toString('base64'));
    expect(lines).toEqual(['{"level":"WARN","fields":{"message":"message failed","message_id":"m-2"}}']);
    expect(report).toMatchObject({ durationMs: 1.5, initDurationMs: 20 });
  });

  it('copes with no tail at all', () => {
    expect(parseLogTail(undefined)).toEqual({ lines: [], report: undefined });
  });

  it('knows Lambda’s own lines from the function’s', () => {
    expect(isPlatformLine(`INIT_START Runtime Version: provided:al2023.v100`)).toBe(true);
    expect(isPlatformLine('{"time":"t","type":"platform.start","record":{}}')).toBe(true);
    expect(isPlatformLine('{"type":"order","message":"START of day"}')).toBe(false);
    expect(isPlatformLine('STARTED the engine')).toBe(false);
  });
});

describe('formatReport', () => {
  it('says the cold start, the memory against the size, and a status that is not success', () => {
    expect(formatReport({ durationMs: 41.053, billedDurationMs: 75, memorySizeMb: 512, maxMemoryUsedMb: 21, initDurationMs: 33.12 })).toBe(
      'Duration 41.05 ms · Billed 75 ms · Memory 21/512 MB · Init 33.12 ms (cold start)',
    );
    expect(formatReport({ durationMs: 3000, billedDurationMs: 3000, memorySizeMb: 128, maxMemoryUsedMb: 20, status: 'timeout' })).toBe(
      'Duration 3000.00 ms · Billed 3000 ms · Memory 20/128 MB · Status timeout',
    );
    expect(formatReport({ durationMs: 1, status: 'success' })).toBe('Duration 1.00 ms');
  });
});

describe('compactLogLine', () => {
  it('shortens tracing’s JSON to the level, the message and the fields', () => {
    const line = JSON.stringify({
      level: 'WARN',
      fields: { message: 'message failed; SQS will deliver it again', message_id: '2e14', error: 'invalid item: missing field `name`' },
      target: 'orders::handler',
      span: { requestId: 'r-1', name: 'Lambda runtime invoke' },
      spans: [{ requestId: 'r-1' }],
    });
    expect(compactLogLine(line)).toEqual({
      level: 'WARN',
      text: 'message failed; SQS will deliver it again message_id=2e14 error="invalid item: missing field `name`"',
    });
  });

  it('shortens Lambda’s own JSON log lines (Node, Python)', () => {
    const line = '{"timestamp":"2026-05-01T09:30:00.123Z","level":"INFO","requestId":"r-1","message":"stored","count":3}';
    expect(compactLogLine(line)).toEqual({ level: 'INFO', text: 'stored count=3' });
  });

  it('leaves text lines and other JSON alone', () => {
    expect(compactLogLine('INFO stored id=A-1001')).toEqual({ text: 'INFO stored id=A-1001' });
    expect(compactLogLine('[1, 2]')).toEqual({ text: '[1, 2]' });
    expect(compactLogLine('{oops')).toEqual({ text: '{oops' });
  });
});
