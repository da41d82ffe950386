/**
 * The generated SAM template.yaml and samconfig.toml, for every trigger × sink × arch: rendered
 * through renderProject, parsed with CloudFormation's short-form tags, checked property by
 * property, and then linted by cfn-lint (which runs the SAM transform itself) in one process.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, type Tags } from 'yaml';
import { MEMORY_RANGE, S3_MAX_NAME_LENGTH, TIMEOUT_RANGE } from '../src/scaffold/catalog.js';
import { renderProject } from '../src/scaffold/render.js';
import { maxTimeout, type ProjectSpec } from '../src/scaffold/spec.js';
import { ALL_SPECS } from './support/specs.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const IN_CI = process.env.CI === 'true';

// ---------------------------------------------------------------------------------------------
// The combinations

/**
 * Every combination, at the edges of its ranges: the largest memory and timeout on x86_64, the
 * smallest on arm64, and varied memory in between, so no value can pass by being hard-coded.
 */
const SPECS: ProjectSpec[] = ALL_SPECS.map((spec, i) => ({
  ...spec,
  name: 'order-intake',
  memory: spec.arch === 'x86_64' ? [MEMORY_RANGE.max, 1769, 3008][i % 3]! : [MEMORY_RANGE.min, 256, 1024][i % 3]!,
  timeout: spec.arch === 'x86_64' ? maxTimeout(spec.trigger, spec.api) : TIMEOUT_RANGE.min,
}));

const label = (s: ProjectSpec) =>
  `${s.trigger}${s.api === 'none' ? '' : `(${s.api})`} → ${s.sink}, ${s.arch}, ${s.memory} MB, ${s.timeout} s`;
const fileStem = (s: ProjectSpec) => `${s.trigger}-${s.api}-${s.sink}-${s.arch}`;

// ---------------------------------------------------------------------------------------------
// Parsing CloudFormation YAML

/** Short-form intrinsics (`!Ref X`, `!GetAtt X.Arn`, `!Sub [...]`) become their long form. */
const CFN_TAGS: Tags = ['Ref', 'Condition', 'GetAtt', 'Base64', 'Cidr', 'FindInMap', 'GetAZs', 'ImportValue', 'Join']
  .concat(['Select', 'Split', 'Sub', 'Transform', 'And', 'Equals', 'If', 'Not', 'Or', 'ToJsonString', 'Length'])
  .flatMap((name) => {
    const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
    const scalar = (value: string) => (name === 'GetAtt' ? value.split(/\.(.*)/s, 2) : value);
    return [
      { tag: `!${name}`, resolve: (value: string) => ({ [key]: scalar(value) }) },
      { tag: `!${name}`, collection: 'seq' as const, resolve: (seq: { toJSON(): unknown }) => ({ [key]: seq.toJSON() }) },
      { tag: `!${name}`, collection: 'map' as const, resolve: (map: { toJSON(): unknown }) => ({ [key]: map.toJSON() }) },
    ];
  });

// The parsed template is untyped data; the assertions below are its schema.
type Json = any;

const parseTemplate = (text: string): Json => parse(text, { customTags: CFN_TAGS, uniqueKeys: true });

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

/** Every logical id a value refers to through Ref, GetAtt or a `${...}` inside Sub. */
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
        for (const match of String(text).matchAll(/\$\{([^!}][^}]*)\}/g)) found.add(match[1]!.split('.')[0]!);
        referencedIds(variables, found);
      } else {
        referencedIds(value, found);
      }
    }
  }
  for (const id of found) if (id.startsWith('AWS::')) found.delete(id);
  return found;
}

/** Every IAM statement written anywhere in the template (inline policies, resource policies). */
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

const strings = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.flatMap(strings) : [];

/** The SAM policy templates the generated function may use: each scoped to one named resource. */
const SAM_POLICY_TEMPLATES = ['S3ReadPolicy', 'DynamoDBWritePolicy', 'SQSSendMessagePolicy', 'KinesisStreamReadPolicy', 'SQSPollerPolicy'];

// ---------------------------------------------------------------------------------------------
// What each combination must contain

/** The bucket name the S3 trigger uses, computed before the bucket exists (no !Ref, no cycle). */
const BUCKET_NAME = { 'Fn::Sub': '${AWS::StackName}-${AWS::AccountId}-${AWS::Region}' };
/** The longest region names today (ap-southeast-2, ap-northeast-1, ...) have 14 characters. */
const LONGEST_REGION = 'ap-southeast-2';

function expectedResources(spec: ProjectSpec): Record<string, string> {
  return {
    AppFunction: 'AWS::Serverless::Function',
    AppFunctionLogGroup: 'AWS::Logs::LogGroup',
    ...(spec.api === 'http' && { HttpApi: 'AWS::Serverless::HttpApi' }),
    ...(spec.api === 'rest' && { RestApi: 'AWS::Serverless::Api' }),
    ...(spec.trigger === 'kinesis' && { InputStream: 'AWS::Kinesis::Stream' }),
    ...(spec.trigger === 's3' && { InputBucket: 'AWS::S3::Bucket' }),
    ...(spec.trigger === 'sqs' && { InputQueue: 'AWS::SQS::Queue' }),
    ...((spec.trigger === 'kinesis' || spec.trigger === 'sqs') && { InputDeadLetterQueue: 'AWS::SQS::Queue' }),
    ...(spec.sink === 'dynamodb' && { ResultsTable: 'AWS::DynamoDB::Table' }),
    ...(spec.sink === 'sqs' && { ResultsQueue: 'AWS::SQS::Queue' }),
  };
}

/** Output key → the logical id its value must come from. */
function expectedOutputs(spec: ProjectSpec): Record<string, string> {
  const batch = spec.trigger === 'kinesis' || spec.trigger === 'sqs';
  return {
    FunctionName: 'AppFunction',
    FunctionArn: 'AppFunction',
    LogGroupName: 'AppFunctionLogGroup',
    ...(spec.api === 'http' && { ApiUrl: 'HttpApi' }),
    ...(spec.api === 'rest' && { ApiUrl: 'RestApi' }),
    ...(spec.trigger === 'kinesis' && { InputStreamName: 'InputStream', InputStreamArn: 'InputStream' }),
    ...(spec.trigger === 's3' && { InputBucketName: 'InputBucket' }),
    ...(spec.trigger === 'sqs' && { InputQueueName: 'InputQueue', InputQueueUrl: 'InputQueue' }),
    ...(batch && { InputDeadLetterQueueName: 'InputDeadLetterQueue', InputDeadLetterQueueUrl: 'InputDeadLetterQueue' }),
    ...(spec.sink === 'dynamodb' && { ResultsTableName: 'ResultsTable' }),
    ...(spec.sink === 'sqs' && { ResultsQueueName: 'ResultsQueue', ResultsQueueUrl: 'ResultsQueue' }),
  };
}

function expectedPolicies(spec: ProjectSpec): Json[] {
  return [
    ...(spec.trigger === 's3' ? [{ S3ReadPolicy: { BucketName: BUCKET_NAME } }] : []),
    ...(spec.sink === 'dynamodb' ? [{ DynamoDBWritePolicy: { TableName: ref('ResultsTable') } }] : []),
    ...(spec.sink === 'sqs' ? [{ SQSSendMessagePolicy: { QueueName: getAtt('ResultsQueue', 'QueueName') } }] : []),
  ];
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

  it('logs JSON to its own log group, kept 14 days', () => {
    expect(fnProps().LoggingConfig).toMatchObject({ LogFormat: 'JSON', LogGroup: ref('AppFunctionLogGroup') });
    expect(resource('AppFunctionLogGroup').Properties.RetentionInDays).toBe(14);
  });

  it('passes the sink to the function through one environment variable', () => {
    const variables = fnProps().Environment?.Variables;
    if (spec.sink === 'dynamodb') expect(variables).toEqual({ TABLE_NAME: ref('ResultsTable') });
    if (spec.sink === 'sqs') expect(variables).toEqual({ QUEUE_URL: ref('ResultsQueue') });
    if (spec.sink === 'none') expect(fnProps().Environment).toBeUndefined();
  });

  it('is triggered by exactly one event, from the trigger resource', () => {
    const events = Object.values(fnProps().Events as Record<string, Json>);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    const props = event.Properties;

    if (spec.api === 'http') {
      expect(event.Type).toBe('HttpApi');
      expect(props).toEqual({ ApiId: ref('HttpApi'), Path: '/items', Method: 'POST' });
    }
    if (spec.api === 'rest') {
      expect(event.Type).toBe('Api');
      expect(props).toEqual({ RestApiId: ref('RestApi'), Path: '/items', Method: 'POST' });
      expect(resource('RestApi').Properties.StageName).toMatch(/^\w+$/);
    }
    if (spec.trigger === 'kinesis') {
      expect(event.Type).toBe('Kinesis');
      expect(props.Stream).toEqual(getAtt('InputStream', 'Arn'));
      expect(['TRIM_HORIZON', 'LATEST']).toContain(props.StartingPosition);
      expect(props.BatchSize).toBeGreaterThanOrEqual(1);
      expect(props.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
      expect(props.BisectBatchOnFunctionError).toBe(true);
      // Bounded: -1 (the default) would retry a poisoned record until it expires from the stream.
      expect(props.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(props.MaximumRetryAttempts).toBeLessThanOrEqual(10);
      expect(props.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(props.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(24 * 3600);
      // Type: SQS makes SAM grant sqs:SendMessage on exactly this queue.
      expect(props.DestinationConfig).toEqual({
        OnFailure: { Type: 'SQS', Destination: getAtt('InputDeadLetterQueue', 'Arn') },
      });
      const stream = resource('InputStream').Properties;
      expect(stream.StreamModeDetails).toEqual({ StreamMode: 'PROVISIONED' });
      expect(stream.ShardCount).toBe(1);
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
  });

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

  it('grants least privilege through SAM policy templates only', () => {
    const policies: Json[] | undefined = fnProps().Policies;
    const expected = expectedPolicies(spec);
    if (expected.length === 0) expect(policies).toBeUndefined();
    else expect(policies).toEqual(expect.arrayContaining(expected));
    for (const policy of policies ?? []) {
      // A string would be a managed policy (AmazonS3FullAccess, ...); a Statement would be ours.
      expect(policy).toBeTypeOf('object');
      expect(Object.keys(policy)).toHaveLength(1);
      expect(SAM_POLICY_TEMPLATES).toContain(Object.keys(policy)[0]);
    }
    expect(policies ?? []).toHaveLength(expected.length);
    expect(fnProps().Role).toBeUndefined();
  });

  it('writes no * into any Action or Resource', () => {
    for (const statement of statementsIn(template())) {
      for (const key of ['Action', 'NotAction', 'Resource', 'NotResource']) {
        for (const value of strings(statement[key])) expect(value, `${key} in ${JSON.stringify(statement)}`).not.toContain('*');
      }
    }
  });

  if (spec.trigger === 's3') {
    it('reads the bucket by name, so the role and the bucket do not wait on each other', () => {
      expect(referencedIds(fnProps().Policies)).not.toContain('InputBucket');
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

describe.each(SPECS.filter((s) => s.sink === 'dynamodb').map((spec) => [label(spec), spec] as const))(
  'samconfig.toml: %s',
  (_, spec) => {
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
      for (const [table, values] of Object.entries(tables)) {
        expect(values, table).not.toHaveProperty('region');
        expect(values, table).not.toHaveProperty('profile');
      }
      expect(text).not.toMatch(/[ \t]+$/m);
    });
  },
);

// ---------------------------------------------------------------------------------------------
// cfn-lint, once over every combination

/** The venv bin directory scripts/python-tools.sh prints last, or why it could not. */
function pythonTools(): { bin: string } | { problem: string } {
  const run = spawnSync('bash', [join(ROOT, 'scripts/python-tools.sh')], { cwd: ROOT, encoding: 'utf8' });
  if (run.error) return { problem: run.error.message };
  if (run.status !== 0) return { problem: `scripts/python-tools.sh exited ${run.status}: ${run.stderr.trim()}` };
  return { bin: run.stdout.trim().split('\n').at(-1)! };
}

describe('cfn-lint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfl-template-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds nothing, informational rules included, in any combination', { timeout: 600_000 }, (ctx) => {
    const tools = pythonTools();
    if ('problem' in tools) {
      // A developer without Python tools may skip; CI must never pass without linting.
      if (IN_CI) throw new Error(`cfn-lint is required in CI: ${tools.problem}`);
      ctx.skip(`cfn-lint unavailable: ${tools.problem}`);
      return;
    }
    const files = SPECS.map((spec) => {
      const file = join(dir, `${fileStem(spec)}.yaml`);
      writeFileSync(file, templateText(spec));
      return file;
    });
    expect(new Set(files).size).toBe(SPECS.length);

    const lint = spawnSync(join(tools.bin, 'cfn-lint'), ['--format', 'parseable', '--include-checks', 'I', '--', ...files], {
      encoding: 'utf8',
    });
    expect(lint.error).toBeUndefined();
    expect({ status: lint.status, stdout: lint.stdout, stderr: lint.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
  });
});
