/**
 * A function's queue, stream and bucket triggers as template.yaml declares them (its `Events` of
 * Type SQS, Kinesis, DynamoDB and S3), with the settings Lambda's event source mapping takes from them:
 * BatchSize, MaximumBatchingWindowInSeconds, FunctionResponseTypes, StartingPosition,
 * MaximumRetryAttempts and BisectBatchOnFunctionError, checked against the ranges Lambda accepts, defaults filled in as
 * Lambda fills them. Values may be literals or `!Ref` a parameter with a Default.
 */
import { readFile } from 'node:fs/promises';
import { UserError } from '../../errors.js';
import { parseCfnYaml } from '../../project/cfn-yaml.js';
import { describeTemplateValue, literalOf, templateError, wholeNumber } from '../../project/project.js';
import { visible } from '../../text/terminal-text.js';
import type { S3KeyFilter } from './source-runtime.js';

export type SourceKind = 'sqs' | 'kinesis' | 'dynamodb' | 's3';
export type StartingPosition = 'LATEST' | 'TRIM_HORIZON' | 'AT_TIMESTAMP';

export interface EventSourceSettings {
  /** The event's name under the function's Events, e.g. `QueueMessages`. */
  eventName: string;
  kind: SourceKind;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  /** Streams only: where reading starts; LATEST when the template does not say. */
  startingPosition: StartingPosition | undefined;
  /** Kinesis AT_TIMESTAMP: epoch seconds. */
  startingPositionTimestamp: number | undefined;
  /** Streams only: -1 (retry until the records expire) when the template does not say, as Lambda. */
  maximumRetryAttempts: number | undefined;
  /** Streams only: split a batch the function fails in two, and try each half; undefined (Lambda's false) when the template does not say. */
  bisectBatchOnFunctionError: boolean | undefined;
  /** `Enabled: false` maps nothing; an intrinsic (`!If`) counts as enabled. */
  enabled: boolean;
  /**
   * What the event reads: a resource of this template (`!GetAtt InputQueue.Arn`, `!Ref InputBucket`),
   * whose physical id the deployed stack knows; a literal ARN, URL or name; or nothing dev can tell.
   */
  source: { logicalId: string } | { literal: string } | undefined;
  /** S3 only: Filter.S3Key's prefix and suffix rules. */
  keyFilter: S3KeyFilter | undefined;
}

type Json = Record<string, unknown>;
const isMapping = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

const KINDS: Record<string, SourceKind> = { SQS: 'sqs', Kinesis: 'kinesis', DynamoDB: 'dynamodb', S3: 's3' };
/** The property that names what each type of event reads. */
const SOURCE_PROPERTY: Record<SourceKind, string> = { sqs: 'Queue', kinesis: 'Stream', dynamodb: 'Stream', s3: 'Bucket' };
/** Lambda's defaults and ranges (CreateEventSourceMapping). */
const DEFAULT_BATCH_SIZE: Record<SourceKind, number> = { sqs: 10, kinesis: 100, dynamodb: 100, s3: 1 };
const BATCH_SIZE = { min: 1, max: 10_000 };
const WINDOW = { min: 0, max: 300 };
const RETRIES = { min: 0, max: 10_000 };
const STARTING_POSITIONS: readonly StartingPosition[] = ['LATEST', 'TRIM_HORIZON', 'AT_TIMESTAMP'];

/** The event sources of function `functionId` in a parsed template; its API and other events are left out. */
export function eventSourcesOf(template: unknown, functionId: string): EventSourceSettings[] {
  const resources: unknown = isMapping(template) ? template.Resources : undefined;
  const resource: unknown = isMapping(resources) ? resources[functionId] : undefined;
  if (!isMapping(resource)) throw new UserError(`template.yaml has no function ${visible(functionId, 64)}`);
  const parameters: Json = isMapping(template) && isMapping(template.Parameters) ? template.Parameters : {};
  const events: unknown = isMapping(resource.Properties) ? resource.Properties.Events : undefined;
  if (events === undefined || events === null) return [];
  if (!isMapping(events)) throw templateError(`${visible(functionId, 64)} Events`, 'must be a mapping of event names to events');
  return Object.entries(events).flatMap(([eventName, event]) => {
    const kind = isMapping(event) && typeof event.Type === 'string' ? KINDS[event.Type] : undefined;
    if (kind === undefined) return [];
    const where = `${visible(functionId, 64)} Events.${visible(eventName, 64)}`;
    const props: unknown = (event as Json).Properties ?? {};
    if (!isMapping(props)) throw templateError(where, 'Properties must be a mapping');
    return [settingsOf(kind, eventName, props, parameters, where, isMapping(resources) ? resources : {})];
  });
}

function settingsOf(
  kind: SourceKind,
  eventName: string,
  props: Json,
  parameters: Json,
  where: string,
  resources: Json,
): EventSourceSettings {
  const literal = (property: string) =>
    props[property] === undefined ? undefined : literalOf(props[property], parameters, where, property);
  const number = (property: string, range: { min: number; max: number }, unit: string, unset: number) => {
    const value = literal(property);
    return value === undefined ? unset : wholeNumber(value, range, where, property, unit);
  };
  const batched = kind !== 's3';
  const batchSize = batched ? number('BatchSize', BATCH_SIZE, 'records', DEFAULT_BATCH_SIZE[kind]) : 1;
  const window = batched ? number('MaximumBatchingWindowInSeconds', WINDOW, 'seconds', 0) : 0;
  if (kind === 'sqs' && batchSize > 10 && window === 0) {
    throw templateError(where, `a BatchSize over 10 (${batchSize}) needs MaximumBatchingWindowInSeconds of at least 1, as Lambda requires`);
  }
  const stream = kind === 'kinesis' || kind === 'dynamodb';
  return {
    eventName,
    kind,
    batchSize,
    maximumBatchingWindowInSeconds: window,
    reportBatchItemFailures: batched && reportsBatchItemFailures(props.FunctionResponseTypes, parameters, where),
    startingPosition: stream ? startingPositionOf(literal('StartingPosition'), where, kind) : undefined,
    startingPositionTimestamp:
      kind === 'kinesis' && props.StartingPositionTimestamp !== undefined
        ? timestampOf(literal('StartingPositionTimestamp'), where)
        : undefined,
    maximumRetryAttempts: stream ? retriesOf(literal('MaximumRetryAttempts'), where) : undefined,
    bisectBatchOnFunctionError: stream ? booleanOf(literal('BisectBatchOnFunctionError'), where, 'BisectBatchOnFunctionError') : undefined,
    enabled: enabledOf(props.Enabled, where),
    source: sourceOf(props[SOURCE_PROPERTY[kind]], parameters, resources),
    keyFilter: kind === 's3' ? keyFilterOf(props.Filter, where) : undefined,
  };
}

function reportsBatchItemFailures(value: unknown, parameters: Json, where: string): boolean {
  if (value === undefined || value === null) return false;
  const list = literalOf(value, parameters, where, 'FunctionResponseTypes');
  if (!Array.isArray(list) || list.some((item) => item !== 'ReportBatchItemFailures')) {
    throw templateError(where, `FunctionResponseTypes must be [ReportBatchItemFailures] or [], not ${describeTemplateValue(value)}`);
  }
  return list.length > 0;
}

function startingPositionOf(value: unknown, where: string, kind: SourceKind): StartingPosition {
  if (value === undefined) return 'LATEST';
  // A DynamoDB stream has no AT_TIMESTAMP: Lambda refuses it.
  const allowed = kind === 'dynamodb' ? STARTING_POSITIONS.filter((p) => p !== 'AT_TIMESTAMP') : STARTING_POSITIONS;
  if (typeof value !== 'string' || !allowed.includes(value as StartingPosition)) {
    throw templateError(where, `StartingPosition must be one of ${allowed.join(', ')}, not ${describeTemplateValue(value)}`);
  }
  return value as StartingPosition;
}

function booleanOf(value: unknown, where: string, property: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw templateError(where, `${property} must be true or false, not ${describeTemplateValue(value)}`);
}

function timestampOf(value: unknown, where: string): number {
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(seconds) || seconds < 0)
    throw templateError(where, `StartingPositionTimestamp must be a time in epoch seconds, not ${describeTemplateValue(value)}`);
  return seconds;
}

/** -1 is Lambda's "until the records expire", kept as -1 for the caller to bound. */
function retriesOf(value: unknown, where: string): number | undefined {
  if (value === undefined) return undefined;
  if (value === -1 || value === '-1') return -1;
  return wholeNumber(value, RETRIES, where, 'MaximumRetryAttempts', 'retries (or -1)');
}

function enabledOf(value: unknown, where: string): boolean {
  if (value === undefined || value === null || isMapping(value)) return true;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw templateError(where, `Enabled must be true or false, not ${describeTemplateValue(value)}`);
}

/** Filter: {S3Key: {Rules: [{Name: prefix, Value: uploads/}, {Name: suffix, Value: .jpg}]}}; S3 takes the names in any case. */
function keyFilterOf(filter: unknown, where: string): S3KeyFilter | undefined {
  if (filter === undefined || filter === null) return undefined;
  const rules: unknown = isMapping(filter) && isMapping(filter.S3Key) ? filter.S3Key.Rules : undefined;
  const shape = 'Filter must be {S3Key: {Rules: [{Name: prefix or suffix, Value: text}]}}';
  if (!Array.isArray(rules)) throw templateError(where, `${shape}, not ${describeTemplateValue(filter)}`);
  const keyFilter: S3KeyFilter = {};
  for (const rule of rules) {
    const name = isMapping(rule) && typeof rule.Name === 'string' ? rule.Name.toLowerCase() : undefined;
    if ((name !== 'prefix' && name !== 'suffix') || typeof rule.Value !== 'string')
      throw templateError(where, `${shape}, not ${describeTemplateValue(rule)}`);
    keyFilter[name] = rule.Value;
  }
  return keyFilter;
}

/** `!GetAtt Queue.Arn` and `!Ref Bucket` name a resource; a string (or a parameter's Default) is the thing itself. */
function sourceOf(value: unknown, parameters: Json, resources: Json): EventSourceSettings['source'] {
  if (typeof value === 'string') return value === '' ? undefined : { literal: value };
  if (!isMapping(value) || Object.keys(value).length !== 1) return undefined;
  const getAtt: unknown = value['Fn::GetAtt'];
  // `!GetAtt Queue.Arn` parses as [Queue, Arn]; the long form may write `Fn::GetAtt: Queue.Arn`.
  const target = Array.isArray(getAtt) ? getAtt[0] : typeof getAtt === 'string' ? getAtt.split('.')[0] : undefined;
  if (typeof target === 'string' && Object.hasOwn(resources, target)) return { logicalId: target };
  const ref: unknown = value.Ref;
  if (typeof ref !== 'string') return undefined;
  if (Object.hasOwn(resources, ref)) return { logicalId: ref };
  const parameter: unknown = Object.hasOwn(parameters, ref) ? parameters[ref] : undefined;
  const fallback: unknown = isMapping(parameter) ? parameter.Default : undefined;
  return typeof fallback === 'string' && fallback !== '' ? { literal: fallback } : undefined;
}

/** The event sources of function `functionId` in the template at `templatePath`. */
export async function readEventSources(templatePath: string, functionId: string): Promise<EventSourceSettings[]> {
  let template: unknown;
  try {
    template = parseCfnYaml(await readFile(templatePath, 'utf8'));
  } catch (error) {
    throw new UserError(`template.yaml: cannot read it: ${visible((error as Error).message.split('\n')[0]!, 200)}`);
  }
  return eventSourcesOf(template, functionId);
}
