/**
 * What the generated template.yaml does when things go wrong, and who may do what: S3 events
 * kept after Lambda's retries, alarms on every failure path (emailed only with AlarmEmail),
 * CORS for JWT HTTP APIs, and checkov over every combination with only the findings the
 * generated README explains. The IAM statements themselves are pinned in template.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { APIS, AUTHS, SINKS, TRIGGERS } from '../src/scaffold/catalog.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { IN_CI, pythonTools } from './support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// The parsed template is untyped data; the assertions below are its schema.
type Json = any;

const JWT = {
  http: { jwtIssuer: 'https://example.auth0.com/', jwtAudience: 'https://api.example.com' },
  rest: { jwtIssuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123', jwtAudience: '4ab5cd6ef7gh8ij9kl0mn1op2q' },
} as const;

/** Every trigger (each API flavour with each auth) × sink; the architecture changes nothing here. */
const SPECS: ProjectSpec[] = TRIGGERS.flatMap((trigger) =>
  (trigger.id === 'api' ? APIS.map((a) => a.id) : [undefined]).flatMap((api) =>
    (api ? AUTHS.map((a) => a.id) : [undefined]).flatMap((auth) =>
      SINKS.map((sink) =>
        resolveSpec({
          name: 'order-intake',
          trigger: trigger.id,
          api,
          auth,
          sink: sink.id,
          arch: 'arm64',
          ...(auth === 'jwt' && JWT[api!]),
        }),
      ),
    ),
  ),
);

/** The churn example, with and without its twins: checked by checkov here, structurally in churn-ops.test.ts. */
const CHURN_SPECS: ProjectSpec[] = ['true', 'false'].map((twins) => resolveSpec({ name: 'churn-demo', example: 'churn', twins }));

const label = (s: ProjectSpec) =>
  s.example === 'churn'
    ? `churn${s.twins ? ' with twins' : ''}`
    : `${s.trigger}${s.api === 'none' ? '' : `(${s.api}, ${s.auth})`} → ${s.sink}`;
const fileStem = (s: ProjectSpec) => (s.example === 'churn' ? `churn-twins-${s.twins}` : `${s.trigger}-${s.api}-${s.auth}-${s.sink}`);

const rendered = new Map<ProjectSpec, Map<string, string>>();
const render = (spec: ProjectSpec) => {
  if (!rendered.has(spec)) rendered.set(spec, renderProject(spec));
  return rendered.get(spec)!;
};
const parsed = new Map<ProjectSpec, Json>();
const templateOf = (spec: ProjectSpec): Json => {
  if (!parsed.has(spec)) parsed.set(spec, parseCfnYaml(render(spec).get('template.yaml')!));
  return parsed.get(spec);
};

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const NO_VALUE = ref('AWS::NoValue');
/** Alarms act only when there is an address to email. */
const ALARM_ACTIONS = { 'Fn::If': ['HasAlarmEmail', [ref('AlarmTopic')], NO_VALUE] };

/** The queues nobody reads in normal operation: what lands there was given up on. */
function givenUpQueues(template: Json): string[] {
  const readers = new Set(['InputQueue', 'ResultsQueue']);
  return Object.entries(template.Resources as Record<string, Json>)
    .filter(([id, r]) => r.Type === 'AWS::SQS::Queue' && !readers.has(id))
    .map(([id]) => id)
    .sort();
}

// ---------------------------------------------------------------------------------------------
// The template, structurally

describe.each(SPECS.map((spec) => [label(spec), spec] as const))('%s', (_, spec) => {
  const template = () => templateOf(spec);
  const resource = (id: string) => template().Resources[id];
  const fnProps = () => resource('AppFunction').Properties;

  if (spec.trigger === 's3') {
    it('sends an S3 event Lambda gave up on, with bounded retries and age, to a TLS-only encrypted queue', () => {
      const config = fnProps().EventInvokeConfig;
      expect(config.DestinationConfig).toEqual({ OnFailure: { Type: 'SQS', Destination: getAtt('InputFailureQueue', 'Arn') } });
      // Lambda's defaults are 2 retries over up to 6 hours; the bounds keep a failure visible within the hour.
      expect(config.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
      expect(config.MaximumRetryAttempts).toBeLessThanOrEqual(2);
      expect(config.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
      expect(config.MaximumEventAgeInSeconds).toBeLessThanOrEqual(3600);

      const queue = resource('InputFailureQueue');
      expect(queue.Type).toBe('AWS::SQS::Queue');
      expect(queue.Properties).toEqual({ MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
      const guard = resource('InputFailureQueuePolicy').Properties;
      expect(guard.Queues).toEqual([ref('InputFailureQueue')]);
      expect(guard.PolicyDocument.Statement).toEqual([
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:*',
          Resource: getAtt('InputFailureQueue', 'Arn'),
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]);
      expect(template().Outputs.InputFailureQueueUrl.Value).toEqual(ref('InputFailureQueue'));
    });

    it('grants nothing on the bucket: the handler never reads the object', () => {
      const handler = render(spec).get('src/handler.rs')!;
      expect(handler).not.toMatch(/get_object|GetObject/);
      const role = JSON.stringify(resource('AppFunctionRole'));
      expect(role).not.toMatch(/s3:|InputBucket/);
    });
  } else if (spec.trigger !== 'schedule') {
    // The schedule's invoke configuration is checked in schedule-template.test.ts.
    it('has no asynchronous invoke configuration: its trigger invokes synchronously', () => {
      expect(fnProps().EventInvokeConfig).toBeUndefined();
      expect(resource('InputFailureQueue')).toBeUndefined();
    });
  }

  it('alarms on errors, throttles and every queue of given-up input, acting only with AlarmEmail', () => {
    const alarms = Object.fromEntries(
      Object.entries(template().Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm'),
    );
    const lambdaMetric = (MetricName: string, Statistic: string) => ({
      Namespace: 'AWS/Lambda',
      MetricName,
      Statistic,
      Dimensions: [{ Name: 'FunctionName', Value: ref('AppFunction') }],
    });
    const expected: Record<string, Json> = {
      AppFunctionErrorsAlarm: { ...lambdaMetric('Errors', 'Sum'), Threshold: 0 },
      AppFunctionThrottlesAlarm: { ...lambdaMetric('Throttles', 'Sum'), Threshold: 0 },
      ...((spec.trigger === 'kinesis' || spec.trigger === 'dynamodb-stream') && {
        AppFunctionIteratorAgeAlarm: lambdaMetric('IteratorAge', 'Maximum'),
      }),
      ...Object.fromEntries(
        givenUpQueues(template()).map((queue) => [
          `${queue}DepthAlarm`,
          {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Statistic: 'Maximum',
            Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
            Threshold: 0,
          },
        ]),
      ),
    };
    expect(Object.keys(alarms).sort()).toEqual(Object.keys(expected).sort());
    // A batch trigger always has a dead-letter queue, S3 its failure queue: each is watched.
    if (spec.trigger !== 'api') expect(givenUpQueues(template()).length).toBeGreaterThan(0);

    for (const [id, want] of Object.entries(expected)) {
      const alarm = alarms[id];
      expect(alarm.Condition, id).toBeUndefined();
      expect(alarm.Properties, id).toMatchObject({ ...want, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: ALARM_ACTIONS });
      expect(alarm.Properties.Period, id).toBe(60);
      expect(alarm.Properties.EvaluationPeriods, id).toBe(1);
      expect(['notBreaching', 'ignore'], id).toContain(alarm.Properties.TreatMissingData);
      expect(alarm.Properties.AlarmDescription, id).toEqual({ 'Fn::Sub': expect.stringMatching(/^\$\{AWS::StackName\}: \w/) });
    }
    if (spec.trigger === 'kinesis' || spec.trigger === 'dynamodb-stream') {
      // It must go off well before the event source gives records up for age.
      const [event] = Object.values(fnProps().Events as Record<string, Json>);
      const maxAge = event.Properties.MaximumRecordAgeInSeconds * 1000;
      const threshold = alarms.AppFunctionIteratorAgeAlarm.Properties.Threshold;
      expect(threshold).toBeGreaterThanOrEqual(60_000);
      expect(threshold).toBeLessThanOrEqual(maxAge / 2);
    }
  });

  it('emails through a topic under a key CloudWatch may use, all three only with AlarmEmail', () => {
    expect(template().Conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('AlarmEmail'), ''] }] });
    for (const id of ['AlarmTopicKey', 'AlarmTopic', 'AlarmEmailSubscription']) expect(resource(id).Condition, id).toBe('HasAlarmEmail');

    // Not alias/aws/sns: the AWS managed key's policy lets no service use it, so CloudWatch
    // could not publish and the alarms would be silent.
    expect(resource('AlarmTopic').Properties).toEqual({ KmsMasterKeyId: ref('AlarmTopicKey') });
    const key = resource('AlarmTopicKey').Properties;
    expect(key.EnableKeyRotation).toBe(true);
    expect(key.KeyPolicy.Statement).toEqual([
      {
        Sid: 'AccountAdministersKey',
        Effect: 'Allow',
        Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'CloudWatchPublishesAlarms',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      },
    ]);
    expect(resource('AlarmEmailSubscription').Properties).toEqual({
      TopicArn: ref('AlarmTopic'),
      Protocol: 'email',
      Endpoint: ref('AlarmEmail'),
    });
    expect(template().Parameters.AlarmEmail).toMatchObject({ Type: 'String', Default: '' });
  });

  if (spec.api === 'http' && spec.auth === 'jwt') {
    it('allows browsers from the CorsAllowedOrigins parameter only, none by default', () => {
      expect(template().Parameters.CorsAllowedOrigins).toMatchObject({ Type: 'String', Default: '' });
      expect(template().Conditions.HasCorsAllowedOrigins).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('CorsAllowedOrigins'), ''] }] });
      expect(resource('HttpApi').Properties.CorsConfiguration).toEqual({
        'Fn::If': [
          'HasCorsAllowedOrigins',
          {
            AllowOrigins: { 'Fn::Split': [',', ref('CorsAllowedOrigins')] },
            AllowMethods: ['POST'],
            AllowHeaders: ['authorization', 'content-type'],
            MaxAge: 600,
          },
          NO_VALUE,
        ],
      });
    });
  } else if (spec.api === 'rest' && spec.auth === 'jwt') {
    it('answers the preflight for the CorsAllowedOrigins origin only, and tells the function, none by default', () => {
      expect(template().Parameters.CorsAllowedOrigins).toMatchObject({ Type: 'String', Default: '' });
      expect(template().Conditions.HasCorsAllowedOrigins).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('CorsAllowedOrigins'), ''] }] });
      // SAM reads Cors before CloudFormation resolves conditions: a whole-property !If would become the origin itself.
      const whenSet = (value: Json) => ({ 'Fn::If': ['HasCorsAllowedOrigins', value, NO_VALUE] });
      expect(resource('RestApi').Properties.Cors).toEqual({
        AllowOrigin: whenSet({ 'Fn::Sub': "'${CorsAllowedOrigins}'" }),
        AllowMethods: whenSet("'POST,OPTIONS'"),
        AllowHeaders: whenSet("'authorization,content-type'"),
        MaxAge: whenSet("'600'"),
      });
      // A browser's preflight carries no token: the Cognito authorizer would refuse it.
      expect(resource('RestApi').Properties.Auth.AddDefaultAuthorizerToCorsPreflight).toBe(false);
      // A Lambda proxy integration passes the function's headers through: it answers the origin itself.
      expect(fnProps().Environment.Variables.CORS_ALLOWED_ORIGINS).toEqual(ref('CorsAllowedOrigins'));
    });
  } else {
    it('sends no CORS headers and has no CORS parameter', () => {
      expect(template().Parameters.CorsAllowedOrigins).toBeUndefined();
      expect(fnProps().Environment?.Variables?.CORS_ALLOWED_ORIGINS).toBeUndefined();
      if (spec.api === 'http') expect(resource('HttpApi').Properties.CorsConfiguration).toBeUndefined();
      if (spec.api === 'rest') expect(resource('RestApi').Properties.Cors).toBeUndefined();
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The parameters' patterns, against generated input (CloudFormation checks AllowedPattern
// against the whole value, as these anchored patterns do)

describe('parameter patterns', () => {
  const pattern = (name: string, spec: ProjectSpec) => new RegExp(templateOf(spec).Parameters[name].AllowedPattern);
  const any = SPECS[0]!;
  const httpJwt = SPECS.find((s) => s.api === 'http' && s.auth === 'jwt')!;
  const restJwt = SPECS.find((s) => s.api === 'rest' && s.auth === 'jwt')!;
  const anOrigin = fc
    .tuple(fc.constantFrom('http', 'https'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }))
    .map(([scheme, host, port]) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}`);

  it('AlarmEmail takes an email address or nothing', () => {
    const email = pattern('AlarmEmail', any);
    expect(email.test('')).toBe(true);
    fc.assert(fc.property(fc.emailAddress(), (address) => email.test(address)));
    // Whitespace (a pasted line break), a missing @ or a second one: never an address.
    fc.assert(
      fc.property(fc.emailAddress(), fc.constantFrom(' ', '\n', '\t'), fc.nat(), (address, space, at) => {
        const i = at % (address.length + 1);
        return !email.test(address.slice(0, i) + space + address.slice(i));
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }).filter((s) => !s.includes('@')),
        (text) => !email.test(text),
      ),
    );
    fc.assert(fc.property(fc.emailAddress(), (address) => !email.test(`${address}@x.io`)));
  });

  it('CorsAllowedOrigins takes nothing, *, or comma-separated origins without paths', () => {
    const origins = pattern('CorsAllowedOrigins', httpJwt);
    const origin = fc
      .tuple(fc.constantFrom('http', 'https'), fc.domain(), fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }))
      .map(([scheme, host, port]) => `${scheme}://${host}${port === undefined ? '' : `:${port}`}`);
    for (const ok of ['', '*']) expect(origins.test(ok), ok).toBe(true);
    fc.assert(fc.property(fc.array(origin, { minLength: 1, maxLength: 5 }), (list) => origins.test(list.join(','))));
    // A path, a trailing slash or comma, a space after a comma, or a * among origins: refused.
    fc.assert(
      fc.property(
        fc.array(origin, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('/', '/app', ',', ', https://b.example.com', ',*', '?x=1'),
        (list, tail) => !origins.test(list.join(',') + tail),
      ),
    );
    fc.assert(fc.property(fc.domain(), (host) => !origins.test(host)));
  });

  it('CorsAllowedOrigins of a REST API takes nothing, *, or one origin: its preflight answers with a fixed header', () => {
    const origins = pattern('CorsAllowedOrigins', restJwt);
    for (const ok of ['', '*']) expect(origins.test(ok), ok).toBe(true);
    fc.assert(fc.property(anOrigin, (origin) => origins.test(origin)));
    // Two origins would make one header naming both, which browsers refuse; and no paths, spaces or quotes.
    fc.assert(fc.property(anOrigin, anOrigin, (a, b) => !origins.test(`${a},${b}`)));
    fc.assert(
      fc.property(anOrigin, fc.constantFrom('/', '/app', ',', ' ', "'", ',*', '?x=1'), (origin, tail) => !origins.test(origin + tail)),
    );
    fc.assert(fc.property(fc.domain(), (host) => !origins.test(host)));
  });
});

// ---------------------------------------------------------------------------------------------
// After the SAM transform, and checkov: one Python process each over every combination

const workDir = mkdtempSync(join(tmpdir(), 'cfl-template-ops-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let files: Map<ProjectSpec, string> | undefined;
/** Every combination's template.yaml, written once into workDir. */
function templateFiles(): Map<ProjectSpec, string> {
  if (!files) {
    files = new Map([...SPECS, ...CHURN_SPECS].map((spec) => [spec, join(workDir, `${fileStem(spec)}.yaml`)]));
    for (const [spec, file] of files) writeFileSync(file, render(spec).get('template.yaml')!);
  }
  return files;
}

/** A developer without the Python tools may skip; CI must never pass without them. */
function toolOrSkip(ctx: { skip: (note?: string) => void }, what: string, found: { bin: string } | { problem: string }): string {
  if ('bin' in found) return found.bin;
  if (IN_CI) throw new Error(`${what} is required in CI: ${found.problem}`);
  ctx.skip(`${what} unavailable: ${found.problem}`);
  throw new Error('unreachable: ctx.skip throws');
}

async function transform(bin: string, specs: ProjectSpec[], parameters: Record<string, string> = {}): Promise<Map<ProjectSpec, Json>> {
  const paths = specs.map((spec) => templateFiles().get(spec)!);
  const run = await execa(
    join(bin, 'python'),
    [join(ROOT, 'test/support/sam-transform.py'), `--parameters=${JSON.stringify(parameters)}`, ...paths],
    {
      reject: false,
      stdin: 'ignore',
    },
  );
  expect(run.stderr).toBe('');
  expect(run.exitCode).toBe(0);
  const byFile = JSON.parse(run.stdout) as Record<string, Json>;
  return new Map(specs.map((spec, i) => [spec, byFile[paths[i]!]]));
}

describe('after the SAM transform', () => {
  it('configures S3 invocations with the failure destination and the role SAM did not make', { timeout: 120_000 }, async (ctx) => {
    const bin = toolOrSkip(ctx, 'the SAM translator', pythonTools());
    const specs = SPECS.filter((s) => s.trigger === 's3');
    for (const [spec, cfn] of await transform(bin, specs)) {
      expect(cfn.error, label(spec)).toBeUndefined();
      const configs = Object.values(cfn.Resources as Record<string, Json>).filter((r) => r.Type === 'AWS::Lambda::EventInvokeConfig');
      expect(configs, label(spec)).toHaveLength(1);
      expect(configs[0].Properties).toMatchObject({
        FunctionName: ref('AppFunction'),
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: getAtt('InputFailureQueue', 'Arn') } },
      });
      expect(cfn.Resources.AppFunction.Properties.Role).toEqual(getAtt('AppFunctionRole', 'Arn'));
      expect(cfn.Resources.AppFunctionRole.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('puts the CORS origins into the HTTP API only when the parameter is set', { timeout: 120_000 }, async (ctx) => {
    const bin = toolOrSkip(ctx, 'the SAM translator', pythonTools());
    const specs = SPECS.filter((s) => s.api === 'http' && s.auth === 'jwt');
    const cors = (cfn: Json) => cfn.Resources.HttpApi.Properties.Body['x-amazon-apigateway-cors'];
    const origins = 'https://app.example.com,http://localhost:3000';
    for (const [spec, cfn] of await transform(bin, specs, { CorsAllowedOrigins: origins })) {
      expect(cfn.error, label(spec)).toBeUndefined();
      const [condition, whenSet, otherwise] = cors(cfn)['Fn::If'];
      expect([condition, otherwise]).toEqual(['HasCorsAllowedOrigins', NO_VALUE]);
      expect(whenSet).toEqual({
        allowOrigins: { 'Fn::Split': [',', origins] },
        allowMethods: ['POST'],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: 600,
      });
    }
    // With the default, the same condition is false when CloudFormation evaluates it.
    // (REST: see the next test.)
    for (const [, cfn] of await transform(bin, specs)) {
      expect(cfn.Conditions.HasCorsAllowedOrigins).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('CorsAllowedOrigins'), ''] }] });
      expect(cors(cfn)['Fn::If'][1].allowOrigins).toEqual({ 'Fn::Split': [',', ''] });
    }
  });
});

describe('after the SAM transform, a REST API with JWT', () => {
  it('answers the preflight with a mock, without the authorizer, with headers only when CorsAllowedOrigins is set', {
    timeout: 120_000,
  }, async (ctx) => {
    const bin = toolOrSkip(ctx, 'the SAM translator', pythonTools());
    const specs = SPECS.filter((s) => s.api === 'rest' && s.auth === 'jwt');
    const origin = 'https://app.example.com';
    for (const [spec, cfn] of await transform(bin, specs, { CorsAllowedOrigins: origin })) {
      expect(cfn.error, label(spec)).toBeUndefined();
      const items = cfn.Resources.RestApi.Properties.Body.paths['/items'];
      expect(items.post.security, label(spec)).toEqual([{ CognitoAuthorizer: [] }]);
      expect(items.options.security, label(spec)).toBeUndefined();
      const integration = items.options['x-amazon-apigateway-integration'];
      expect(integration.type).toBe('mock');
      const headers = integration.responses.default.responseParameters;
      const whenSet = (value: Json) => ({ 'Fn::If': ['HasCorsAllowedOrigins', value, NO_VALUE] });
      expect(headers).toEqual({
        'method.response.header.Access-Control-Allow-Origin': whenSet({ 'Fn::Sub': "'${CorsAllowedOrigins}'" }),
        'method.response.header.Access-Control-Allow-Methods': whenSet("'POST,OPTIONS'"),
        'method.response.header.Access-Control-Allow-Headers': whenSet("'authorization,content-type'"),
        'method.response.header.Access-Control-Max-Age': whenSet("'600'"),
      });
      expect(cfn.Resources.AppFunction.Properties.Environment.Variables.CORS_ALLOWED_ORIGINS).toEqual(ref('CorsAllowedOrigins'));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// checkov

/** checkov's own venv (scripts/python-tools.sh checkov), or the binary CHECKOV names. */
function checkovTool(): { bin: string } | { problem: string } {
  if (process.env.CHECKOV) return { bin: process.env.CHECKOV };
  const run = spawnSyncBash(['scripts/python-tools.sh', 'checkov']);
  if (run.problem) return { problem: run.problem };
  return { bin: join(run.stdout.trim().split('\n').at(-1)!, 'checkov') };
}

function spawnSyncBash(args: string[]): { stdout: string; problem?: string } {
  const run = spawnSync('bash', args, { cwd: ROOT, encoding: 'utf8' });
  if (run.error) return { stdout: '', problem: run.error.message };
  if (run.status !== 0) return { stdout: '', problem: `${args.join(' ')} exited ${run.status}: ${run.stderr.trim()}` };
  return { stdout: run.stdout };
}

/** The checks the generated README lists as left on purpose, each with its reason. */
function documentedSkips(spec: ProjectSpec): Map<string, string> {
  const readme = render(spec).get('README.md')!;
  const section = readme.split('### What checkov reports, and why')[1]?.split('\n## ')[0] ?? '';
  const rows = [...section.matchAll(/^\| `(CKV2?_[A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \|$/gm)];
  return new Map(rows.map((row) => [row[1]!, row[3]!.trim()]));
}

describe('checkov', () => {
  it('fails no check on any combination, nor the churn example, but those its README explains', { timeout: 600_000 }, async (ctx) => {
    const checkov = toolOrSkip(ctx, 'checkov', checkovTool());
    const byFile = new Map([...templateFiles()].map(([spec, file]) => [`/${file.split('/').at(-1)}`, spec]));
    // --skip-download: no call to Prisma Cloud for guidelines (there is no network here, and
    // none is needed to run the checks).
    const run = await execa(
      checkov,
      ['-d', workDir, '--framework', 'cloudformation', '--skip-download', '--quiet', '--compact', '-o', 'json'],
      {
        reject: false,
        stdin: 'ignore',
        env: { BC_SKIP_MAPPING: 'TRUE' },
      },
    );
    expect(run.stderr).toBe('');
    // 1: some check failed; 0 would mean the documented ones no longer fire.
    expect(run.exitCode).toBe(1);
    const reports = [JSON.parse(run.stdout)].flat() as Json[];
    expect(reports.map((r) => r.check_type)).toEqual(['cloudformation']);
    expect(reports[0].summary.parsing_errors).toBe(0);
    expect(reports[0].summary.resource_count).toBeGreaterThan(SPECS.length * 5);

    const failed = new Map<ProjectSpec, Set<string>>([...SPECS, ...CHURN_SPECS].map((spec) => [spec, new Set()]));
    for (const check of reports[0].results.failed_checks as Json[]) {
      const spec = byFile.get(check.file_path);
      expect(spec, check.file_path).toBeDefined();
      failed.get(spec!)!.add(check.check_id);
    }
    for (const spec of [...SPECS, ...CHURN_SPECS]) {
      const skips = documentedSkips(spec);
      for (const reason of skips.values()) expect(reason.length, label(spec)).toBeGreaterThan(30);
      // Exactly: an undocumented finding fails, and so does a README entry that no longer applies.
      expect([...failed.get(spec)!].sort(), label(spec)).toEqual([...skips.keys()].sort());
    }
  });
});
