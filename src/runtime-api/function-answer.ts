/**
 * What a function's answer says about the event it was sent, read without I/O: an error that
 * means the event did not have the shape the handler takes (lambda_runtime's DeserializeError),
 * and a batch answer's `batchItemFailures` counted against the records of the event.
 */

/** How lambda_runtime's DeserializeError message starts (deserializer.rs, ERROR_CONTEXT). */
const DESERIALIZE_CONTEXT = "failed to deserialize the incoming data into the function's payload type: ";
/** The ERROR line lambda_runtime logs just before it posts that error: the same news, told twice. */
const DESERIALIZE_LOG = 'Request payload deserialization into LambdaEvent<T> failed';

/**
 * A Rust error type without its module paths: lambda_runtime names errors with
 * `std::any::type_name` of a reference, `&lambda_runtime::deserializer::DeserializeError`.
 * Any other name (HandlerError, Runtime.ExitError) is kept as it is.
 */
export function shortErrorType(errorType: string): string {
  if (!errorType.includes('::')) return errorType;
  return errorType.replace(/^&+/, '').replace(/\b[A-Za-z_][A-Za-z0-9_]*::/g, '');
}

/**
 * When the error says the event could not be read into the handler's type: serde's reason,
 * with the JSON path it failed at in front (`Records[0].messageId: invalid type: …`), once.
 */
export function eventShapeProblem(errorType: string | undefined, errorMessage: string | undefined): string | undefined {
  const message = errorMessage ?? '';
  if (!(errorType !== undefined && shortErrorType(errorType) === 'DeserializeError') && !message.startsWith(DESERIALIZE_CONTEXT))
    return undefined;
  const reason = (message.startsWith(DESERIALIZE_CONTEXT) ? message.slice(DESERIALIZE_CONTEXT.length) : message).trim();
  // `[path] path: reason`: lambda_runtime puts the path in brackets before serde_path_to_error's own.
  const atPath = /^\[([^\n]*?)\] (.*)$/s.exec(reason);
  if (!atPath) return reason;
  const [, path, rest] = atPath as unknown as [string, string, string];
  return rest.startsWith(`${path}: `) ? rest : `${path}: ${rest}`;
}

/** The runtime's own log line about an event it could not read. */
export function isEventShapeLogLine(line: string): boolean {
  return line.includes(DESERIALIZE_LOG);
}

/** SAM Events types, as the reader knows the events they send. */
const EVENT_NAMES: Record<string, string> = {
  SQS: 'an SQS event',
  Kinesis: 'a Kinesis event',
  DynamoDB: 'a DynamoDB stream event',
  S3: 'an S3 event',
  SNS: 'an SNS event',
  HttpApi: 'an API Gateway HTTP API event',
  Api: 'an API Gateway REST API event',
  EventBridgeRule: 'an EventBridge event',
  Schedule: 'an EventBridge scheduled event',
};

/** `an SQS event` for a function that SQS triggers; undefined when its triggers say nothing. */
export function expectedEventName(triggerTypes: string[]): string | undefined {
  return triggerTypes.map((type) => EVENT_NAMES[type]).find((name) => name !== undefined);
}

export interface BatchOutcome {
  /** Records in the event sent; undefined when it has no `Records` list. */
  records: number | undefined;
  /** Records the answer reports as failed, each once. */
  failed: number;
  /** Identifiers the answer lists that name no record of the event (only when records have ids). */
  unknown: number;
}

/**
 * The outcome of a batch, when the answer is a partial batch response (an object with a
 * `batchItemFailures` list, as SQS, Kinesis and DynamoDB streams take); undefined otherwise.
 */
export function batchOutcome(event: Buffer, answer: Buffer): BatchOutcome | undefined {
  const failures = parseJson(answer);
  if (!isObject(failures) || !Array.isArray(failures.batchItemFailures)) return undefined;
  const identifiers = failures.batchItemFailures.map((entry: unknown) => (isObject(entry) ? entry.itemIdentifier : undefined));
  const sent = parseJson(event);
  const records = isObject(sent) && Array.isArray(sent.Records) ? sent.Records : undefined;
  const ids = records?.map(recordId);
  if (records === undefined || ids === undefined || ids.some((id) => id === undefined)) {
    return { records: records?.length, failed: new Set(identifiers.map((id) => JSON.stringify(id ?? null))).size, unknown: 0 };
  }
  const known = new Set(ids);
  const failed = new Set(identifiers.filter((id): id is string => typeof id === 'string' && known.has(id)));
  const unknown = identifiers.filter((id) => !(typeof id === 'string' && known.has(id))).length;
  return { records: records.length, failed: failed.size, unknown };
}

/** One line for a batch's outcome: `2 of 3 records failed (batchItemFailures)`, `all 3 records succeeded`. */
export function describeBatch({ records, failed, unknown }: BatchOutcome): string {
  if (unknown > 0) {
    // Lambda takes an identifier that names no record of the batch as the whole batch failing.
    const names = unknown === 1 ? '1 identifier that names' : `${unknown} identifiers that name`;
    return `batchItemFailures lists ${names} no record of the event: Lambda retries all ${plural(records ?? 0, 'record')}`;
  }
  if (records === undefined)
    return failed === 0 ? 'no record failed (batchItemFailures is empty)' : `${plural(failed, 'record')} failed (batchItemFailures)`;
  if (records === 0) return 'the event has no records';
  if (failed === 0) return records === 1 ? 'the record succeeded' : `all ${records} records succeeded`;
  return `${failed} of ${plural(records, 'record')} failed (batchItemFailures)`;
}

/** The id a batchItemFailures entry names a record by: SQS's messageId, a stream's sequence number. */
function recordId(record: unknown): string | undefined {
  if (!isObject(record)) return undefined;
  if (typeof record.messageId === 'string') return record.messageId;
  const kinesis = record.kinesis;
  if (isObject(kinesis) && typeof kinesis.sequenceNumber === 'string') return kinesis.sequenceNumber;
  const dynamodb = record.dynamodb;
  if (isObject(dynamodb) && typeof dynamodb.SequenceNumber === 'string') return dynamodb.SequenceNumber;
  return undefined;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}
