/**
 * The generated SAM template.yaml and samconfig.toml, for every trigger × API × auth × sink × arch:
 * rendered through renderProject, parsed with CloudFormation's short-form tags and checked
 * property by property; then, in one Python process each, linted by cfn-lint (which runs the
 * SAM transform itself) and expanded by the SAM translator, so that what SAM deploys is checked
 * too: the function's role must come out as we wrote it, with no managed policy added.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APIS, ARCHS, AUTHS, MEMORY_RANGE, S3_MAX_NAME_LENGTH, SINKS, TIMEOUT_RANGE, TRIGGERS } from '../src/scaffold/catalog.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { renderProject } from '../src/scaffold/render.js';
import { maxTimeout, resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { IN_CI, pythonTools } from './support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// ---------------------------------------------------------------------------------------------
// The combinations

/** An HTTP API takes any issuer; a REST API only a Cognito user pool's. */
const JWT = {
  http: { jwtIssuer: 'https://example.auth0.com/', jwtAudience: 'https://api.example.com' },
  rest: { jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', jwtAudience: '4ab5cd6ef7gh8ij9kl0mn1op2q' },
} as const;

/** Log retentions, from the smallest CloudWatch accepts to the largest, spread over the combinations. */
const RETENTIONS = [1, 14, 3653, 30, 7, 365, 1827];

/**
 * Every trigger (with, for the API, each flavour and each auth) × sink × arch, at the edges of
 * the ranges: the largest memory and timeout on x86_64, the smallest on arm64, and varied memory
 * and log retention in between, so no value can pass by being hard-coded.
 */
const SPECS: ProjectSpec[] = TRIGGERS.flatMap((trigger) =>
  (trigger.id === 'api' ? APIS.map((a) => a.id) : [undefined]).flatMap((api) =>
    (api ? AUTHS.map((a) => a.id) : [undefined]).flatMap((auth) =>
      SINKS.flatMap((sink) => ARCHS.map((arch) => ({ trigger: trigger.id, api, auth, sink: sink.id, arch: arch.id }))),
    ),
  ),
).map((c, i) => {
  const x86 = c.arch === 'x86_64';
  const memory = x86 ? [MEMORY_RANGE.max, 1769, 3008][i % 3]! : [MEMORY_RANGE.min, 256, 1024][i % 3]!;
  const timeout = x86 ? maxTimeout(c.trigger, c.api ?? 'none') : TIMEOUT_RANGE.min;
  return resolveSpec({
    name: 'order-intake',
    ...c,
    ...(c.auth === 'jwt' && JWT[c.api!]),
    memory: String(memory),
    timeout: String(timeout),
    logRetention: String(RETENTIONS[i % RETENTIONS.length]),
  });
});

const label = (s: ProjectSpec) =>
  `${s.trigger}${s.api === 'none' ? '' : `(${s.api}, ${s.auth})`} → ${s.sink}, ${s.arch}, ${s.memory} MB, ${s.timeout} s, logs ${s.logRetention} d`;
const fileStem = (s: ProjectSpec) => `${s.trigger}-${s.api}-${s.auth}-${s.sink}-${s.arch}`;

// ---------------------------------------------------------------------------------------------
// Parsing CloudFormation YAML

// The parsed template is untyped data; the assertions below are its schema.
type Json = any;

const parseTemplate = (text: string): Json => parseCfnYaml(text);

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const NO_VALUE = ref('AWS::NoValue');

/** Every logical id (or parameter) a value refers to through Ref, GetAtt or a `${...}` inside Sub. */
function referencedIds(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) referencedIds(item, found);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') {
        found.add(value.split('.')[0]!);
      } else if (key === 'Fn::GetAtt') {
        found.add(Array.isArray(value) ? String(value[0]) : String(value).split('.')[0]!);
      } else if (key === 'Fn::Sub') {
        const [text, variables] = Array.isArray(value) ? value : [value, undefined];
        const local = new Set(Object.keys(variables ?? {}));
        for (const match of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const id = match[1]!.split('.')[0]!;
          if (!local.has(id)) found.add(id);
        }
        referencedIds(variables, found);
      } else {
        referencedIds(value, found);
      }
    }
  }
  for (const id of found) if (id.startsWith('AWS::')) found.delete(id);
  return found;
}

/** Every IAM statement anywhere below `node` (role policies, trust policies, resource policies). */
function statementsIn(node: unknown, found: Json[] = []): Json[] {
  if (Array.isArray(node)) {
    for (const item of node) statementsIn(item, found);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Statement') found.push(...(Array.isArray(value) ? value : [value]));
      else statementsIn(value, found);
    }
  }
  return found;
}

/** Every string below a value, intrinsics' text included (`!Sub` templates, `!GetAtt` ids). */
const strings = (value: unknown): string[] =>
  typeof value === 'string'
    ? [value]
    : Array.isArray(value)
      ? value.flatMap(strings)
      : value !== null && typeof value === 'object'
        ? Object.values(value).flatMap(strings)
        : [];

const list = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** The only Deny we write: refuse plain-HTTP requests to one resource (and, for S3, its objects). */
function expectTlsOnlyGuard(statement: Json, service: 's3' | 'sqs', resources: Json[]) {
  expect(statement).toEqual({
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: `${service}:*`,
    Resource: resources.length === 1 ? resources[0] : resources,
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

/**
 * A Deny may use wildcards: it can only take access away, and a TLS guard must cover every
 * action to be one (AWS Config's s3-bucket-ssl-requests-only expects `s3:*`). An Allow (what
 * grants) has no `*` in any Action or Resource, and NotAction / NotResource never appear.
 */
/** ListStreams' resource: the source table's streams, whose labels change when a stream is turned off and on (AWS's own example). */
const TABLE_STREAMS = /^\$\{InputTable\.Arn\}\/stream\/\*$/;

function expectNoWildcardGrant(statement: Json, allowedResourceWildcards: RegExp[] = []) {
  const where = JSON.stringify(statement);
  expect(statement, where).not.toHaveProperty('NotAction');
  expect(statement, where).not.toHaveProperty('NotResource');
  if (statement.Effect === 'Deny') return;
  expect(statement.Effect ?? 'Allow', where).toBe('Allow');
  for (const action of strings(statement.Action)) expect(action, where).toMatch(/^[a-z0-9-]+:[A-Za-z0-9]+$/);
  for (const resource of list(statement.Resource)) {
    expect(resource, where).not.toBe('*');
    let text = strings(resource).join(' ');
    for (const allowed of allowedResourceWildcards) text = text.replace(allowed, '');
    expect(text, where).not.toContain('*');
  }
}

// ---------------------------------------------------------------------------------------------
// What each combination must contain

/** The bucket name the S3 trigger uses, computed before the bucket exists (no !Ref, no cycle). */
const BUCKET_NAME = { 'Fn::Sub': '${AWS::StackName}-${AWS::AccountId}-${AWS::Region}' };
/** The longest region names today (ap-southeast-2, ap-northeast-1, ...) have 14 characters. */
const LONGEST_REGION = 'ap-southeast-2';

const isBatch = (spec: ProjectSpec) => spec.trigger === 'kinesis' || spec.trigger === 'sqs' || spec.trigger === 'dynamodb-stream';
/** The stream triggers: an iterator age to watch, and a poison queue of their own (SQS parks on its dead-letter queue). */
const isStream = (spec: ProjectSpec) => spec.trigger === 'kinesis' || spec.trigger === 'dynamodb-stream';

/**
 * Where input the function gave up on waits: the batch triggers' dead-letter queue, Kinesis's poison queue (the SQS trigger
 * parks poison on its dead-letter queue), S3's on-failure queue.
 */
function failureQueuesOf(spec: ProjectSpec): string[] {
  return [
    ...(isBatch(spec) ? ['InputDeadLetterQueue'] : []),
    ...(isStream(spec) ? ['PoisonQueue'] : []),
    ...(spec.trigger === 's3' ? ['InputFailureQueue'] : []),
    ...(spec.trigger === 'schedule' ? ['ScheduleDeadLetterQueue'] : []),
  ];
}

/** The SQS queues of a combination: the trigger's, its dead-letter or failure queue, the sink's. */
function queuesOf(spec: ProjectSpec): string[] {
  return [...(spec.trigger === 'sqs' ? ['InputQueue'] : []), ...failureQueuesOf(spec), ...(spec.sink === 'sqs' ? ['ResultsQueue'] : [])];
}

/**
 * Every resource but the KMS keys: a key policy's Resource is always "*", meaning the key
 * itself, and template-ops.test.ts checks the one key policy on its own.
 */
const withoutKeys = (resources: Record<string, Json>) =>
  Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type !== 'AWS::KMS::Key'));

function expectedResources(spec: ProjectSpec): Record<string, string> {
  return {
    AppFunction: 'AWS::Serverless::Function',
    AppFunctionRole: 'AWS::IAM::Role',
    AppFunctionLogGroup: 'AWS::Logs::LogGroup',
    AppFunctionErrorsAlarm: 'AWS::CloudWatch::Alarm',
    AppFunctionThrottlesAlarm: 'AWS::CloudWatch::Alarm',
    ...(isStream(spec) && { AppFunctionIteratorAgeAlarm: 'AWS::CloudWatch::Alarm' }),
    ...Object.fromEntries(failureQueuesOf(spec).map((id) => [`${id}DepthAlarm`, 'AWS::CloudWatch::Alarm'])),
    AlarmTopicKey: 'AWS::KMS::Key',
    AlarmTopic: 'AWS::SNS::Topic',
    AlarmEmailSubscription: 'AWS::SNS::Subscription',
    ...(spec.api === 'http' && { HttpApi: 'AWS::Serverless::HttpApi' }),
    ...(spec.api === 'rest' && {
      RestApi: 'AWS::Serverless::Api',
      ApiGatewayCloudWatchRole: 'AWS::IAM::Role',
      ApiGatewayAccount: 'AWS::ApiGateway::Account',
    }),
    ...(spec.trigger === 'api' && { ApiAccessLogGroup: 'AWS::Logs::LogGroup' }),
    ...(spec.trigger === 'kinesis' && { InputStream: 'AWS::Kinesis::Stream' }),
    ...(spec.trigger === 'dynamodb-stream' && { InputTable: 'AWS::DynamoDB::Table' }),
    ...(spec.trigger === 's3' && { InputBucket: 'AWS::S3::Bucket', InputBucketPolicy: 'AWS::S3::BucketPolicy' }),
    ...(spec.sink === 'dynamodb' && { ResultsTable: 'AWS::DynamoDB::Table' }),
    ...Object.fromEntries(
      queuesOf(spec).flatMap((id) => [
        [id, 'AWS::SQS::Queue'],
        [`${id}Policy`, 'AWS::SQS::QueuePolicy'],
      ]),
    ),
  };
}

/** Parameter → its default. */
function expectedParameters(spec: ProjectSpec): Record<string, string | number> {
  return {
    ReservedConcurrency: '',
    AlarmEmail: '',
    ...(spec.trigger === 'api' && { ApiThrottlingRateLimit: 50, ApiThrottlingBurstLimit: 100 }),
    ...(spec.auth === 'jwt' && { CorsAllowedOrigins: '' }),
    ...(spec.api === 'rest' && { ApiGatewayCloudWatchRoleArn: '' }),
    ...(spec.trigger === 's3' && { InputBucketVersioning: 'Enabled' }),
    ...(spec.trigger === 'dynamodb-stream' && { InputTableDeletionProtection: 'true' }),
    ...(spec.trigger === 'schedule' && {
      ScheduleExpression: 'rate(5 minutes)',
      ScheduleTimezone: 'UTC',
      ScheduleFlexibleWindowMinutes: 0,
    }),
    ...(spec.sink === 'dynamodb' && { ResultsTableDeletionProtection: 'true' }),
  };
}

/** Output key → the logical id its value must come from. */
function expectedOutputs(spec: ProjectSpec): Record<string, string> {
  return {
    FunctionName: 'AppFunction',
    FunctionArn: 'AppFunction',
    LogGroupName: 'AppFunctionLogGroup',
    ...(spec.api === 'http' && { ApiUrl: 'HttpApi' }),
    ...(spec.api === 'rest' && { ApiUrl: 'RestApi' }),
    ...(spec.trigger === 'api' && { ApiAccessLogGroupName: 'ApiAccessLogGroup' }),
    ...(spec.trigger === 'kinesis' && {
      InputStreamName: 'InputStream',
      InputStreamArn: 'InputStream',
      PoisonQueueName: 'PoisonQueue',
      PoisonQueueUrl: 'PoisonQueue',
    }),
    ...(spec.trigger === 'dynamodb-stream' && {
      InputTableName: 'InputTable',
      InputTableStreamArn: 'InputTable',
      PoisonQueueName: 'PoisonQueue',
      PoisonQueueUrl: 'PoisonQueue',
    }),
    ...(spec.trigger === 's3' && {
      InputBucketName: 'InputBucket',
      InputFailureQueueName: 'InputFailureQueue',
      InputFailureQueueUrl: 'InputFailureQueue',
    }),
    ...(spec.trigger === 'sqs' && { InputQueueName: 'InputQueue', InputQueueUrl: 'InputQueue' }),
    ...(spec.trigger === 'schedule' && {
      ScheduleDeadLetterQueueName: 'ScheduleDeadLetterQueue',
      ScheduleDeadLetterQueueUrl: 'ScheduleDeadLetterQueue',
    }),
    ...(isBatch(spec) && { InputDeadLetterQueueName: 'InputDeadLetterQueue', InputDeadLetterQueueUrl: 'InputDeadLetterQueue' }),
    ...(spec.sink === 'dynamodb' && { ResultsTableName: 'ResultsTable' }),
    ...(spec.sink === 'sqs' && { ResultsQueueName: 'ResultsQueue', ResultsQueueUrl: 'ResultsQueue' }),
  };
}

/**
 * The statements of the function's own role, exactly: the calls Lambda makes for its trigger and
 * the calls the code makes, each on one resource of the stack. S3 has none: the handler reads
 * the event, never the object.
 */
function expectedStatements(spec: ProjectSpec): Json[] {
  const allow = (Sid: string, Action: string | string[], Resource: Json) => ({ Sid, Effect: 'Allow', Action, Resource });
  return [
    allow('WriteLogs', ['logs:CreateLogStream', 'logs:PutLogEvents'], getAtt('AppFunctionLogGroup', 'Arn')),
    ...(spec.trigger === 'kinesis'
      ? [
          allow(
            'ReadInputStream',
            [
              'kinesis:DescribeStream',
              'kinesis:DescribeStreamSummary',
              'kinesis:GetRecords',
              'kinesis:GetShardIterator',
              'kinesis:ListShards',
            ],
            getAtt('InputStream', 'Arn'),
          ),
          allow('SendGivenUpRecords', 'sqs:SendMessage', getAtt('InputDeadLetterQueue', 'Arn')),
          allow('ParkPoisonRecords', 'sqs:SendMessage', getAtt('PoisonQueue', 'Arn')),
        ]
      : []),
    ...(spec.trigger === 'sqs'
      ? [
          allow('PollInputQueue', ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], getAtt('InputQueue', 'Arn')),
          allow('ParkPoisonMessages', 'sqs:SendMessage', getAtt('InputDeadLetterQueue', 'Arn')),
        ]
      : []),
    ...(spec.trigger === 's3' ? [allow('SendFailedEvents', 'sqs:SendMessage', getAtt('InputFailureQueue', 'Arn'))] : []),
    ...(spec.trigger === 'dynamodb-stream'
      ? [
          allow(
            'ReadInputStream',
            ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
            getAtt('InputTable', 'StreamArn'),
          ),
          allow('ListInputStreams', 'dynamodb:ListStreams', { 'Fn::Sub': '${InputTable.Arn}/stream/*' }),
          allow('SendGivenUpRecords', 'sqs:SendMessage', getAtt('InputDeadLetterQueue', 'Arn')),
          allow('ParkPoisonRecords', 'sqs:SendMessage', getAtt('PoisonQueue', 'Arn')),
        ]
      : []),
    ...(spec.trigger === 'schedule' ? [allow('SendFailedRuns', 'sqs:SendMessage', getAtt('ScheduleDeadLetterQueue', 'Arn'))] : []),
    ...(spec.sink === 'dynamodb' ? [allow('PutResults', 'dynamodb:PutItem', getAtt('ResultsTable', 'Arn'))] : []),
    ...(spec.sink === 'sqs' ? [allow('SendResults', 'sqs:SendMessage', getAtt('ResultsQueue', 'Arn'))] : []),
  ];
}

/** The Cognito user pool ARN of a REST API's issuer, worked out here rather than from render.ts. */
function userPoolArn(issuer: string) {
  const url = new URL(issuer);
  const region = url.hostname.split('.')[1]!;
  const pool = url.pathname.slice(1);
  return { 'Fn::Sub': `arn:\${AWS::Partition}:cognito-idp:${region}:\${AWS::AccountId}:userpool/${pool}` };
}

const ACCESS_LOG_DESTINATION = {
  'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${ApiAccessLogGroup}',
};

/** A resource's lines in the template text, with the comment lines just above it. */
function apiBlock(text: string, id: string): string {
  const lines = text.split('\n');
  let start = lines.indexOf(`  ${id}:`);
  expect(start).toBeGreaterThan(0);
  while (lines[start - 1]!.startsWith('  #')) start -= 1;
  const end = lines.findIndex((line, i) => i > start && line === '');
  return lines.slice(start, end).join('\n');
}

const rendered = new Map<ProjectSpec, Map<string, string>>();
const render = (spec: ProjectSpec) => {
  if (!rendered.has(spec)) rendered.set(spec, renderProject(spec));
  return rendered.get(spec)!;
};
const templateText = (spec: ProjectSpec) => render(spec).get('template.yaml')!;

// ---------------------------------------------------------------------------------------------
// template.yaml, structurally

describe.each(SPECS.map((spec) => [label(spec), spec] as const))('template.yaml: %s', (_, spec) => {
  const text = () => templateText(spec);
  let parsed: Json;
  const template = () => (parsed ??= parseTemplate(text()));
  const fn = () => template().Resources.AppFunction;
  /** The function's properties as SAM sees them: Globals.Function under its own. */
  const fnProps = () => ({ ...template().Globals.Function, ...fn().Properties });
  const resource = (id: string) => template().Resources[id];

  it('renders tidy YAML that parses with CloudFormation tags', () => {
    expect(render(spec).has('template.yaml')).toBe(true);
    expect(text()).not.toMatch(/[ \t]+$/m);
    expect(text()).not.toMatch(/\t/);
    expect(text()).not.toMatch(/\n\n\n/);
    expect(text().endsWith('\n')).toBe(true);
    expect(() => template()).not.toThrow();
  });

  it('is a SAM template with a description and Globals', () => {
    expect(template().AWSTemplateFormatVersion).toBe('2010-09-09');
    expect(template().Transform).toBe('AWS::Serverless-2016-10-31');
    expect(template().Description).toEqual(expect.stringContaining(spec.name));
    expect(template().Globals.Function).toBeTypeOf('object');
  });

  it('has exactly the resources of its trigger and sink', () => {
    const types = Object.fromEntries(Object.entries(template().Resources).map(([id, r]) => [id, (r as Json).Type]));
    expect(types).toEqual(expectedResources(spec));
  });

  it('declares exactly its parameters, each described, defaulted and used', () => {
    const parameters = template().Parameters as Record<string, Json>;
    const expected = expectedParameters(spec);
    expect(Object.keys(parameters).sort()).toEqual(Object.keys(expected).sort());
    const used = referencedIds({ Resources: template().Resources, Conditions: template().Conditions });
    for (const [name, defaultValue] of Object.entries(expected)) {
      expect(parameters[name].Description, name).toMatch(/\w{3}/);
      expect(parameters[name].Default, name).toBe(defaultValue);
      expect(used, name).toContain(name);
    }
  });

  it('builds AppFunction with cargo-lambda for provided.al2023 and the chosen size', () => {
    expect(fn().Metadata).toEqual({ BuildMethod: 'rust-cargolambda' });
    expect(fnProps()).toMatchObject({
      Runtime: 'provided.al2023',
      Handler: 'bootstrap',
      CodeUri: '.',
      Architectures: [spec.arch],
      MemorySize: spec.memory,
      Timeout: spec.timeout,
    });
  });

  it(`logs JSON to its own log group, kept ${spec.logRetention} days`, () => {
    expect(fnProps().FunctionName).toEqual(ref('AWS::StackName'));
    expect(fnProps().LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: ref('AppFunctionLogGroup') });
    const group = resource('AppFunctionLogGroup');
    // /aws/lambda/<function name> is where Lambda would create a never-expiring group otherwise.
    expect(group.Properties).toEqual({
      LogGroupName: { 'Fn::Sub': '/aws/lambda/${AWS::StackName}' },
      RetentionInDays: spec.logRetention,
    });
    expect(group.DeletionPolicy).toBe('Delete');
  });

  it('reserves concurrency only when the ReservedConcurrency parameter is set', () => {
    const parameter = template().Parameters.ReservedConcurrency;
    expect(parameter.Type).toBe('String');
    const pattern = new RegExp(parameter.AllowedPattern);
    for (const ok of ['', '1', '10', '1000']) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ['x', '-1', '1.5', ' 1']) expect(pattern.test(bad), bad).toBe(false);
    expect(template().Conditions.HasReservedConcurrency).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('ReservedConcurrency'), ''] }] });
    expect(fnProps().ReservedConcurrentExecutions).toEqual({
      'Fn::If': ['HasReservedConcurrency', ref('ReservedConcurrency'), NO_VALUE],
    });
  });

  it("passes the sink, the poison queue (and a REST API's JWT audience) to the function through its environment", () => {
    const variables = fnProps().Environment?.Variables;
    // A REST API's proxy integration leaves CORS to the function (template-ops.test.ts).
    const audience =
      spec.api === 'rest' && spec.auth === 'jwt' ? { JWT_AUDIENCE: spec.jwtAudience, CORS_ALLOWED_ORIGINS: ref('CorsAllowedOrigins') } : {};
    const sink = {
      ...(spec.sink === 'dynamodb' && { TABLE_NAME: ref('ResultsTable') }),
      ...(spec.sink === 'sqs' && { QUEUE_URL: ref('ResultsQueue') }),
    };
    const poison = {
      ...(isStream(spec) && { POISON_QUEUE_URL: ref('PoisonQueue') }),
      ...(spec.trigger === 'sqs' && { DEAD_LETTER_QUEUE_URL: ref('InputDeadLetterQueue') }),
    };
    // The SDK's timeouts are derived from the Timeout, which Lambda does not tell the function.
    const callsAws = spec.sink !== 'none' || isBatch(spec);
    const timeout = callsAws ? { FUNCTION_TIMEOUT_SECONDS: String(spec.timeout) } : {};
    const expected = { ...sink, ...poison, ...timeout, ...audience };
    if (Object.keys(expected).length > 0) expect(variables).toEqual(expected);
    else expect(fnProps().Environment).toBeUndefined();
  });

  it('is triggered by exactly one event, from the trigger resource', () => {
    const events = Object.values(fnProps().Events as Record<string, Json>);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    const props = event.Properties;

    // Exactly these properties: no per-route Auth, so the API's default authorizer applies.
    if (spec.api === 'http') {
      expect(event.Type).toBe('HttpApi');
      expect(props).toEqual({ ApiId: ref('HttpApi'), Path: '/items', Method: 'POST' });
    }
    if (spec.api === 'rest') {
      expect(event.Type).toBe('Api');
      expect(props).toEqual({ RestApiId: ref('RestApi'), Path: '/items', Method: 'POST' });
      expect(resource('RestApi').Properties.StageName).toMatch(/^\w+$/);
    }
    // The stream triggers: each reads its stream, and a failed record holds up its shard.
    const streams: Record<string, { type: string; arn: Json } | undefined> = {
      kinesis: { type: 'Kinesis', arn: getAtt('InputStream', 'Arn') },
      'dynamodb-stream': { type: 'DynamoDB', arn: getAtt('InputTable', 'StreamArn') },
    };
    const stream = streams[spec.trigger];
    if (stream) {
      expect(event.Type).toBe(stream.type);
      expect(props.Stream).toEqual(stream.arn);
      expect(['TRIM_HORIZON', 'LATEST']).toContain(props.StartingPosition);
      expect(props.BatchSize).toBeGreaterThanOrEqual(1);
      expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(props.BisectBatchOnFunctionError).toBe(true);
      // Bounded: -1 (the default) would retry a poisoned record until it leaves the stream.
      expect(props.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(props.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      expect(props.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(props.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(24 * 3600);
      // Type: SQS makes SAM grant sqs:SendMessage on exactly this queue.
      expect(props.DestinationConfig).toEqual({
        OnFailure: { Type: 'SQS', Destination: getAtt('InputDeadLetterQueue', 'Arn') },
      });
    }
    if (spec.trigger === 'kinesis') {
      const inputStream = resource('InputStream').Properties;
      expect(inputStream.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' });
      expect(inputStream.ShardCount).toBe(1);
    }
    if (spec.trigger === 's3') {
      expect(event.Type).toBe('S3');
      expect(props).toEqual({ Bucket: ref('InputBucket'), Events: 's3:ObjectCreated:*' });
      expect(resource('InputBucket').Properties.BucketName).toEqual(BUCKET_NAME);
    }
    if (spec.trigger === 'sqs') {
      expect(event.Type).toBe('SQS');
      expect(props.Queue).toEqual(getAtt('InputQueue', 'Arn'));
      expect(props.BatchSize).toBeGreaterThanOrEqual(1);
      // Above 10 messages, SQS batches need a batching window.
      if (props.BatchSize > 10) expect(props.MaximumBatchingWindowInSeconds).toBeGreaterThanOrEqual(1);
      expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    }
    if (spec.trigger === 'schedule') {
      // The details are checked in schedule-template.test.ts.
      expect(event.Type).toBe('ScheduleV2');
      expect(props.ScheduleExpression).toEqual(ref('ScheduleExpression'));
      expect(props.DeadLetterConfig).toEqual({ Arn: getAtt('ScheduleDeadLetterQueue', 'Arn') });
    }
  });

  if (spec.trigger === 'api') {
    it(`lets in ${spec.auth === 'public' ? 'anyone, and says so' : `${spec.auth.toUpperCase()} callers only`}`, () => {
      const api = resource(spec.api === 'http' ? 'HttpApi' : 'RestApi');
      const auth = api.Properties.Auth;
      if (spec.auth !== 'public') expect(text()).not.toMatch(/PUBLIC/);
      if (spec.auth === 'public') {
        expect(auth).toBeUndefined();
        expect(apiBlock(text(), spec.api === 'http' ? 'HttpApi' : 'RestApi')).toMatch(/# PUBLIC: no authorizer.*anyone/is);
      }
      if (spec.api === 'http' && spec.auth === 'iam') {
        expect(auth).toEqual({ EnableIamAuthorizer: true, DefaultAuthorizer: 'AWS_IAM' });
      }
      if (spec.api === 'http' && spec.auth === 'jwt') {
        expect(auth).toEqual({
          DefaultAuthorizer: 'JwtAuthorizer',
          Authorizers: {
            JwtAuthorizer: {
              IdentitySource: '$request.header.Authorization',
              JwtConfiguration: { issuer: spec.jwtIssuer, audience: [spec.jwtAudience] },
            },
          },
        });
      }
      if (spec.api === 'rest' && spec.auth === 'iam') {
        // InvokeRole NONE: without it SAM has API Gateway call the function with the caller's
        // own credentials (arn:aws:iam::*:user/*), and callers would need lambda:InvokeFunction.
        expect(auth).toEqual({ DefaultAuthorizer: 'AWS_IAM', InvokeRole: 'NONE' });
      }
      if (spec.api === 'rest' && spec.auth === 'jwt') {
        expect(auth).toEqual({
          DefaultAuthorizer: 'CognitoAuthorizer',
          Authorizers: { CognitoAuthorizer: { UserPoolArn: userPoolArn(spec.jwtIssuer) } },
          // A browser's CORS preflight carries no token (template-ops.test.ts).
          AddDefaultAuthorizerToCorsPreflight: false,
        });
      }
    });

    it("throttles the stage and writes a JSON access log, kept as long as the function's", () => {
      const props = resource(spec.api === 'http' ? 'HttpApi' : 'RestApi').Properties;
      const limits = { ThrottlingRateLimit: ref('ApiThrottlingRateLimit'), ThrottlingBurstLimit: ref('ApiThrottlingBurstLimit') };
      const accessLog = spec.api === 'http' ? props.AccessLogSettings : props.AccessLogSetting;
      if (spec.api === 'http') {
        expect(props.DefaultRouteSettings).toEqual(limits);
      } else {
        expect(props.MethodSettings).toEqual([{ ResourcePath: '/*', HttpMethod: '*', ...limits }]);
      }
      const parameters = template().Parameters;
      for (const name of ['ApiThrottlingRateLimit', 'ApiThrottlingBurstLimit']) {
        expect(parameters[name]).toMatchObject({ Type: 'Number', MinValue: 1 });
      }
      expect(parameters.ApiThrottlingBurstLimit.Default).toBeGreaterThanOrEqual(parameters.ApiThrottlingRateLimit.Default);

      // A clean log group ARN: GetAtt's ends in :*, which API Gateway does not document.
      expect(accessLog.DestinationArn).toEqual(ACCESS_LOG_DESTINATION);
      const format = JSON.parse(accessLog.Format);
      expect(format.requestId).toBe('$context.requestId');
      expect(format).toHaveProperty('status', '$context.status');
      // Who called, never with what: no headers, tokens or signatures in the log.
      expect(accessLog.Format).not.toMatch(/header|token|signature|authorization\b/i);
      if (spec.auth === 'iam') expect(format.caller).toBe('$context.identity.userArn');
      if (spec.auth === 'jwt') expect(format.caller).toBe('$context.authorizer.claims.sub');
      if (spec.auth === 'public') expect(format).not.toHaveProperty('caller');

      const group = resource('ApiAccessLogGroup');
      expect(group.Properties.RetentionInDays).toBe(spec.logRetention);
      expect(group.Properties.LogGroupName).toEqual({ 'Fn::Sub': '/aws/apigateway/${AWS::StackName}/access' });
      expect(group.DeletionPolicy).toBe('Delete');
    });
  }

  if (spec.api === 'rest') {
    it("sets API Gateway's account logging role before the stage, or keeps the one given", () => {
      expect(resource('RestApi').DependsOn).toBe('ApiGatewayAccount');
      expect(template().Conditions.CreateApiGatewayCloudWatchRole).toEqual({
        'Fn::Equals': [ref('ApiGatewayCloudWatchRoleArn'), ''],
      });
      const pattern = new RegExp(template().Parameters.ApiGatewayCloudWatchRoleArn.AllowedPattern);
      expect(pattern.test('')).toBe(true);
      expect(pattern.test('arn:aws:iam::123456789012:role/apigw-logs')).toBe(true);
      expect(pattern.test('arn:aws-cn:iam::123456789012:role/service-role/x')).toBe(true);
      expect(pattern.test('apigw-logs')).toBe(false);

      const account = resource('ApiGatewayAccount');
      expect(account.Properties).toEqual({
        CloudWatchRoleArn: {
          'Fn::If': ['CreateApiGatewayCloudWatchRole', getAtt('ApiGatewayCloudWatchRole', 'Arn'), ref('ApiGatewayCloudWatchRoleArn')],
        },
      });
      const role = resource('ApiGatewayCloudWatchRole');
      expect(role.Condition).toBe('CreateApiGatewayCloudWatchRole');
      expect(role.Properties).toEqual({
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        },
        ManagedPolicyArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs' }],
      });
      // Account-wide: other REST APIs in the region keep logging after this stack is deleted.
      for (const r of [account, role]) expect([r.DeletionPolicy, r.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
    });
  }

  if (spec.trigger === 's3') {
    it('keeps the bucket private, encrypted, versioned by parameter and TLS-only', () => {
      const bucket = resource('InputBucket').Properties;
      expect(bucket.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      const rules = bucket.BucketEncryption.ServerSideEncryptionConfiguration;
      expect(rules).toHaveLength(1);
      expect(['AES256', 'aws:kms']).toContain(rules[0].ServerSideEncryptionByDefault.SSEAlgorithm);
      expect(bucket.VersioningConfiguration).toEqual({ Status: ref('InputBucketVersioning') });
      expect(template().Parameters.InputBucketVersioning.AllowedValues).toEqual(['Enabled', 'Suspended']);
      // Versions of overwritten objects do not pile up forever.
      const expiry = bucket.LifecycleConfiguration.Rules.find((r: Json) => r.NoncurrentVersionExpiration);
      expect(expiry.Status).toBe('Enabled');
      expect(expiry.NoncurrentVersionExpiration.NoncurrentDays).toBeGreaterThanOrEqual(1);

      const policy = resource('InputBucketPolicy').Properties;
      expect(policy.Bucket).toEqual(ref('InputBucket'));
      expect(policy.PolicyDocument.Statement).toHaveLength(1);
      expectTlsOnlyGuard(policy.PolicyDocument.Statement[0], 's3', [getAtt('InputBucket', 'Arn'), { 'Fn::Sub': '${InputBucket.Arn}/*' }]);
    });
  }

  if (queuesOf(spec).length > 0) {
    it('encrypts every queue and refuses plain-HTTP requests to it', () => {
      for (const id of queuesOf(spec)) {
        const queue = resource(id).Properties;
        expect(queue.SqsManagedSseEnabled === true || typeof queue.KmsMasterKeyId === 'string', id).toBe(true);
        const policy = resource(`${id}Policy`).Properties;
        expect(policy.Queues, id).toEqual([ref(id)]);
        expect(policy.PolicyDocument.Statement, id).toHaveLength(1);
        expectTlsOnlyGuard(policy.PolicyDocument.Statement[0], 'sqs', [getAtt(id, 'Arn')]);
      }
      // Fourteen days, the maximum: time to find out why, then redrive.
      if (isBatch(spec)) expect(resource('InputDeadLetterQueue').Properties.MessageRetentionPeriod).toBe(1_209_600);
      if (isStream(spec)) expect(resource('PoisonQueue').Properties.MessageRetentionPeriod).toBe(1_209_600);
    });
  }

  if (spec.trigger === 'sqs') {
    it('gives the SQS queue a dead-letter queue and a long enough visibility timeout', () => {
      const queue = resource('InputQueue').Properties;
      expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * spec.timeout);
      expect(queue.VisibilityTimeout).toBeLessThanOrEqual(43_200);
      expect(queue.RedrivePolicy.deadLetterTargetArn).toEqual(getAtt('InputDeadLetterQueue', 'Arn'));
      expect(queue.RedrivePolicy.maxReceiveCount).toBeGreaterThanOrEqual(1);
      expect(queue.RedrivePolicy.maxReceiveCount).toBeLessThanOrEqual(10);
      // A message keeps its first enqueue time in the DLQ, so the DLQ must keep messages longer.
      const dlq = resource('InputDeadLetterQueue').Properties;
      expect(dlq.MessageRetentionPeriod).toBeGreaterThan(queue.MessageRetentionPeriod ?? 345_600);
    });
  }

  if (spec.trigger === 'kinesis') {
    it('encrypts the stream with the AWS managed key and states its retention', () => {
      const stream = resource('InputStream').Properties;
      expect(stream.StreamEncryption).toEqual({ EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' });
      expect(stream.RetentionPeriodHours).toBe(24);
      // ... with the reason beside it.
      const lines = text().split('\n');
      const at = lines.findIndex((line) => line.trim() === 'RetentionPeriodHours: 24');
      expect(lines[at - 1]!.trim()).toMatch(/^#/);
    });
  }

  if (spec.trigger === 'dynamodb-stream') {
    it('streams the source table with both images, and keeps it recoverable, encrypted and protected from deletion', () => {
      const table = resource('InputTable');
      expect(table.DeletionPolicy).toBe('Delete');
      expect(table.UpdateReplacePolicy).toBe('Delete');
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: ref('InputTableDeletionProtection'),
      });
      expect(template().Parameters.InputTableDeletionProtection.AllowedValues).toEqual(['true', 'false']);
    });
  }

  it('creates the sink resource', () => {
    if (spec.sink === 'dynamodb') {
      expect(resource('ResultsTable').Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      });
    }
    if (spec.sink === 'sqs') expect(resource('ResultsQueue').Type).toBe('AWS::SQS::Queue');
    if (spec.sink === 'none') expect(Object.keys(template().Resources).filter((id) => id.startsWith('Results'))).toEqual([]);
  });

  if (spec.sink === 'dynamodb') {
    it('keeps the table recoverable, encrypted and protected from deletion by parameter', () => {
      const table = resource('ResultsTable').Properties;
      expect(table.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.SSESpecification).toEqual({ SSEEnabled: true });
      expect(table.DeletionProtectionEnabled).toEqual(ref('ResultsTableDeletionProtection'));
      expect(template().Parameters.ResultsTableDeletionProtection.AllowedValues).toEqual(['true', 'false']);
    });
  }

  it('grants least privilege: its own role, one statement per resource of the stack, no managed policy', () => {
    // With Role set, SAM neither generates a role nor attaches its AWS managed policies.
    expect(fnProps().Role).toEqual(getAtt('AppFunctionRole', 'Arn'));
    expect(fnProps().Policies).toBeUndefined();
    const role = resource('AppFunctionRole').Properties;
    expect(role.AssumeRolePolicyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
    });
    expect(role.ManagedPolicyArns).toBeUndefined();
    expect(role.Policies).toEqual([
      { PolicyName: 'AppFunction', PolicyDocument: { Version: '2012-10-17', Statement: expectedStatements(spec) } },
    ]);
  });

  it('writes no * into the Action or Resource of any statement that grants', () => {
    const statements = statementsIn({ ...template(), Resources: withoutKeys(template().Resources) });
    for (const statement of statements) expectNoWildcardGrant(statement, [TABLE_STREAMS]);
    // The Denys are exactly the TLS guards asserted above, one per bucket or queue.
    const denies = statements.filter((s) => s.Effect === 'Deny');
    expect(denies).toHaveLength(queuesOf(spec).length + (spec.trigger === 's3' ? 1 : 0));
    for (const deny of denies) expect(deny.Sid).toBe('DenyInsecureTransport');
  });

  if (spec.trigger === 's3') {
    it('names the bucket before it exists, and the role does not wait for it', () => {
      // The bucket's notification waits for the function, which waits for its role.
      expect(referencedIds(resource('AppFunctionRole'))).not.toContain('InputBucket');
      expect(referencedIds(resource('InputBucket'))).not.toContain('AppFunction');
      // <stack>-<12-digit account>-<region> fits S3's 63 characters for every name the validator allows.
      const longest = BUCKET_NAME['Fn::Sub']
        .replace('${AWS::StackName}', 'x'.repeat(S3_MAX_NAME_LENGTH))
        .replace('${AWS::AccountId}', '123456789012')
        .replace('${AWS::Region}', LONGEST_REGION);
      expect(longest.length).toBeLessThanOrEqual(63);
    });
  }

  it('outputs what a user needs, each described and taken from its resource', () => {
    const outputs = template().Outputs as Record<string, Json>;
    const expected = expectedOutputs(spec);
    expect(Object.keys(outputs).sort()).toEqual(Object.keys(expected).sort());
    for (const [key, source] of Object.entries(expected)) {
      expect(outputs[key].Description, key).toMatch(/\w/);
      expect([...referencedIds(outputs[key].Value)], key).toEqual([source]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// samconfig.toml

/** Just enough TOML for samconfig: `[table]` headers and `key = value` lines. */
function parseSamconfig(text: string): { top: Record<string, string>; tables: Record<string, Record<string, string>> } {
  const top: Record<string, string> = {};
  const tables: Record<string, Record<string, string>> = {};
  let current = top;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[([\w.]+)\]$/.exec(line);
    if (header) {
      expect(tables, `[${header[1]}] twice`).not.toHaveProperty([header[1]!]);
      current = tables[header[1]!] = {};
      continue;
    }
    const pair = /^(\w+)\s*=\s*(.+)$/.exec(line);
    expect(pair, `not a key = value line: ${line}`).not.toBeNull();
    current[pair![1]!] = pair![2]!;
  }
  return { top, tables };
}

describe.each(SPECS.filter((s) => s.sink === 'dynamodb').map((spec) => [label(spec), spec] as const))('samconfig.toml: %s', (_, spec) => {
  it('sets the stack, the build and a safe deploy, and leaves the region to the profile', () => {
    const text = render(spec).get('samconfig.toml')!;
    const { top, tables } = parseSamconfig(text);
    expect(top).toEqual({ version: '0.1' });
    expect(tables['default.global.parameters']).toMatchObject({ stack_name: `"${spec.name}"` });
    expect(tables['default.build.parameters']).toMatchObject({ beta_features: 'true' });
    expect(tables['default.deploy.parameters']).toMatchObject({
      resolve_s3: 'true',
      confirm_changeset: 'true',
      capabilities: expect.stringMatching(/^"CAPABILITY_(NAMED_)?IAM"$/),
    });
    // The template's parameters keep their safe defaults unless the user overrides them.
    expect(tables['default.deploy.parameters']).not.toHaveProperty('parameter_overrides');
    for (const [table, values] of Object.entries(tables)) {
      expect(values, table).not.toHaveProperty('region');
      expect(values, table).not.toHaveProperty('profile');
    }
    expect(text).not.toMatch(/[ \t]+$/m);
  });
});

// ---------------------------------------------------------------------------------------------
// cfn-lint and the SAM transform: each one Python process over every combination, run at once

interface Run {
  exitCode?: number;
  stdout: string;
  stderr: string;
}

interface PythonChecks {
  files: Map<ProjectSpec, string>;
  lint: Promise<Run>;
  transform: Promise<Run>;
}

const workDir = mkdtempSync(join(tmpdir(), 'cfl-template-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let checks: PythonChecks | { problem: string } | undefined;
/** Writes every template once and starts cfn-lint and the SAM transform side by side. */
function pythonChecks(): PythonChecks | { problem: string } {
  if (checks) return checks;
  const tools = pythonTools();
  if ('problem' in tools) {
    checks = tools;
    return checks;
  }
  const files = new Map(SPECS.map((spec) => [spec, join(workDir, `${fileStem(spec)}.yaml`)]));
  for (const [spec, file] of files) writeFileSync(file, templateText(spec));
  const run = (command: string, args: string[]) => execa(command, args, { reject: false, stdin: 'ignore' });
  checks = {
    files,
    lint: run(join(tools.bin, 'cfn-lint'), ['--format', 'parseable', '--include-checks', 'I', '--', ...files.values()]),
    transform: run(join(tools.bin, 'python'), [join(ROOT, 'test/support/sam-transform.py'), ...files.values()]),
  };
  return checks;
}

/** A developer without Python tools may skip; CI must never pass without them. */
function requireTools(ctx: { skip: (note?: string) => void }): PythonChecks | undefined {
  const result = pythonChecks();
  if (!('problem' in result)) return result;
  if (IN_CI) throw new Error(`cfn-lint and the SAM translator are required in CI: ${result.problem}`);
  ctx.skip(`Python tools unavailable: ${result.problem}`);
  return undefined;
}

describe('cfn-lint', () => {
  it('finds nothing, informational rules included, in any combination', { timeout: 600_000 }, async (ctx) => {
    const tools = requireTools(ctx);
    if (!tools) return;
    expect(new Set(tools.files.values()).size).toBe(SPECS.length);
    const lint = await tools.lint;
    expect({ status: lint.exitCode, stdout: lint.stdout, stderr: lint.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});

/** What the function's role may do once SAM expanded it: actions → the one resource they act on. */
function expectedGrants(spec: ProjectSpec): Record<string, string[]> {
  return {
    AppFunctionLogGroup: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ...(spec.trigger === 'kinesis' && {
      InputStream: [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
      ],
      InputDeadLetterQueue: ['sqs:SendMessage'],
      PoisonQueue: ['sqs:SendMessage'],
    }),
    ...(spec.trigger === 'sqs' && {
      InputQueue: ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'],
      InputDeadLetterQueue: ['sqs:SendMessage'],
    }),
    ...(spec.trigger === 's3' && { InputFailureQueue: ['sqs:SendMessage'] }),
    ...(spec.trigger === 'dynamodb-stream' && {
      InputTable: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:ListStreams'],
      InputDeadLetterQueue: ['sqs:SendMessage'],
      PoisonQueue: ['sqs:SendMessage'],
    }),
    // The function's role (Lambda's on-failure destination) and the schedule's (Scheduler's DLQ).
    ...(spec.trigger === 'schedule' && {
      AppFunction: ['lambda:InvokeFunction'],
      ScheduleDeadLetterQueue: ['sqs:SendMessage', 'sqs:SendMessage'],
    }),
    ...(spec.sink === 'dynamodb' && { ResultsTable: ['dynamodb:PutItem'] }),
    ...(spec.sink === 'sqs' && { ResultsQueue: ['sqs:SendMessage'] }),
  };
}

describe('after the SAM transform', () => {
  let deployed: Map<ProjectSpec, Json> | undefined;

  beforeAll(async () => {
    const result = pythonChecks();
    if ('problem' in result) return;
    const run = await result.transform;
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const byFile = JSON.parse(run.stdout) as Record<string, Json>;
    deployed = new Map([...result.files].map(([spec, file]) => [spec, byFile[file]]));
  }, 120_000);

  describe.each(SPECS.map((spec) => [label(spec), spec] as const))('%s', (_, spec) => {
    const cfn = (ctx: { skip: (note?: string) => void }): Json => {
      if (!requireTools(ctx)) return undefined;
      const template = deployed?.get(spec);
      expect(template?.error).toBeUndefined();
      return template;
    };
    const resourcesOfType = (template: Json, type: string) =>
      Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === type);

    it("has only the roles we expect, trusted by their service alone, the function's with no managed policy", (ctx) => {
      const template = cfn(ctx);
      if (!template) return;
      const roles = Object.fromEntries(resourcesOfType(template, 'AWS::IAM::Role'));
      const schedulerRole = spec.trigger === 'schedule' ? ['AppFunctionScheduledRunRole'] : [];
      expect(Object.keys(roles).sort()).toEqual(
        ['AppFunctionRole', ...(spec.api === 'rest' ? ['ApiGatewayCloudWatchRole'] : []), ...schedulerRole].sort(),
      );
      for (const id of schedulerRole) {
        expect(roles[id].Properties.AssumeRolePolicyDocument.Statement).toEqual([
          { Action: ['sts:AssumeRole'], Effect: 'Allow', Principal: { Service: ['scheduler.amazonaws.com'] } },
        ]);
        expect(roles[id].Properties.ManagedPolicyArns).toBeUndefined();
      }
      expect(resourcesOfType(template, 'AWS::IAM::Policy')).toEqual([]);
      expect(resourcesOfType(template, 'AWS::IAM::ManagedPolicy')).toEqual([]);

      const fnRole = roles.AppFunctionRole.Properties;
      expect(fnRole.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
      // AWSLambdaBasicExecutionRole, AWSLambdaKinesisExecutionRole, AWSLambdaSQSQueueExecutionRole
      // would each grant on "*": SAM attaches none to a role it did not generate.
      expect(fnRole.ManagedPolicyArns).toBeUndefined();
      if (spec.api === 'rest') {
        expect(roles.ApiGatewayCloudWatchRole.Properties.Policies).toBeUndefined();
      }
    });

    it('grants each action on one resource of the stack, and no * outside that resource', (ctx) => {
      const template = cfn(ctx);
      if (!template) return;
      const ours = new Set(Object.keys(template.Resources));
      const grants: Record<string, string[]> = {};
      const statements = statementsIn(withoutKeys(template.Resources));
      for (const statement of statements) {
        expectNoWildcardGrant(statement, [TABLE_STREAMS]);
        if (statement.Effect !== 'Allow' || statement.Resource === undefined) continue;
        // Each resource of an Allow names one resource of this stack, by logical id.
        const targets = new Set(
          list(statement.Resource).flatMap((r) => {
            const ids = [...referencedIds(r)];
            return ids.length > 0 ? ids : ['<not ours>'];
          }),
        );
        expect(
          [...targets].every((id) => ours.has(id)),
          JSON.stringify(statement),
        ).toBe(true);
        expect(targets.size, JSON.stringify(statement)).toBe(1);
        const [target] = targets;
        grants[target!] = [...(grants[target!] ?? []), ...strings(statement.Action)].sort();
      }
      expect(grants).toEqual(expectedGrants(spec));
      // The only Denys left are our TLS guards.
      for (const deny of statements.filter((s) => s.Effect === 'Deny')) expect(deny.Sid).toBe('DenyInsecureTransport');
    });

    if (spec.trigger === 'api') {
      it(`puts the ${spec.auth} authorizer on every route`, (ctx) => {
        const template = cfn(ctx);
        if (!template) return;
        const apis = resourcesOfType(template, spec.api === 'http' ? 'AWS::ApiGatewayV2::Api' : 'AWS::ApiGateway::RestApi');
        expect(apis).toHaveLength(1);
        const api = apis[0]![1];
        // A REST JWT API's CORS preflight, a mock OPTIONS without the authorizer, is checked in template-ops.test.ts.
        const preflight = spec.api === 'rest' && spec.auth === 'jwt' ? 'options' : undefined;
        const paths = Object.values(api.Properties.Body.paths as Record<string, Record<string, Json>>);
        const methods = paths.flatMap((p) =>
          Object.entries(p)
            .filter(([verb]) => verb !== preflight)
            .map(([, method]) => method),
        );
        expect(methods).toHaveLength(1);
        const scheme = { iam: 'AWS_IAM', jwt: spec.api === 'http' ? 'JwtAuthorizer' : 'CognitoAuthorizer' }[spec.auth as 'iam' | 'jwt'];
        for (const method of methods) {
          if (spec.auth === 'public') expect(method.security).toBeUndefined();
          else expect(method.security).toEqual([{ [scheme!]: [] }]);
          // The integration runs with API Gateway's permission, never the caller's credentials.
          expect(method['x-amazon-apigateway-integration']).not.toHaveProperty('credentials');
        }
        // The stage (which refers to the API) waits for the account's logging role.
        if (spec.api === 'rest') expect(list(api.DependsOn)).toEqual(['ApiGatewayAccount']);
      });
    }
  });
});
