/**
 * The environment a function sees in Lambda, rebuilt for a local run: the variables Lambda
 * defines (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime),
 * the template's own variables where they are plain values, and from the caller what a local
 * run needs to reach AWS or a local stand-in (credentials, region, AWS_ENDPOINT_URL, profile).
 *
 * Pure: the caller's environment comes in as an argument.
 */
import { randomBytes } from 'node:crypto';
import type { LambdaFunction } from '../project/project.js';

export interface LambdaEnvironment {
  env: Record<string, string>;
  /** Template variables with a value only CloudFormation can give (`!Ref ResultsTable`), not set here. */
  unresolved: UnresolvedVariable[];
}

export interface UnresolvedVariable {
  name: string;
  /** The value as template.yaml writes it, for a message: `!Ref ResultsTable`. */
  value: string;
  /** The value as parsed: `{Ref: 'ResultsTable'}`. */
  intrinsic: unknown;
}

export interface LambdaEnvironmentInput {
  fn: LambdaFunction;
  /** AWS_LAMBDA_FUNCTION_NAME. */
  functionName: string;
  /** The directory of the executable: LAMBDA_TASK_ROOT. */
  taskRoot: string;
  /** The environment lambda-kit runs in. */
  caller: NodeJS.ProcessEnv;
  /** `--env KEY=VALUE`: wins over everything. */
  overrides?: Record<string, string>;
  now?: Date;
}

/** What the caller's environment lends the function: how to reach AWS, and how to debug Rust. */
const PASSED_THROUGH = /^(AWS_(?!LAMBDA_).+|RUST_LOG|RUST_BACKTRACE|HOME|PATH|USERPROFILE|SYSTEMROOT|SSL_CERT_FILE|SSL_CERT_DIR)$/;

/** Lambda defines these itself; the caller's values would mislead the function. */
const RESERVED = new Set([
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_RUNTIME_API',
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
]);

export function lambdaEnvironment(input: LambdaEnvironmentInput): LambdaEnvironment {
  const { fn, functionName, caller } = input;
  const now = input.now ?? new Date();
  const env: Record<string, string> = {};

  for (const [name, value] of Object.entries(caller)) {
    if (value !== undefined && PASSED_THROUGH.test(name) && !RESERVED.has(name)) env[name] = value;
  }

  const region = caller.AWS_REGION ?? caller.AWS_DEFAULT_REGION;
  if (region) Object.assign(env, { AWS_REGION: region, AWS_DEFAULT_REGION: region });
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  Object.assign(env, {
    _HANDLER: fn.handler ?? 'bootstrap',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    LAMBDA_TASK_ROOT: input.taskRoot,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
  });
  // LoggingConfig: Lambda tells the runtime the format, and with JSON the application log level.
  if (fn.logFormat) env.AWS_LAMBDA_LOG_FORMAT = fn.logFormat;
  if (fn.logFormat?.toUpperCase() === 'JSON' && fn.applicationLogLevel) env.AWS_LAMBDA_LOG_LEVEL = fn.applicationLogLevel;

  const unresolved: LambdaEnvironment['unresolved'] = [];
  for (const [name, value] of Object.entries(fn.environment)) {
    const fromCaller = caller[name];
    if (fromCaller !== undefined) env[name] = fromCaller;
    else if (['string', 'number', 'boolean'].includes(typeof value)) env[name] = String(value);
    else unresolved.push({ name, value: describeIntrinsic(value), intrinsic: value });
  }

  for (const [name, value] of Object.entries(input.overrides ?? {})) env[name] = value;
  return { env, unresolved: unresolved.filter(({ name }) => input.overrides?.[name] === undefined) };
}

/** Where placeholders point: the recording endpoint's queue URLs, and the region of the ARNs. */
export interface PlaceholderContext {
  /** The template's resources: logical id → type (`AWS::SQS::Queue`). */
  resourceTypes: ReadonlyMap<string, string>;
  region: string;
  queueUrl: (name: string) => string;
}

/**
 * A local stand-in for a value only CloudFormation can give, when it names one of the template's
 * own resources: its logical id as the name (a table `ResultsTable`), a queue URL on the recording
 * endpoint, an ARN in account 000000000000. Undefined for anything else (a parameter, `!Sub`),
 * which only the user can give.
 */
export function localPlaceholder(intrinsic: unknown, context: PlaceholderContext): string | undefined {
  const named = namedResource(intrinsic);
  const type = named && context.resourceTypes.get(named.id);
  if (named === undefined || type === undefined) return undefined;
  const { id, attribute } = named;
  const isQueue = type === 'AWS::SQS::Queue';
  if (attribute === undefined) {
    if (isQueue) return context.queueUrl(id);
    if (type === 'AWS::SNS::Topic') return placeholderArn(type, id, context.region);
    return id;
  }
  if (attribute === 'QueueUrl' && isQueue) return context.queueUrl(id);
  if (attribute === 'Arn') return placeholderArn(type, id, context.region);
  return id;
}

/** The logical id a `!Ref` or `!GetAtt` names, and the attribute; undefined for any other value. */
export function namedResource(intrinsic: unknown): { id: string; attribute?: string } | undefined {
  if (typeof intrinsic !== 'object' || intrinsic === null || Array.isArray(intrinsic)) return undefined;
  const entries = Object.entries(intrinsic);
  if (entries.length !== 1) return undefined;
  const [key, arg] = entries[0]!;
  const [id, attribute]: unknown[] =
    key === 'Ref' ? [arg] : key === 'Fn::GetAtt' ? (Array.isArray(arg) ? arg : typeof arg === 'string' ? arg.split(/\.(.*)/s) : []) : [];
  // CloudFormation's rule for a logical id, which also keeps it safe in a URL or a message.
  if (typeof id !== 'string' || !/^[A-Za-z0-9]{1,255}$/.test(id)) return undefined;
  if (key === 'Fn::GetAtt' && (typeof attribute !== 'string' || attribute === '')) return undefined;
  return key === 'Ref' ? { id } : { id, attribute: attribute as string };
}

/** An ARN of the resource's service in account 000000000000 (`arn:aws:dynamodb:eu-west-1:000000000000:table/ResultsTable`). */
function placeholderArn(type: string, id: string, region: string): string {
  const service = /^AWS::(\w+)::/.exec(type)?.[1]?.toLowerCase() ?? 'local';
  if (service === 's3') return `arn:aws:s3:::${id}`;
  const resource = service === 'dynamodb' ? `table/${id}` : service === 'kinesis' ? `stream/${id}` : id;
  return `arn:aws:${service}:${region}:000000000000:${resource}`;
}

/** `{Ref: ResultsTable}` → `!Ref ResultsTable`, for a message. */
export function describeIntrinsic(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  const [key, arg] = Object.entries(value)[0] ?? [];
  if (key === 'Ref') return `!Ref ${String(arg)}`;
  if (key === 'Fn::GetAtt') return `!GetAtt ${Array.isArray(arg) ? arg.join('.') : String(arg)}`;
  if (key?.startsWith('Fn::')) return `!${key.slice(4)} …`;
  return JSON.stringify(value);
}

/** `KEY=VALUE` pairs from `--env`; undefined names the first malformed one. */
export function parseEnvAssignments(pairs: string[]): { values: Record<string, string>; invalid?: string } {
  const values: Record<string, string> = {};
  for (const pair of pairs) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(pair);
    if (!match) return { values, invalid: pair };
    values[match[1]!] = match[2]!;
  }
  return { values };
}
