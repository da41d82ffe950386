/**
 * The platform's REPORT line, which Lambda writes after every invocation: how long it ran, what
 * it was billed, how much memory it used, and, on a cold start, how long the init took. Lambda
 * writes it as text (`REPORT RequestId: … Duration: 1.23 ms …`) or, with LoggingConfig's
 * LogFormat JSON, as a `platform.report` event. Both parse to the same Report.
 *
 * Pure: strings in, values out.
 */

export interface Report {
  requestId: string;
  durationMs: number;
  billedDurationMs: number;
  memorySizeMb: number;
  maxMemoryUsedMb: number;
  /** Present on a cold start only. */
  initDurationMs?: number;
  /** SnapStart: the restore took this long, and was billed this much. */
  restoreDurationMs?: number;
  billedRestoreDurationMs?: number;
  /** `success`, `error`, `timeout`; the text format only names it when it is not a success. */
  status?: string;
  errorType?: string;
  xrayTraceId?: string;
  xraySegmentId?: string;
  xraySampled?: boolean;
}

/** The text fields, as Lambda names them, and where each goes. */
const TEXT_NUMBERS: Record<string, keyof Report> = {
  Duration: 'durationMs',
  'Billed Duration': 'billedDurationMs',
  'Memory Size': 'memorySizeMb',
  'Max Memory Used': 'maxMemoryUsedMb',
  'Init Duration': 'initDurationMs',
  'Restore Duration': 'restoreDurationMs',
  'Billed Restore Duration': 'billedRestoreDurationMs',
};

/** Longest first, so that `Billed Duration` is not read as `Duration`. */
const TEXT_LABEL = new RegExp(
  `(?<![A-Za-z])(${['RequestId', 'Billed Restore Duration', 'Restore Duration', 'Billed Duration', 'Init Duration', 'Duration']
    .concat(['Memory Size', 'Max Memory Used', 'Status', 'Error Type', 'XRAY TraceId', 'SegmentId', 'Sampled'])
    .join('|')}):`,
  'g',
);

const JSON_NUMBERS: Record<string, keyof Report> = {
  durationMs: 'durationMs',
  billedDurationMs: 'billedDurationMs',
  memorySizeMB: 'memorySizeMb',
  maxMemoryUsedMB: 'maxMemoryUsedMb',
  initDurationMs: 'initDurationMs',
  restoreDurationMs: 'restoreDurationMs',
  billedRestoreDurationMs: 'billedRestoreDurationMs',
};

/** Parses one REPORT line (text or JSON); anything else gives undefined. */
export function parseReportLine(line: string): Report | undefined {
  const trimmed = line.trim();
  if (trimmed.startsWith('REPORT ')) return parseTextReport(trimmed);
  if (trimmed.startsWith('{')) return parseJsonReport(trimmed);
  return undefined;
}

/**
 * `REPORT RequestId: <id>\tDuration: 12.34 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\t
 * Max Memory Used: 18 MB\tInit Duration: 120.45 ms\tStatus: timeout\tXRAY TraceId: …\t
 * SegmentId: …\tSampled: true`. The X-Ray part may follow on the next line.
 */
function parseTextReport(line: string): Report | undefined {
  // Fields are tab-separated, but copies often have spaces: cut at the known labels instead.
  const fields = new Map<string, string>();
  const labels = [...line.matchAll(TEXT_LABEL)];
  labels.forEach((match, i) => {
    const end = labels[i + 1]?.index ?? line.length;
    fields.set(match[1]!, line.slice(match.index! + match[0].length, end).trim());
  });
  const requestId = fields.get('RequestId');
  if (!requestId) return undefined;
  const report: Partial<Report> = { requestId };
  for (const [name, key] of Object.entries(TEXT_NUMBERS)) {
    const value = fields.get(name);
    if (value === undefined) continue;
    const number = Number.parseFloat(value);
    if (Number.isFinite(number)) (report as Record<string, unknown>)[key] = number;
  }
  if (!isComplete(report)) return undefined;
  const status = fields.get('Status');
  if (status) report.status = status;
  const errorType = fields.get('Error Type');
  if (errorType) report.errorType = errorType;
  const traceId = fields.get('XRAY TraceId');
  if (traceId) report.xrayTraceId = traceId;
  const segmentId = fields.get('SegmentId');
  if (segmentId) report.xraySegmentId = segmentId;
  const sampled = fields.get('Sampled');
  if (sampled) report.xraySampled = sampled === 'true';
  return report;
}

/**
 * `{"time": "…", "type": "platform.report", "record": {"requestId": "…", "metrics":
 * {"durationMs": 2.5, …}, "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=…"},
 * "status": "success"}}`.
 */
function parseJsonReport(line: string): Report | undefined {
  let event: unknown;
  try {
    event = JSON.parse(line);
  } catch {
    return undefined;
  }
  const { type, record } = (event ?? {}) as { type?: unknown; record?: Record<string, unknown> };
  if (type !== 'platform.report' || typeof record !== 'object' || record === null) return undefined;
  if (typeof record.requestId !== 'string') return undefined;
  const report: Partial<Report> = { requestId: record.requestId };
  const metrics = (record.metrics ?? {}) as Record<string, unknown>;
  for (const [name, key] of Object.entries(JSON_NUMBERS)) {
    if (typeof metrics[name] === 'number') (report as Record<string, unknown>)[key] = metrics[name];
  }
  if (!isComplete(report)) return undefined;
  if (typeof record.status === 'string') report.status = record.status;
  if (typeof record.errorType === 'string') report.errorType = record.errorType;
  const tracing = record.tracing as { type?: unknown; value?: unknown } | undefined;
  if (tracing && typeof tracing.value === 'string') {
    const parts = new Map(tracing.value.split(';').map((kv) => kv.split('=', 2) as [string, string]));
    if (parts.has('Root')) report.xrayTraceId = parts.get('Root');
    if (parts.has('Parent')) report.xraySegmentId = parts.get('Parent');
    if (parts.has('Sampled')) report.xraySampled = parts.get('Sampled') === '1';
  }
  return report;
}

function isComplete(report: Partial<Report>): report is Report {
  return ['durationMs', 'billedDurationMs', 'memorySizeMb', 'maxMemoryUsedMb'].every(
    (key) => typeof report[key as keyof Report] === 'number',
  );
}

/** Lambda's own lines around an invocation, which a reader of the function's logs skips. */
export function isPlatformLine(line: string): boolean {
  const trimmed = line.trim();
  if (/^(START|END|REPORT|INIT_START|INIT_REPORT|RESTORE_START|RESTORE_REPORT) /.test(trimmed)) return true;
  if (!trimmed.startsWith('{"time"') && !trimmed.includes('"type":"platform.') && !trimmed.includes('"type": "platform.')) return false;
  try {
    const { type } = JSON.parse(trimmed) as { type?: unknown };
    return typeof type === 'string' && type.startsWith('platform.');
  } catch {
    return false;
  }
}

/**
 * An invoke's log tail (`LogType: Tail`: the last 4 KB of its log, base64-encoded): the
 * function's own lines, and the REPORT parsed. The first line may be cut off by the 4 KB limit.
 */
export function parseLogTail(base64: string | undefined): { lines: string[]; report: Report | undefined } {
  if (!base64) return { lines: [], report: undefined };
  const text = Buffer.from(base64, 'base64').toString('utf8');
  const raw = text.split('\n');
  let report: Report | undefined;
  const lines: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const line = raw[i]!.replace(/\r$/, '');
    // The text format may put the X-Ray fields on a line of their own after REPORT.
    const next = raw[i + 1];
    if (line.startsWith('REPORT ') && next?.startsWith('XRAY ')) {
      report = parseReportLine(`${line}\t${next}`) ?? report;
      i++;
      continue;
    }
    const parsed = parseReportLine(line);
    if (parsed) report = parsed;
    else if (line.trim() && !isPlatformLine(line)) lines.push(line);
  }
  return { lines, report };
}

/** One line for people: `Duration 12.34 ms · Billed 13 ms · Memory 18/128 MB · Init 120.45 ms (cold start)`. */
export function formatReport(
  report: Pick<Report, 'durationMs' | 'initDurationMs' | 'status'> & Partial<Report>,
  options: { coldStartNote?: boolean } = {},
): string {
  const parts = [`Duration ${formatMs(report.durationMs)}`];
  if (report.billedDurationMs !== undefined) parts.push(`Billed ${report.billedDurationMs} ms`);
  if (report.maxMemoryUsedMb !== undefined) {
    parts.push(`Memory ${report.maxMemoryUsedMb}${report.memorySizeMb !== undefined ? `/${report.memorySizeMb}` : ''} MB`);
  }
  if (report.initDurationMs !== undefined)
    parts.push(`Init ${formatMs(report.initDurationMs)}${options.coldStartNote === false ? '' : ' (cold start)'}`);
  if (report.restoreDurationMs !== undefined) parts.push(`Restore ${formatMs(report.restoreDurationMs)}`);
  if (report.status && report.status !== 'success')
    parts.push(`Status ${report.status}${report.errorType ? ` (${report.errorType})` : ''}`);
  return parts.join(' · ');
}

function formatMs(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}
