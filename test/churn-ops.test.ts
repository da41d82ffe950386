/**
 * The churn example's template.yaml when things go wrong, and who may do what: each function's
 * own role, scoped like the project's AppFunctionRole (no AWS managed policy granting on "*"),
 * and alarms for every function and the dead-letter queue, emailed only with AlarmEmail.
 * checkov over it runs in template-ops.test.ts; cfn-lint in churn-example.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { renderProject } from '../src/scaffold/render.js';
import { resolveSpec, type ProjectSpec } from '../src/scaffold/spec.js';
import { ROOT } from './support/cli.js';
import { requirePythonTools } from './support/tools.js';

// The parsed template is untyped data; the assertions below are its schema.
type Json = any;

const SPECS: ProjectSpec[] = ['true', 'false'].map((twins) => resolveSpec({ name: 'churn-demo', example: 'churn', twins }));
const label = (spec: ProjectSpec) => (spec.twins ? 'with twins' : 'no twins');
const functionIds = (spec: ProjectSpec) => (spec.twins ? ['AppFunction', 'NodeTwinFunction', 'PythonTwinFunction'] : ['AppFunction']);
const templateOf = (spec: ProjectSpec): Json => parseCfnYaml(renderProject(spec).get('template.yaml')!);

/** The Kinesis → SQS project: the churn example's functions need exactly what its function does. */
const PROJECT = resolveSpec({ name: 'churn-demo', trigger: 'kinesis', sink: 'sqs', arch: 'arm64' });

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const ALARM_ACTIONS = { 'Fn::If': ['HasAlarmEmail', [ref('AlarmTopic')], ref('AWS::NoValue')] };

const statementsOf = (role: Json): Json[] => role.Properties.Policies.flatMap((policy: Json) => policy.PolicyDocument.Statement);

describe.each(SPECS.map((spec) => [label(spec), spec] as const))('the churn example template (%s)', (_, spec) => {
  const template = templateOf(spec);
  const resources = template.Resources as Record<string, Json>;

  it("gives each function a role of its own, granting what the project's Kinesis → SQS function gets, on its own log group", () => {
    const projectRole = templateOf(PROJECT).Resources.AppFunctionRole;
    for (const id of functionIds(spec)) {
      const fn = resources[id].Properties;
      expect(fn.Role, id).toEqual(getAtt(`${id}Role`, 'Arn'));
      // SAM's Policies would make SAM generate the role, with its AWS managed policies.
      expect(fn.Policies, id).toBeUndefined();
      const role = resources[`${id}Role`];
      expect(role.Type, id).toBe('AWS::IAM::Role');
      expect(role.Properties.ManagedPolicyArns, id).toBeUndefined();
      expect(role.Properties.AssumeRolePolicyDocument, id).toEqual(projectRole.Properties.AssumeRolePolicyDocument);
      const expected = statementsOf(projectRole).map((s) =>
        s.Sid === 'WriteLogs' ? { ...s, Resource: getAtt(`${id}LogGroup`, 'Arn') } : s,
      );
      expect(statementsOf(role), id).toEqual(expected);
      expect(expected.map((s) => s.Sid)).toEqual(
        expect.arrayContaining(['WriteLogs', 'ReadInputStream', 'SendGivenUpRecords', 'SendResults']),
      );
    }
    const roles = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::IAM::Role');
    expect(roles.sort()).toEqual(
      functionIds(spec)
        .map((id) => `${id}Role`)
        .sort(),
    );
  });

  it('alarms on errors, throttles and lag of every function and on the dead-letter queue, acting only with AlarmEmail', () => {
    const alarms = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm');
    const lambdaAlarms = functionIds(spec).flatMap((id) =>
      [
        ['Errors', 'Sum'],
        ['Throttles', 'Sum'],
        ['IteratorAge', 'Maximum'],
      ].map(([metric, statistic]) => [
        `${id}${metric}Alarm`,
        { Namespace: 'AWS/Lambda', MetricName: metric, Statistic: statistic, Dimensions: [{ Name: 'FunctionName', Value: ref(id) }] },
      ]),
    );
    const queueAlarm = {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: getAtt('InputDeadLetterQueue', 'QueueName') }],
      Threshold: 0,
    };
    const expected = Object.fromEntries([...lambdaAlarms, ['InputDeadLetterQueueDepthAlarm', queueAlarm]]) as Record<string, Json>;
    // Any other given-up queue the Kinesis trigger brings is watched by its own depth alarm too.
    const otherQueues = Object.keys(resources).filter(
      (id) => resources[id].Type === 'AWS::SQS::Queue' && !['ResultsQueue', 'InputDeadLetterQueue'].includes(id),
    );
    for (const queue of otherQueues)
      expected[`${queue}DepthAlarm`] = { Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }] };
    expect(alarms.map(([id]) => id).sort()).toEqual(Object.keys(expected).sort());

    for (const [id, alarm] of alarms) {
      expect(alarm.Condition, id).toBeUndefined();
      expect(alarm.Properties, id).toMatchObject({
        ...expected[id],
        ComparisonOperator: 'GreaterThanThreshold',
        Period: 60,
        EvaluationPeriods: 1,
        AlarmActions: ALARM_ACTIONS,
      });
      expect(alarm.Properties.AlarmDescription, id).toEqual({ 'Fn::Sub': expect.stringMatching(/^\$\{AWS::StackName\}: \w/) });
      if (id.endsWith('ErrorsAlarm') || id.endsWith('ThrottlesAlarm')) expect(alarm.Properties.Threshold, id).toBe(0);
    }
    // Well before the stream's mappings give records up for age.
    for (const id of functionIds(spec)) {
      const maxAge = resources[id].Properties.Events.StreamRecords.Properties.MaximumRecordAgeInSeconds * 1000;
      const threshold = resources[`${id}IteratorAgeAlarm`].Properties.Threshold;
      expect(threshold, id).toBeGreaterThanOrEqual(60_000);
      expect(threshold, id).toBeLessThanOrEqual(maxAge / 2);
    }
  });

  it('emails through a KMS-encrypted topic only when AlarmEmail is set', () => {
    expect(template.Parameters.AlarmEmail).toMatchObject({ Type: 'String', Default: '' });
    expect(template.Parameters.AlarmEmail.AllowedPattern).toBe(templateOf(PROJECT).Parameters.AlarmEmail.AllowedPattern);
    expect(template.Conditions.HasAlarmEmail).toEqual({ 'Fn::Not': [{ 'Fn::Equals': [ref('AlarmEmail'), ''] }] });
    for (const id of ['AlarmTopicKey', 'AlarmTopic', 'AlarmEmailSubscription']) expect(resources[id].Condition, id).toBe('HasAlarmEmail');
    expect(resources.AlarmTopic.Properties).toEqual({ KmsMasterKeyId: ref('AlarmTopicKey') });
    expect(resources.AlarmTopicKey.Properties.EnableKeyRotation).toBe(true);
    expect(resources.AlarmEmailSubscription.Properties).toEqual({
      TopicArn: ref('AlarmTopic'),
      Protocol: 'email',
      Endpoint: ref('AlarmEmail'),
    });
  });

  it('documents the alarms, the roles and AlarmEmail in its README', () => {
    const readme = renderProject(spec).get('README.md')!;
    const section = readme.split('## Alarms and permissions')[1]?.split('\n## ')[0] ?? '';
    for (const words of ['Errors', 'Throttles', 'IteratorAge', 'dead-letter queue', 'AlarmEmail=', 'AWSLambdaKinesisExecutionRole']) {
      expect(section, words).toContain(words);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// After the SAM transform: what CloudFormation is given

const workDir = mkdtempSync(join(tmpdir(), 'cfl-churn-ops-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

/** Every grant's resource, flattened: a string is a literal ARN or "*", an object an intrinsic. */
function grantedResources(statement: Json): Json[] {
  return [statement.Resource].flat();
}

describe('the churn example after the SAM transform', () => {
  it('has one role per function, ours, without AWS managed policies or a grant on "*"', { timeout: 300_000 }, async (ctx) => {
    const bin = requirePythonTools(ctx);
    const paths = SPECS.map((spec, i) => {
      const path = join(workDir, `churn-${i}.yaml`);
      writeFileSync(path, renderProject(spec).get('template.yaml')!);
      return path;
    });
    const run = await execa(join(bin, 'python'), [join(ROOT, 'test/support/sam-transform.py'), ...paths], {
      reject: false,
      stdin: 'ignore',
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const expanded = JSON.parse(run.stdout) as Record<string, Json>;
    SPECS.forEach((spec, i) => {
      const cfn = expanded[paths[i]!]!;
      expect(cfn.error, label(spec)).toBeUndefined();
      const resources = cfn.Resources as Record<string, Json>;
      const roles = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::IAM::Role');
      expect(roles.sort(), label(spec)).toEqual(
        functionIds(spec)
          .map((id) => `${id}Role`)
          .sort(),
      );
      for (const id of functionIds(spec)) {
        expect(resources[id].Type).toBe('AWS::Lambda::Function');
        expect(resources[id].Properties.Role, id).toEqual(getAtt(`${id}Role`, 'Arn'));
      }
      for (const id of roles) {
        expect(resources[id].Properties.ManagedPolicyArns, id).toBeUndefined();
        for (const statement of statementsOf(resources[id])) {
          expect(statement.Effect, id).toBe('Allow');
          for (const action of [statement.Action].flat()) expect(action, `${id} ${statement.Sid}`).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
          for (const resource of grantedResources(statement))
            expect(resource, `${id} ${statement.Sid}`).toEqual(getAtt(expect.any(String), 'Arn'));
        }
      }
      // The event source mappings' on-failure destination stays the dead-letter queue the roles may send to.
      for (const id of functionIds(spec)) {
        const mapping = resources[`${id}StreamRecords`].Properties;
        expect(mapping.DestinationConfig.OnFailure.Destination, id).toEqual(getAtt('InputDeadLetterQueue', 'Arn'));
      }
    });
  });
});
