/**
 * A function's queue, stream or bucket trigger as its template writes it (SQS, Kinesis and S3
 * events), for `lambda-kit dev` to act as the event source mapping: the mapping's settings, and
 * where the source is (a literal ARN, or a resource of the stack to look up once deployed).
 *
 * The polling itself is src/dev/sources' runSource; this is its contract, as dev calls it.
 * Pure: the template comes in parsed.
 */

export type SourceKind = 'sqs' | 'kinesis' | 's3';

export interface EventSourceSpec {
  eventName: string;
  kind: SourceKind;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  startingPosition: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP' | undefined;
  maximumRetryAttempts: number | undefined;
  /** The source as written: a literal (an ARN, a bucket name), or the stack resource it names. */
  source: { literal: string } | { logicalId: string } | undefined;
}

/** What runSource takes (src/dev/sources/run-source.ts). */
export interface RunSourceOptions {
  kind: SourceKind;
  target: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  env: Record<string, string>;
  invoke: (event: unknown) => Promise<{ ok: true; answer: unknown } | { ok: false; error: string }>;
  signal: AbortSignal;
  log: (line: string) => void;
  startingPosition?: 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';
  maximumRetryAttempts?: number;
}

const KINDS: Record<string, { kind: SourceKind; property: string; defaultBatch: number }> = {
  SQS: { kind: 'sqs', property: 'Queue', defaultBatch: 10 },
  Kinesis: { kind: 'kinesis', property: 'Stream', defaultBatch: 100 },
  S3: { kind: 's3', property: 'Bucket', defaultBatch: 1 },
};

type Json = Record<string, unknown>;
const isMapping = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first SQS, Kinesis or S3 event of function `logicalId`, with Lambda's defaults where the template is silent. */
export function eventSourceOf(template: unknown, logicalId: string): EventSourceSpec | undefined {
  const resources = isMapping(template) && isMapping(template.Resources) ? template.Resources : {};
  const resource = resources[logicalId];
  const events = isMapping(resource) && isMapping(resource.Properties) ? resource.Properties.Events : undefined;
  if (!isMapping(events)) return undefined;
  for (const [eventName, event] of Object.entries(events)) {
    const known = isMapping(event) && typeof event.Type === 'string' ? KINDS[event.Type] : undefined;
    if (!known || !isMapping(event)) continue;
    const props = isMapping(event.Properties) ? event.Properties : {};
    const responseTypes = Array.isArray(props.FunctionResponseTypes) ? props.FunctionResponseTypes : [];
    const position = props.StartingPosition;
    return {
      eventName,
      kind: known.kind,
      batchSize: wholeNumber(props.BatchSize) ?? known.defaultBatch,
      maximumBatchingWindowInSeconds: wholeNumber(props.MaximumBatchingWindowInSeconds) ?? 0,
      reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
      startingPosition: position === 'LATEST' || position === 'TRIM_HORIZON' || position === 'AT_TIMESTAMP' ? position : undefined,
      maximumRetryAttempts: wholeNumber(props.MaximumRetryAttempts),
      source: sourceOf(props[known.property]),
    };
  }
  return undefined;
}

/** `!GetAtt InputQueue.Arn` and `!Ref InputBucket` name a stack resource; a string is the source itself. */
function sourceOf(value: unknown): EventSourceSpec['source'] {
  if (typeof value === 'string' && value !== '') return { literal: value };
  if (!isMapping(value)) return undefined;
  if (typeof value.Ref === 'string') return { logicalId: value.Ref };
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return { logicalId: getAtt[0] };
  if (typeof getAtt === 'string') return { logicalId: getAtt.split('.')[0]! };
  return undefined;
}

function wholeNumber(value: unknown): number | undefined {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d{1,9}$/.test(value) ? Number(value) : NaN;
  return Number.isInteger(number) ? number : undefined;
}
