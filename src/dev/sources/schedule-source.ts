/**
 * EventBridge Scheduler for `lambda-kit dev`: runs the function at each time of its schedule
 * (schedule-times.ts), and at once when asked (Enter in dev's terminal, or --fire-now), with the
 * schedule's Input, Scheduler's `<aws.scheduler.…>` keywords filled in for that run.
 *
 * The clock is injectable: tests run hours of a schedule in milliseconds.
 */
import { randomUUID } from 'node:crypto';
import { visible } from '../../text/terminal-text.js';
import { nextFireTime, parseSchedule, checkTimeZone } from './schedule-times.js';
import { pause, type InvokeResult } from './source-runtime.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts; never rejects. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: pause };

export interface ScheduleOptions {
  eventName: string;
  expression: string;
  timeZone: string;
  /** The template's Input; `{}` is sent when there is none. */
  input: string | undefined;
  scheduleArn: string;
  /** False (State: DISABLED): runs only when asked. */
  enabled: boolean;
  /** Runs the function on one payload; the schedule does not wait for it (Scheduler invokes asynchronously). */
  invoke: (payload: Buffer) => Promise<InvokeResult>;
  signal: AbortSignal;
  log: (line: string) => void;
  clock?: Clock;
}

export interface RunningSchedule {
  /** Runs the function now, with the current time as its scheduled time. */
  fireNow(): void;
  /** Resolves once the signal aborted and every run started has ended. */
  done: Promise<void>;
}

/** Scheduler's scheduled time: whole seconds, UTC, `2026-05-01T09:30:00Z`. */
export function scheduledTimeText(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** The Input with Scheduler's context keywords replaced, for one attempt of one run. */
export function payloadFor(input: string | undefined, run: { scheduleArn: string; scheduledTime: number; executionId: string }): string {
  if (input === undefined) return '{}';
  return input
    .replaceAll('<aws.scheduler.schedule-arn>', run.scheduleArn)
    .replaceAll('<aws.scheduler.scheduled-time>', scheduledTimeText(run.scheduledTime))
    .replaceAll('<aws.scheduler.execution-id>', run.executionId)
    .replaceAll('<aws.scheduler.attempt-number>', '1');
}

/** The longest single sleep: timers cap at 24.8 days, and a sleep this short notices the machine's clock moving. */
const MAX_SLEEP_MS = 60_000;

/** Checks the expression and time zone (a one-line UserError when Scheduler would refuse them), then runs until the signal aborts. */
export function runSchedule(options: ScheduleOptions): RunningSchedule {
  const schedule = parseSchedule(options.expression);
  checkTimeZone(options.timeZone);
  const clock = options.clock ?? REAL_CLOCK;
  const { signal, log } = options;
  const runs = new Set<Promise<void>>();
  let wake = new AbortController();
  let asked = 0;

  const fire = (scheduledTime: number, why: string) => {
    const executionId = randomUUID();
    const payload = Buffer.from(payloadFor(options.input, { scheduleArn: options.scheduleArn, scheduledTime, executionId }));
    const when = scheduledTimeText(scheduledTime);
    log(`schedule: ${options.eventName}: run for ${when} (${why})`);
    const run = options.invoke(payload).then((result) => {
      if (result.ok) log(`schedule: ${options.eventName}: run for ${when} done`);
      else
        log(
          `schedule: ${options.eventName}: run for ${when} failed: ${visible(result.error, 200)} (Lambda would retry it as its EventInvokeConfig says; dev does not)`,
        );
    });
    runs.add(run);
    void run.finally(() => runs.delete(run));
  };

  const loop = async () => {
    const start = clock.now();
    let after = start;
    // null: nothing said yet (undefined is "no run left").
    let announced: number | undefined | null = null;
    while (!signal.aborted) {
      const next = options.enabled ? nextFireTime(schedule, after, options.timeZone, start) : undefined;
      if (next !== announced) {
        announced = next;
        if (next === undefined)
          log(`schedule: ${options.eventName}: no run left on ${options.expression}${options.enabled ? '' : ' (State: DISABLED)'}`);
        else log(`schedule: ${options.eventName}: next run at ${scheduledTimeText(next)} (${options.expression}, ${options.timeZone})`);
      }
      const stop = () => wake.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        while (!signal.aborted && !wake.signal.aborted && (next === undefined || clock.now() < next)) {
          await clock.sleep(next === undefined ? MAX_SLEEP_MS : Math.min(next - clock.now(), MAX_SLEEP_MS), wake.signal);
        }
      } finally {
        signal.removeEventListener('abort', stop);
      }
      if (signal.aborted) break;
      if (wake.signal.aborted) {
        wake = new AbortController();
        // Each request is one run, even when two come during one sleep.
        for (; asked > 0; asked--) fire(clock.now(), 'asked for now');
        continue;
      }
      fire(next!, 'on schedule');
      after = next!;
    }
    await Promise.all(runs);
  };

  return {
    fireNow() {
      if (signal.aborted) return;
      asked++;
      wake.abort();
    },
    done: loop(),
  };
}
