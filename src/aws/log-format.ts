/**
 * A function's CloudWatch log events, as `lambda-kit logs` prints them: time, function (when
 * there are several), short request id, and the message. JSON structured logs are compacted with
 * their level coloured, Lambda's START/END lines are hidden unless asked for, failures are red,
 * and each REPORT becomes one line with a cold-start badge.
 *
 * Pure: events in, strings out. The only state is which invocation each log stream is in, so
 * that a text line without a request id still shows whose it is. Whatever came from the log is
 * made showable before it is painted: a line cannot drive the terminal, and is always one line.
 */
import { MAX_FORMATTED_DEPTH, nestingDepth } from '../text/json-text.js';
import { showable, showableLine } from '../text/terminal-text.js';
import { compactLogLine } from './log-line.js';
import { formatReport, parseReportLine, type Report } from './report.js';

/** One log event, from FilterLogEvents or LiveTail, with the function it belongs to. */
export interface LogEvent {
  timestamp: number;
  message: string;
  logStreamName: string;
  /** FilterLogEvents gives one; LiveTail does not. */
  eventId?: string;
  ingestionTime?: number;
  logGroupName: string;
  /** The function's logical id in the stack. */
  functionId: string;
}

/** What a line says about its invocation, for the summary. */
export type LineKind = 'report' | 'platform' | 'error' | 'timeout' | 'log';

export interface ClassifiedLine {
  kind: LineKind;
  requestId: string | undefined;
  report?: Report;
  /** The line to print, or undefined when it is hidden. */
  text: string | undefined;
}

export interface FormatOptions {
  colour: boolean;
  /** Show START/END (and the other per-invocation platform lines). */
  verbose: boolean;
  /** Show the function's logical id on each line (when the stack has more than one). */
  showFunction: boolean;
  /** Times in UTC rather than local time (tests, and machines that log in UTC). */
  utc?: boolean;
}

const ANSI = { red: [31, 39], yellow: [33, 39], green: [32, 39], cyan: [36, 39], magenta: [35, 39], dim: [2, 22], bold: [1, 22] } as const;
type Paint = keyof typeof ANSI;

function painter(colour: boolean): (name: Paint, text: string) => string {
  return colour ? (name, text) => `\x1b[${ANSI[name][0]}m${text}\x1b[${ANSI[name][1]}m` : (_name, text) => text;
}

const LEVEL_PAINT: Record<string, Paint> = {
  ERROR: 'red',
  FATAL: 'red',
  WARN: 'yellow',
  WARNING: 'yellow',
  INFO: 'green',
  DEBUG: 'dim',
  TRACE: 'dim',
};

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
/** `START RequestId: <id> Version: $LATEST`, `END RequestId: <id>`. */
const START_END = /^(START|END) RequestId: (\S+)/;
const INIT_LINE = /^(INIT_START|INIT_REPORT|RESTORE_START|RESTORE_REPORT|EXTENSION|TELEMETRY) /;
/** The Node/Python runtimes' text prefix: `2026-05-01T09:30:00.123Z\t<request id>\t…`. */
const RUNTIME_PREFIX = /^\d{4}-\d\d-\d\dT[\d:.]+Z\t([0-9a-f-]{36})\t(?:(ERROR|WARN|INFO|DEBUG|TRACE|FATAL)\t)?/;
/** The Rust runtime's text format: `… Lambda runtime invoke{requestId="<id>" …}: …`. */
const SPAN_REQUEST_ID = /requestId="([^"]+)"/;
/** Lines that say an invocation failed badly, whatever their level. */
const FATAL_TEXT = /Task timed out|Runtime exited|Runtime\.[A-Z]\w*/;
const TIMED_OUT = /Task timed out/;
/** Lambda's JSON platform events hidden unless --verbose, like START and END in text. */
const QUIET_PLATFORM = new Set([
  'platform.start',
  'platform.runtimeDone',
  'platform.initStart',
  'platform.initRuntimeDone',
  'platform.extension',
  'platform.telemetrySubscription',
]);

export class LogFormatter {
  private readonly paint: (name: Paint, text: string) => string;
  /** Log stream → the request id of the invocation it is in (a stream serves one at a time). */
  private readonly current = new Map<string, string>();

  constructor(private readonly options: FormatOptions) {
    this.paint = painter(options.colour);
  }

  /** Classifies `event` and renders it; `text` is undefined for a hidden line. */
  classify(event: LogEvent): ClassifiedLine {
    const message = event.message.replace(/\n+$/, '');
    const first = message.charCodeAt(0);
    // `{`: JSON, either Lambda's platform events or the function's structured logs.
    if (first === 123) return this.classifyJson(event, message);
    if (message.startsWith('REPORT ')) {
      const report = parseReportLine(message);
      if (report) {
        this.current.delete(event.logStreamName);
        return { kind: 'report', requestId: report.requestId, report, text: this.line(event, report.requestId, this.reportText(report)) };
      }
    }
    const startEnd = START_END.exec(message);
    if (startEnd) {
      const requestId = startEnd[2]!;
      if (startEnd[1] === 'START') this.current.set(event.logStreamName, requestId);
      return {
        kind: 'platform',
        requestId,
        text: this.options.verbose ? this.line(event, requestId, this.paint('dim', showableLine(message.trim()))) : undefined,
      };
    }
    if (INIT_LINE.test(message)) {
      return {
        kind: 'platform',
        requestId: undefined,
        text: this.options.verbose ? this.line(event, undefined, this.paint('dim', showableLine(message.trim()))) : undefined,
      };
    }
    let requestId: string | undefined;
    let body = message;
    let level: string | undefined;
    const prefix = RUNTIME_PREFIX.exec(message);
    if (prefix) {
      requestId = prefix[1];
      level = prefix[2];
      body = message.slice(prefix[0].length);
    } else {
      const span = message.includes('requestId="') ? SPAN_REQUEST_ID.exec(message) : null;
      requestId = span?.[1] ?? this.current.get(event.logStreamName);
      if (!span && requestId === undefined) requestId = UUID.exec(message)?.[0];
      level = textLevel(message);
    }
    const fatal = FATAL_TEXT.test(body);
    const kind: LineKind = fatal ? (TIMED_OUT.test(body) ? 'timeout' : 'error') : level === 'ERROR' || level === 'FATAL' ? 'error' : 'log';
    const shown = showableLine(body);
    let text = shown;
    if (fatal) text = this.paint('red', shown);
    else if (level && prefix) text = `${this.level(level)} ${shown}`;
    else if (level === 'ERROR') text = this.paint('red', shown);
    return { kind, requestId, text: this.line(event, requestId, text) };
  }

  /** The printed line, or undefined when it is hidden. */
  format(event: LogEvent): string | undefined {
    return this.classify(event).text;
  }

  private classifyJson(event: LogEvent, message: string): ClassifiedLine {
    let doc: Record<string, unknown> | undefined;
    // Too deep to format without recursing thousands of levels: shown as the text it is.
    if (nestingDepth(message) <= MAX_FORMATTED_DEPTH) {
      try {
        const parsed: unknown = JSON.parse(message);
        if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) doc = parsed as Record<string, unknown>;
      } catch {
        doc = undefined;
      }
    }
    if (!doc)
      return {
        kind: 'log',
        requestId: this.current.get(event.logStreamName),
        text: this.line(event, this.current.get(event.logStreamName), showableLine(message)),
      };
    const type = doc.type;
    if (typeof type === 'string' && type.startsWith('platform.')) return this.classifyPlatform(event, message, type, doc);
    const requestId = jsonRequestId(doc) ?? this.current.get(event.logStreamName);
    const { level, text: compact } = compactLogLine(message);
    const text = showableLine(compact);
    const fatal = FATAL_TEXT.test(text) || (typeof doc.errorType === 'string' && doc.errorType.startsWith('Runtime.'));
    const kind: LineKind = fatal ? (TIMED_OUT.test(text) ? 'timeout' : 'error') : level === 'ERROR' || level === 'FATAL' ? 'error' : 'log';
    const body = kind === 'error' || kind === 'timeout' ? this.paint('red', text) : text;
    return { kind, requestId, text: this.line(event, requestId, level ? `${this.level(level)} ${body}` : body) };
  }

  private classifyPlatform(event: LogEvent, message: string, type: string, doc: Record<string, unknown>): ClassifiedLine {
    const record = (typeof doc.record === 'object' && doc.record !== null ? doc.record : {}) as Record<string, unknown>;
    const requestId = typeof record.requestId === 'string' ? record.requestId : undefined;
    if (type === 'platform.report') {
      const report = parseReportLine(message);
      if (report) {
        this.current.delete(event.logStreamName);
        return { kind: 'report', requestId, report, text: this.line(event, requestId, this.reportText(report)) };
      }
    }
    if (type === 'platform.start' && requestId) this.current.set(event.logStreamName, requestId);
    const status = typeof record.status === 'string' ? record.status : undefined;
    const failed = status !== undefined && status !== 'success';
    if (QUIET_PLATFORM.has(type) && !failed) {
      return {
        kind: 'platform',
        requestId,
        text: this.options.verbose
          ? this.line(event, requestId, this.paint('dim', showableLine(`${type} ${compactRecord(record)}`)))
          : undefined,
      };
    }
    const text = showableLine(`${type} ${compactRecord(record)}`);
    const kind: LineKind = status === 'timeout' ? 'timeout' : failed ? 'error' : 'platform';
    return { kind, requestId, text: this.line(event, requestId, failed ? this.paint('red', text) : this.paint('dim', text)) };
  }

  private reportText(report: Report): string {
    const badge = report.initDurationMs !== undefined ? `${this.paint('cyan', this.paint('bold', '❄ cold start'))} ` : '';
    const failed = report.status !== undefined && report.status !== 'success';
    const body = showableLine(
      `REPORT ${formatReport(report, { coldStartNote: false })}${report.xrayTraceId ? ` · trace ${report.xrayTraceId}` : ''}`,
    );
    return badge + (failed ? this.paint('red', body) : this.paint('dim', body));
  }

  private level(level: string): string {
    const paint = LEVEL_PAINT[level];
    const padded = level.padEnd(5);
    return paint ? this.paint(paint, padded) : padded;
  }

  private line(event: LogEvent, requestId: string | undefined, text: string): string {
    const time = this.paint('dim', clock(event.timestamp, this.options.utc ?? false));
    const fn = this.options.showFunction ? ` ${this.paint('magenta', showable(event.functionId))}` : '';
    const id = requestId ? showable(requestId.slice(0, 8)).padEnd(8) : '        ';
    return `${time}${fn} ${this.paint('dim', id)} ${text}`;
  }
}

/** `09:30:00.123`, in local time (or UTC). Hand-rolled: toLocaleTimeString is slow per line. */
export function clock(timestamp: number, utc: boolean): string {
  const date = new Date(timestamp);
  const h = utc ? date.getUTCHours() : date.getHours();
  const m = utc ? date.getUTCMinutes() : date.getMinutes();
  const s = utc ? date.getUTCSeconds() : date.getSeconds();
  const ms = utc ? date.getUTCMilliseconds() : date.getMilliseconds();
  return `${h < 10 ? '0' : ''}${h}:${m < 10 ? '0' : ''}${m}:${s < 10 ? '0' : ''}${s}.${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}

/**
 * `--json`: one raw event per line, for jq and friends. JSON.stringify leaves C1 controls and
 * bidi overrides raw; showable escapes them the JSON way, so the line means the same to jq.
 */
export function formatJsonEvent(event: LogEvent): string {
  return showable(
    JSON.stringify({
      timestamp: event.timestamp,
      function: event.functionId,
      logGroupName: event.logGroupName,
      logStreamName: event.logStreamName,
      ...(event.eventId !== undefined ? { eventId: event.eventId } : {}),
      ...(event.ingestionTime !== undefined ? { ingestionTime: event.ingestionTime } : {}),
      message: event.message,
    }),
  );
}

/** The level of a text line from the Rust runtime (`INFO …`, `2026-… ERROR …`), if it says one. */
function textLevel(message: string): string | undefined {
  const match = /^(?:\S+Z\s+)?(ERROR|WARN|INFO|DEBUG|TRACE)\b/.exec(message);
  return match?.[1];
}

function jsonRequestId(doc: Record<string, unknown>): string | undefined {
  if (typeof doc.requestId === 'string') return doc.requestId;
  if (typeof doc.AWSRequestId === 'string') return doc.AWSRequestId;
  const span = doc.span as Record<string, unknown> | undefined;
  if (span && typeof span.requestId === 'string') return span.requestId;
  return undefined;
}

function compactRecord(record: Record<string, unknown>): string {
  return Object.entries(record)
    .filter(([key]) => key !== 'requestId')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
}
