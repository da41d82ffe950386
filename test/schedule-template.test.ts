/**
 * What the schedule trigger puts in template.yaml, beyond what template.test.ts checks for every
 * trigger: the ScheduleV2 event (expression and time zone as parameters, the flexible window
 * off by default, a bounded retry policy, the dead-letter queue, an Input the handler reads),
 * Lambda's asynchronous retries to the same queue, and what the SAM transform makes of it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { SINKS } from '../src/scaffold/catalog.js';
import { renderProject } from '../src/scaffold/render.js';
import { scheduleProblem } from '../src/scaffold/schedule-expression.js';
import { resolveSpec } from '../src/scaffold/spec.js';
import { requirePythonTools } from './support/tools.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// The parsed template is untyped data; the assertions below are its schema.
type Json = any;

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

/** The context attributes Scheduler fills in, by the handler's field names. */
const CONTEXT = {
  scheduleArn: '<aws.scheduler.schedule-arn>',
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  attemptNumber: '<aws.scheduler.attempt-number>',
};

const render = (sink: string, schedule?: string) =>
  renderProject(resolveSpec({ name: 'nightly-job', trigger: 'schedule', sink, arch: 'arm64', options: { schedule } }));

describe.each(SINKS.map((s) => s.id))('the schedule trigger → %s', (sink) => {
  const files = render(sink);
  const template: Json = parseCfnYaml(files.get('template.yaml')!);
  const fn = template.Resources.AppFunction.Properties;
  const event = fn.Events.ScheduledRun;

  it('runs on the ScheduleExpression and ScheduleTimezone parameters, named after the stack', () => {
    expect(event.Type).toBe('ScheduleV2');
    expect(event.Properties).toMatchObject({
      Name: ref('AWS::StackName'),
      ScheduleExpression: ref('ScheduleExpression'),
      ScheduleExpressionTimezone: ref('ScheduleTimezone'),
    });
    expect(template.Parameters.ScheduleExpression).toMatchObject({ Type: 'String', Default: 'rate(5 minutes)' });
    expect(template.Parameters.ScheduleTimezone).toMatchObject({ Type: 'String', Default: 'UTC' });
  });

  it('keeps the flexible window off unless ScheduleFlexibleWindowMinutes asks for one', () => {
    expect(event.Properties.FlexibleTimeWindow).toEqual({
      'Fn::If': [
        'HasScheduleFlexibleWindow',
        { Mode: 'FLEXIBLE', MaximumWindowInMinutes: ref('ScheduleFlexibleWindowMinutes') },
        { Mode: 'OFF' },
      ],
    });
    expect(template.Conditions.HasScheduleFlexibleWindow).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [ref('ScheduleFlexibleWindowMinutes'), '0'] }],
    });
    // Scheduler's own bounds for MaximumWindowInMinutes are 1-1440.
    expect(template.Parameters.ScheduleFlexibleWindowMinutes).toMatchObject({ Type: 'Number', Default: 0, MinValue: 0, MaxValue: 1440 });
  });

  it('retries a delivery for at most an hour, then sends it to the dead-letter queue', () => {
    const retry = event.Properties.RetryPolicy;
    expect(retry.MaximumRetryAttempts).toBeGreaterThanOrEqual(1);
    expect(retry.MaximumRetryAttempts).toBeLessThanOrEqual(185);
    expect(retry.MaximumEventAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(retry.MaximumEventAgeInSeconds).toBeLessThanOrEqual(3600);
    expect(event.Properties.DeadLetterConfig).toEqual({ Arn: getAtt('ScheduleDeadLetterQueue', 'Arn') });
  });

  it("sends Lambda's failed runs, after bounded retries, to the same queue", () => {
    const config = fn.EventInvokeConfig;
    expect(config.DestinationConfig).toEqual({ OnFailure: { Type: 'SQS', Destination: getAtt('ScheduleDeadLetterQueue', 'Arn') } });
    expect(config.MaximumRetryAttempts).toBeGreaterThanOrEqual(0);
    expect(config.MaximumRetryAttempts).toBeLessThanOrEqual(2);
    expect(config.MaximumEventAgeInSeconds).toBeLessThanOrEqual(3600);
  });

  it("passes the run's context as JSON with the fields of the handler and of events/schedule.json", () => {
    expect(JSON.parse(event.Properties.Input)).toEqual(CONTEXT);
    const sample = JSON.parse(files.get('events/schedule.json')!);
    expect(Object.keys(sample).sort()).toEqual(Object.keys(CONTEXT).sort());
    const handler = files.get('src/handler.rs')!;
    expect(handler).toContain('#[serde(rename_all = "camelCase")]\npub struct ScheduledRun');
    for (const field of ['schedule_arn', 'scheduled_time', 'execution_id', 'attempt_number']) expect(handler).toContain(`pub ${field}:`);
  });

  it('keeps the dead-letter queue 14 days, encrypted, TLS-only, with an alarm on its first message', () => {
    const queue = template.Resources.ScheduleDeadLetterQueue;
    expect(queue.Properties).toEqual({ MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true });
    expect(template.Resources.ScheduleDeadLetterQueuePolicy.Properties.Queues).toEqual([ref('ScheduleDeadLetterQueue')]);
    const alarm = template.Resources.ScheduleDeadLetterQueueDepthAlarm.Properties;
    expect(alarm).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0 });
    expect(alarm.Dimensions).toEqual([{ Name: 'QueueName', Value: getAtt('ScheduleDeadLetterQueue', 'QueueName') }]);
  });

  it("builds a function with no aws_lambda_events: its event is the handler's own type", () => {
    expect(files.get('Cargo.toml')).not.toContain('aws_lambda_events');
    expect(files.get('src/main.rs')).toContain('use nightly_job::handler::ScheduledRun;');
    expect(files.get('src/main.rs')).toContain('LambdaEvent<ScheduledRun>');
  });
});

describe('the chosen expression', () => {
  it("becomes the parameter's default and the README's, unchanged, for any valid expression", () => {
    const valid = fc.constantFrom(
      'rate(1 minute)',
      'rate(90 days)',
      'cron(0/15 * * * ? *)',
      'cron(0 18 ? * 3#2 *)',
      'cron(15 10 ? JAN,JUL 6L 2027-2030)',
      'cron(0 0 LW * ? *)',
      'at(2030-01-31T09:00:00)',
    );
    fc.assert(
      fc.property(valid, (schedule) => {
        expect(scheduleProblem(schedule)).toBeUndefined();
        const files = render('none', schedule);
        const parameter = (parseCfnYaml(files.get('template.yaml')!) as Json).Parameters.ScheduleExpression;
        expect(parameter.Default).toBe(schedule);
        // The parameter's own pattern takes it too, so a deploy with the default passes.
        expect(new RegExp(parameter.AllowedPattern).test(schedule)).toBe(true);
        expect(files.get('README.md')).toContain(`\`${schedule}\``);
      }),
      { numRuns: 20 },
    );
  });
});

describe('after the SAM transform', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'cfl-schedule-'));
  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  it('creates the schedule, targeting the function with a role of its own', { timeout: 120_000 }, async (ctx) => {
    const bin = requirePythonTools(ctx);
    const file = join(workDir, 'template.yaml');
    writeFileSync(file, render('dynamodb', 'cron(0 9 ? * MON-FRI *)').get('template.yaml')!);
    const run = await execa(join(bin, 'python'), [join(ROOT, 'test/support/sam-transform.py'), file], { reject: false, stdin: 'ignore' });
    expect(run.stderr).toBe('');
    const template: Json = JSON.parse(run.stdout)[file];
    expect(template.error).toBeUndefined();
    const schedules = Object.entries(template.Resources as Record<string, Json>).filter(([, r]) => r.Type === 'AWS::Scheduler::Schedule');
    expect(schedules.map(([id]) => id)).toEqual(['AppFunctionScheduledRun']);
    const schedule = schedules[0]![1].Properties;
    expect(schedule.ScheduleExpression).toEqual(ref('ScheduleExpression'));
    expect(schedule.FlexibleTimeWindow['Fn::If'][2]).toEqual({ Mode: 'OFF' });
    expect(schedule.Target).toMatchObject({
      Arn: getAtt('AppFunction', 'Arn'),
      RoleArn: getAtt('AppFunctionScheduledRunRole', 'Arn'),
      DeadLetterConfig: { Arn: getAtt('ScheduleDeadLetterQueue', 'Arn') },
    });
    expect(JSON.parse(schedule.Target.Input)).toEqual(CONTEXT);
    const invokeConfig = template.Resources.AppFunctionEventInvokeConfig.Properties;
    expect(invokeConfig.DestinationConfig.OnFailure.Destination).toEqual(getAtt('ScheduleDeadLetterQueue', 'Arn'));
  });
});
