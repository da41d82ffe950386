/**
 * The function benchmark's figures, apart from how they are measured: statistics over samples,
 * the check that an answer is a success, and the table and JSON that report them. Pure.
 */
import { percentile } from '../aws/log-summary.js';
import type { LocalInvocation } from '../runtime-api/local-function.js';
import { trigger as triggerRow, type SinkId, type TriggerId } from '../scaffold/catalog.js';
import { usageError } from '../errors.js';

/** The size the issue sets for a function with an SDK client, unzipped (MB as 10^6 bytes). */
export const SIZE_TARGET_BYTES = 8_000_000;

export interface Summary {
  n: number;
  median: number;
  p95: number;
  min: number;
  max: number;
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** p95 is nearest-rank, as `lambda-kit logs` reports it: one of the samples (of 100, the 95th). */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('summary of no values');
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, median: median(sorted), p95: percentile(sorted, 95)!, min: sorted[0]!, max: sorted.at(-1)! };
}

/**
 * Why an answer is not the success the sample event should get, or undefined: a benchmark of
 * failing invocations (a missing table, an unreachable sink) would measure the wrong thing.
 */
export function answerProblem(trigger: TriggerId, result: LocalInvocation): string | undefined {
  switch (result.outcome) {
    case 'response':
      break;
    case 'error':
    case 'init-error':
      return `${result.outcome}: ${result.errorType}: ${result.errorMessage}`;
    case 'timeout':
      return `no answer within ${result.timeoutMs} ms`;
    case 'init-timeout':
      return `the runtime did not poll for an event within ${result.timeoutMs} ms`;
    case 'exited':
      return `the process ended before answering (${result.spawnError ?? (result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`)})`;
  }
  // Only read, and through `?.`: any JSON value (a number, null) is safe to probe.
  let payload: { statusCode?: unknown; body?: unknown; batchItemFailures?: unknown } | null;
  try {
    payload = JSON.parse(result.payload.toString('utf8'));
  } catch {
    return `the answer is not JSON: ${result.payload.toString('utf8').slice(0, 200)}`;
  }
  const row = triggerRow(trigger);
  // An HTTP function answers a stored item with 201; a batch function lists the records to retry.
  if (row.runtime === 'lambda_http' && payload?.statusCode !== 201) {
    return `expected status 201, got ${payload?.statusCode}: ${String(payload?.body).slice(0, 200)}`;
  }
  if (row.batch && !(Array.isArray(payload?.batchItemFailures) && payload.batchItemFailures.length === 0)) {
    return `expected no batchItemFailures, got ${JSON.stringify(payload).slice(0, 200)}`;
  }
  return undefined;
}

/** The records one event carries (an API request is one). */
export function recordsIn(event: unknown): number {
  const records = (event as { Records?: unknown })?.Records;
  return Array.isArray(records) ? records.length : 1;
}

export interface FunctionFigures {
  trigger: TriggerId;
  sink: SinkId;
  /** Records in the sample event: each is one write to the sink. */
  records: number;
  binaryBytes: number;
  /** The one-file zip Lambda would receive, deflated as `sam deploy` does. */
  zippedBytes: number;
  buildSeconds: number;
  /** Spawn → first response, one fresh process each. */
  coldStartMs: number[];
  /** Spawn → first poll for an event: the part of the cold start before the event is handled. */
  initMs: number[];
  /** CPU time of each cold process (all its threads) by its first response; empty where /proc tells nothing. */
  coldCpuMs: number[];
  /** The Runtime API's view of each warm invocation: event delivered → response posted. */
  warmMs: number[];
  /** CPU time of the warm process (all its threads) during each warm invocation; empty where /proc tells nothing. */
  warmCpuMs: number[];
  /** Peak resident memory of the warm process after all its invocations. */
  peakRssBytes: number | undefined;
}

export interface BenchContext {
  date: Date;
  machine: string;
  tools: string;
  /**
   * The machine's CPU time that was busy while measuring, 0–1, over all cores: other work on the
   * machine skews the figures. The bench's own processes (Node, the function, moto) mostly take
   * turns, so on 2 cores much more than 0.5 means something else ran too.
   */
  cpuBusy: number | undefined;
  cold: number;
  warm: number;
}

const megabytes = (bytes: number) => `${(bytes / 1_000_000).toFixed(2)} MB`;
const milliseconds = (ms: number) => `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;

/** One row per function, as a Markdown table with aligned columns (pasted into the README as is). */
export function formatTable(functions: readonly FunctionFigures[]): string {
  const header = [
    'function',
    'records',
    'binary',
    `≤ ${SIZE_TARGET_BYTES / 1_000_000} MB`,
    'zipped',
    'cold start (median)',
    'of which init',
    'cold CPU',
    'warm median',
    'warm CPU median',
    'warm p95',
    'peak RSS',
  ];
  const medianOrNa = (samples: readonly number[]) => (samples.length === 0 ? 'n/a' : milliseconds(median(samples)));
  const rows = functions.map((f) => {
    const cold = summarize(f.coldStartMs);
    const init = summarize(f.initMs);
    const warm = summarize(f.warmMs);
    const over = f.binaryBytes - SIZE_TARGET_BYTES;
    return [
      `${f.trigger} → ${f.sink}`,
      String(f.records),
      megabytes(f.binaryBytes),
      over <= 0 ? 'yes' : `no, +${megabytes(over)}`,
      megabytes(f.zippedBytes),
      milliseconds(cold.median),
      milliseconds(init.median),
      medianOrNa(f.coldCpuMs),
      milliseconds(warm.median),
      medianOrNa(f.warmCpuMs),
      milliseconds(warm.p95),
      f.peakRssBytes === undefined ? 'n/a' : `${Math.round(f.peakRssBytes / 1_048_576)} MiB`,
    ];
  });
  const right = (i: number) => i > 0 && i !== 3;
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The report for people: what ran where, the table, and what the columns measure. */
export function formatReport(context: BenchContext, functions: readonly FunctionFigures[]): string {
  return [
    `${context.date.toISOString().slice(0, 10)} · ${context.machine} · CPU ${context.cpuBusy === undefined ? 'n/a' : `${Math.round(context.cpuBusy * 100)} %`} busy while measuring`,
    context.tools,
    `release builds · cold start: median of ${context.cold} fresh processes · warm: median and p95 of ${context.warm} invocations of one process`,
    "CPU: the function process's threads, from /proc/<pid>/task/*/schedstat, by the first response (cold) and around each invocation (warm)",
    '',
    formatTable(functions),
    '',
  ].join('\n');
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;
const roundSummary = (s: Summary): Summary => ({
  n: s.n,
  median: round(s.median),
  p95: round(s.p95),
  min: round(s.min),
  max: round(s.max),
});

/** The report as data: every sample, in milliseconds to the microsecond. */
export function reportJson(context: BenchContext, functions: readonly FunctionFigures[]): string {
  return `${JSON.stringify(
    {
      date: context.date.toISOString(),
      machine: context.machine,
      tools: context.tools,
      cpuBusyWhileMeasuring: context.cpuBusy === undefined ? null : Math.round(context.cpuBusy * 1000) / 1000,
      counts: { cold: context.cold, warm: context.warm },
      sizeTargetBytes: SIZE_TARGET_BYTES,
      functions: functions.map((f) => ({
        trigger: f.trigger,
        sink: f.sink,
        records: f.records,
        binaryBytes: f.binaryBytes,
        zippedBytes: f.zippedBytes,
        withinSizeTarget: f.binaryBytes <= SIZE_TARGET_BYTES,
        buildSeconds: Math.round(f.buildSeconds * 10) / 10,
        peakRssBytes: f.peakRssBytes ?? null,
        coldStartMs: { ...roundSummary(summarize(f.coldStartMs)), samples: f.coldStartMs.map(round) },
        initMs: { ...roundSummary(summarize(f.initMs)), samples: f.initMs.map(round) },
        coldCpuMs: f.coldCpuMs.length ? { ...roundSummary(summarize(f.coldCpuMs)), samples: f.coldCpuMs.map(round) } : null,
        warmMs: { ...roundSummary(summarize(f.warmMs)), samples: f.warmMs.map(round) },
        warmCpuMs: f.warmCpuMs.length ? { ...roundSummary(summarize(f.warmCpuMs)), samples: f.warmCpuMs.map(round) } : null,
      })),
    },
    null,
    2,
  )}\n`;
}

/** The first line of /proc/stat, `cpu  user nice system idle iowait irq softirq steal …`, as jiffies. */
export interface CpuTimes {
  idle: number;
  total: number;
}

export function parseCpuTimes(procStat: string): CpuTimes | undefined {
  const fields = /^cpu\s+(.+)$/m.exec(procStat)?.[1]?.trim().split(/\s+/).map(Number);
  if (!fields || fields.length < 4 || fields.some((n) => !Number.isFinite(n))) return undefined;
  // guest and guest_nice (9th, 10th) are already counted in user and nice.
  const counted = fields.slice(0, 8);
  return { idle: counted[3]! + (counted[4] ?? 0), total: counted.reduce((a, b) => a + b, 0) };
}

/** The share of CPU time spent busy between two readings, or undefined when none passed. */
export function cpuBusyBetween(before: CpuTimes, after: CpuTimes): number | undefined {
  const total = after.total - before.total;
  return total > 0 ? 1 - (after.idle - before.idle) / total : undefined;
}

/** A count from a flag or an environment variable: a whole number, at least 1 (a usage error otherwise). */
export function parseCount(raw: string, name: string): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < 1)
    throw usageError(`${name} must be a whole number ≥ 1, got "${raw}".`);
  return value;
}
