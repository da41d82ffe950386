/**
 * A function's log line, made short enough to read. JSON logs (LoggingConfig's LogFormat JSON:
 * `tracing`'s `{"level", "fields": {"message", …}, "span", …}` or Lambda's `{"timestamp",
 * "level", "message", …}`) become `LEVEL message key=value …`; any other line stays as it is.
 *
 * Pure: no colours here; the caller paints `level`, and makes the text safe to show (showable).
 */
import { MAX_FORMATTED_DEPTH, nestingDepth } from '../text/json-text.js';

export interface LogLine {
  level?: string;
  text: string;
}

/** Keys that repeat what the reader knows already (which invocation, which span, when). */
const NOISE = new Set([
  'timestamp',
  'time',
  'span',
  'spans',
  'target',
  'requestId',
  'AWSRequestId',
  'xrayTraceId',
  'type',
  'threadName',
  'logger',
]);

export function compactLogLine(line: string): LogLine {
  const trimmed = line.trim();
  // Too deep to format without recursing thousands of levels: shown as the text it is.
  if (!trimmed.startsWith('{') || nestingDepth(trimmed) > MAX_FORMATTED_DEPTH) return { text: line };
  let doc: unknown;
  try {
    doc = JSON.parse(trimmed);
  } catch {
    return { text: line };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { text: line };
  const record = doc as Record<string, unknown>;
  const level = typeof record.level === 'string' ? record.level.toUpperCase() : undefined;
  // tracing nests the event's fields; Lambda's own JSON keeps them at the top.
  const fields: Record<string, unknown> =
    typeof record.fields === 'object' && record.fields !== null ? { ...(record.fields as object) } : { ...record };
  delete fields.level;
  const message = fields.message;
  delete fields.message;
  const rest = Object.entries(fields)
    .filter(([key]) => !NOISE.has(key))
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const text = [typeof message === 'string' ? message : message === undefined ? '' : JSON.stringify(message), ...rest]
    .filter(Boolean)
    .join(' ');
  return level === undefined ? { text } : { level, text };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}
