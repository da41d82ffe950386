/**
 * lambda-kit dev as EventBridge Scheduler: the runs of a schedule on an injected clock (hours
 * of it in milliseconds), the Input with Scheduler's keywords filled in, a run asked for now,
 * the template's ScheduleV2 settings; and end to end, the real dev in a generated schedule
 * project with a stand-in cargo, run at once by --fire-now and again by Enter on its stdin.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Clock, payloadFor, runSchedule } from '../src/dev/sources/schedule-source.js';
import { schedulesOf } from '../src/dev/sources/schedule-settings.js';
import { UserError } from '../src/errors.js';
import { parseCfnYaml } from '../src/project/cfn-yaml.js';
import { CREATE_BIN, KIT_BIN, tempDir, userEnv } from './support/cli.js';
import { shimDir } from './support/tools.js';
import { standInCargo } from './support/stand-in-cargo.js';

/** A clock that moves only when the test says: sleepers wake when it passes their time, or on abort. */
class ManualClock implements Clock {
  private sleepers: { until: number; wake: () => void }[] = [];
  constructor(public time: number) {}
  now = () => this.time;
  sleep = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const sleeper = { until: this.time + ms, wake: resolve };
      this.sleepers.push(sleeper);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  /** Moves to `time` step by step, letting the schedule run in between. */
  async advanceTo(time: number): Promise<void> {
    for (let guard = 0; guard < 10_000; guard++) {
      await settle();
      const due = this.sleepers.filter((s) => s.until <= time).sort((a, b) => a.until - b.until)[0];
      if (!due) break;
      this.time = Math.max(this.time, due.until);
      this.sleepers = this.sleepers.filter((s) => s !== due);
      due.wake();
    }
    this.time = time;
    await settle();
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));
const at = (iso: string) => Date.parse(iso);
const INPUT =
  '{"scheduleArn": "<aws.scheduler.schedule-arn>", "scheduledTime": "<aws.scheduler.scheduled-time>", "executionId": "<aws.scheduler.execution-id>", "attemptNumber": "<aws.scheduler.attempt-number>"}';
const ARN = 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/orders';

function start(expression: string, from: string, options: { timeZone?: string; enabled?: boolean; fail?: boolean } = {}) {
  const clock = new ManualClock(at(from));
  const controller = new AbortController();
  const payloads: any[] = [];
  const lines: string[] = [];
  const running = runSchedule({
    eventName: 'ScheduledRun',
    expression,
    timeZone: options.timeZone ?? 'UTC',
    input: INPUT,
    scheduleArn: ARN,
    enabled: options.enabled ?? true,
    invoke: async (payload) => {
      payloads.push(JSON.parse(payload.toString()));
      return options.fail ? { ok: false, error: 'HandlerError: no sink' } : { ok: true, answer: null };
    },
    signal: controller.signal,
    log: (line) => lines.push(line),
    clock,
  });
  return { clock, controller, payloads, lines, running, scheduled: () => payloads.map((p) => p.scheduledTime) };
}

describe('runSchedule on an injected clock', () => {
  it('runs a rate every interval from dev’s start, with the Input filled in for each run', async () => {
    const schedule = start('rate(5 minutes)', '2026-05-01T09:00:00Z');
    await schedule.clock.advanceTo(at('2026-05-01T09:16:00Z'));
    expect(schedule.scheduled()).toEqual(['2026-05-01T09:05:00Z', '2026-05-01T09:10:00Z', '2026-05-01T09:15:00Z']);
    for (const payload of schedule.payloads) {
      expect(payload.scheduleArn).toBe(ARN);
      expect(payload.attemptNumber).toBe('1');
      expect(payload.executionId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(new Set(schedule.payloads.map((p) => p.executionId)).size).toBe(3);
    expect(schedule.lines.slice(0, 2)).toEqual([
      'schedule: ScheduledRun: next run at 2026-05-01T09:05:00Z (rate(5 minutes), UTC)',
      'schedule: ScheduledRun: run for 2026-05-01T09:05:00Z (on schedule)',
    ]);
    // The schedule does not wait for a run, as Scheduler's asynchronous invoke does not.
    expect(schedule.lines).toContain('schedule: ScheduledRun: run for 2026-05-01T09:05:00Z done');
    expect(schedule.lines).toContain('schedule: ScheduledRun: next run at 2026-05-01T09:20:00Z (rate(5 minutes), UTC)');
    schedule.controller.abort();
    await schedule.running.done;
  });

  it('runs a cron at its times in the schedule’s time zone, and at(...) once', async () => {
    const cron = start('cron(0 9 ? * MON-FRI *)', '2026-05-01T08:00:00Z', { timeZone: 'Europe/Paris' });
    await cron.clock.advanceTo(at('2026-05-06T00:00:00Z'));
    // Friday the 1st at 09:00 Paris was 07:00 UTC, already past; then Monday and Tuesday.
    expect(cron.scheduled()).toEqual(['2026-05-04T07:00:00Z', '2026-05-05T07:00:00Z']);
    cron.controller.abort();
    await cron.running.done;

    const once = start('at(2026-05-01T09:30:00)', '2026-05-01T09:00:00Z', { timeZone: 'America/New_York' });
    await once.clock.advanceTo(at('2026-05-03T00:00:00Z'));
    expect(once.scheduled()).toEqual(['2026-05-01T13:30:00Z']);
    expect(once.lines).toContain('schedule: ScheduledRun: no run left on at(2026-05-01T09:30:00)');
    once.controller.abort();
    await once.running.done;
  });

  it('runs at once when asked, with the current time as the scheduled time, and keeps the schedule', async () => {
    const schedule = start('rate(1 hour)', '2026-05-01T09:00:00Z');
    await schedule.clock.advanceTo(at('2026-05-01T09:20:07.500Z'));
    schedule.running.fireNow();
    schedule.running.fireNow();
    await schedule.clock.advanceTo(at('2026-05-01T10:00:00Z'));
    expect(schedule.scheduled()).toEqual(['2026-05-01T09:20:07Z', '2026-05-01T09:20:07Z', '2026-05-01T10:00:00Z']);
    expect(schedule.lines).toContain('schedule: ScheduledRun: run for 2026-05-01T09:20:07Z (asked for now)');
    schedule.controller.abort();
    await schedule.running.done;
  });

  it('runs a DISABLED schedule only when asked, and says a failed run is not retried', async () => {
    const schedule = start('rate(1 minute)', '2026-05-01T09:00:00Z', { enabled: false, fail: true });
    await schedule.clock.advanceTo(at('2026-05-01T10:00:00Z'));
    expect(schedule.payloads).toEqual([]);
    expect(schedule.lines).toEqual(['schedule: ScheduledRun: no run left on rate(1 minute) (State: DISABLED)']);
    schedule.running.fireNow();
    await schedule.clock.advanceTo(at('2026-05-01T10:00:01Z'));
    expect(schedule.scheduled()).toEqual(['2026-05-01T10:00:00Z']);
    expect(schedule.lines.at(-1)).toBe(
      'schedule: ScheduledRun: run for 2026-05-01T10:00:00Z failed: HandlerError: no sink (Lambda would retry it as its EventInvokeConfig says; dev does not)',
    );
    schedule.controller.abort();
    await schedule.running.done;
  });

  it('ends at once on abort, in the middle of a long wait', async () => {
    const schedule = start('rate(7 days)', '2026-05-01T09:00:00Z');
    await schedule.clock.advanceTo(at('2026-05-01T09:00:01Z'));
    schedule.controller.abort();
    await schedule.running.done;
    expect(schedule.payloads).toEqual([]);
  });

  it('refuses an expression or a time zone Scheduler would refuse, before running anything', () => {
    expect(() => start('cron(0 9 * * * *)', '2026-05-01T09:00:00Z')).toThrow(UserError);
    expect(() => start('rate(5 minutes)', '2026-05-01T09:00:00Z', { timeZone: 'Europe/Atlantis' })).toThrow(
      /^schedule: "Europe\/Atlantis" is not a time zone/,
    );
  });
});

describe('payloadFor', () => {
  it('fills each of Scheduler’s keywords, wherever and however often they appear, and sends {} without an Input', () => {
    const run = { scheduleArn: ARN, scheduledTime: at('2026-05-01T09:30:00.999Z'), executionId: 'e-1' };
    expect(JSON.parse(payloadFor(INPUT, run))).toEqual({
      scheduleArn: ARN,
      scheduledTime: '2026-05-01T09:30:00Z',
      executionId: 'e-1',
      attemptNumber: '1',
    });
    expect(payloadFor('<aws.scheduler.scheduled-time>|<aws.scheduler.scheduled-time>', run)).toBe(
      '2026-05-01T09:30:00Z|2026-05-01T09:30:00Z',
    );
    expect(payloadFor(undefined, run)).toBe('{}');
  });

  it('leaves every other text as it is, and no keyword behind, for any Input', () => {
    const keyword = fc.constantFrom(
      '<aws.scheduler.schedule-arn>',
      '<aws.scheduler.scheduled-time>',
      '<aws.scheduler.execution-id>',
      '<aws.scheduler.attempt-number>',
    );
    const values: Record<string, string> = {
      '<aws.scheduler.schedule-arn>': ARN,
      '<aws.scheduler.scheduled-time>': '2026-05-01T09:30:00Z',
      '<aws.scheduler.execution-id>': 'e-1',
      '<aws.scheduler.attempt-number>': '1',
    };
    const run = { scheduleArn: ARN, scheduledTime: at('2026-05-01T09:30:00Z'), executionId: 'e-1' };
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string().filter((text) => !/[<>]/.test(text)),
            keyword,
          ),
          { maxLength: 8 },
        ),
        (parts) => {
          const filled = payloadFor(parts.join(''), run);
          expect(filled).toBe(parts.map((part) => (Object.hasOwn(values, part) ? values[part] : part)).join(''));
        },
      ),
    );
  });
});

describe('schedulesOf', () => {
  const template = (properties: string) =>
    parseCfnYaml(`
Parameters:
  ScheduleExpression:
    Type: String
    Default: rate(5 minutes)
  ScheduleTimezone:
    Type: String
    Default: Europe/Paris
Resources:
  AppFunction:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        ScheduledRun:
          Type: ScheduleV2
          Properties:
${properties
  .trim()
  .split('\n')
  .map((line) => `            ${line}`)
  .join('\n')}
`);

  it('reads the generated schedule: its parameters’ defaults, the stack’s name, the Input, a window that is off unless deployed otherwise', () => {
    const [schedule] = schedulesOf(
      template(`
Name: !Ref AWS::StackName
ScheduleExpression: !Ref ScheduleExpression
ScheduleExpressionTimezone: !Ref ScheduleTimezone
FlexibleTimeWindow: !If [HasWindow, {Mode: FLEXIBLE, MaximumWindowInMinutes: 5}, {Mode: "OFF"}]
Input: '{"scheduledTime": "<aws.scheduler.scheduled-time>"}'
`),
      'AppFunction',
      'orders',
    );
    expect(schedule).toEqual({
      eventName: 'ScheduledRun',
      expression: 'rate(5 minutes)',
      timeZone: 'Europe/Paris',
      input: '{"scheduledTime": "<aws.scheduler.scheduled-time>"}',
      name: 'orders',
      enabled: true,
      flexible: false,
    });
    const flexible = 'ScheduleExpression: rate(1 hour)\nFlexibleTimeWindow: {Mode: FLEXIBLE, MaximumWindowInMinutes: 15}';
    expect(schedulesOf(template(flexible), 'AppFunction', 'orders')[0]!.flexible).toBe(true);
  });

  it('fills in Scheduler’s defaults, and refuses a schedule without an expression', () => {
    expect(schedulesOf(template('ScheduleExpression: cron(0 9 * * ? *)\nState: DISABLED'), 'AppFunction', 'orders')[0]).toMatchObject({
      timeZone: 'UTC',
      input: undefined,
      name: 'AppFunctionScheduledRun',
      enabled: false,
      flexible: false,
    });
    expect(() => schedulesOf(template('State: ENABLED'), 'AppFunction', 'orders')).toThrow(/needs a ScheduleExpression$/);
  });
});

// --- end to end --------------------------------------------------------------------------------

/** Logs each event it gets as one line, and answers null. */
const RUNTIME = `
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime';
(async () => {
  for (;;) {
    const res = await fetch(api + '/invocation/next');
    const id = res.headers.get('lambda-runtime-aws-request-id');
    console.log('received ' + JSON.stringify(await res.json()));
    await fetch(api + '/invocation/' + id + '/response', { method: 'POST', body: 'null' });
  }
})();
`;

let root: string | undefined;
let dev: ChildProcess | undefined;

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill('SIGINT');
    await new Promise((resolve) => dev!.once('exit', resolve));
  }
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('lambda-kit dev in a schedule project', () => {
  it('runs the function at once with --fire-now, again on Enter, with the schedule’s Input filled in, and stops on Ctrl-C', async () => {
    root = await tempDir('cfl-dev-schedule-');
    await execa(process.execPath, [CREATE_BIN, 'dev-schedule', '--trigger', 'schedule', '--sink', 'none', '--yes'], {
      cwd: root,
      stdin: 'ignore',
    });
    const runtime = join(root, 'runtime.js');
    await writeFile(runtime, RUNTIME);
    const bin = shimDir(join(root, 'bin'), { cargo: standInCargo('dev-schedule') });
    const env = userEnv({
      PATH: `${bin}:${process.env.PATH}`,
      CARGO_TARGET_DIR: join(root, 'target'),
      RUNTIME_JS: runtime,
      AWS_REGION: 'eu-west-1',
    });
    const startedAt = Date.now();
    dev = spawn(process.execPath, [KIT_BIN, 'dev', '--port', '0', '--fire-now'], {
      cwd: join(root, 'dev-schedule'),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    dev.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const received = () => [...output.matchAll(/received (\{.*\})/g)].map((m) => JSON.parse(m[1]!));
    const until = async (predicate: () => boolean, what: string) => {
      for (const deadline = Date.now() + 30_000; !predicate(); ) {
        if (Date.now() > deadline || dev!.exitCode !== null) throw new Error(`no ${what}; output:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };

    await until(() => received().length >= 1, 'run from --fire-now');
    dev.stdin!.write('\n');
    await until(() => received().length >= 2, 'run from Enter');
    const [first, second] = received();
    for (const run of [first, second]) {
      expect(run.scheduleArn).toBe('arn:aws:scheduler:eu-west-1:123456789012:schedule/default/dev-schedule');
      expect(run.attemptNumber).toBe('1');
      expect(run.scheduledTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(Date.parse(run.scheduledTime)).toBeGreaterThanOrEqual(Math.floor(startedAt / 1000) * 1000);
      expect(Date.parse(run.scheduledTime)).toBeLessThanOrEqual(Date.now());
    }
    expect(first.executionId).not.toBe(second.executionId);
    // The start lines say what runs when, and how to run it now.
    expect(output).toContain('ScheduledRun: rate(5 minutes) in UTC; press Enter to run it now');
    expect(output).toMatch(/schedule: ScheduledRun: next run at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(rate\(5 minutes\), UTC\)/);

    dev.kill('SIGINT');
    await new Promise((resolve) => dev!.once('exit', resolve));
    expect(dev.exitCode, output).toBe(130);
  }, 90_000);
});
