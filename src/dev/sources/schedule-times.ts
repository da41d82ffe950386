/**
 * When EventBridge Scheduler runs a schedule: rate(<n> <unit>) every interval from a start,
 * at(<local time>) once, and cron(<6 fields>) at each local time its fields match, in the
 * schedule's time zone (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
 * Scheduler's daylight saving rules: a local time that does not exist (the clocks go forward)
 * is skipped, and one that happens twice (they go back) runs once, at its first occurrence.
 *
 * The expression is checked first by src/scaffold/schedule-expression.ts, whose grammar this reads.
 */
import { UserError } from '../../errors.js';
import { scheduleProblem } from '../../scaffold/schedule-expression.js';
import { quoted } from '../../text/terminal-text.js';

export type Schedule = { kind: 'rate'; intervalMs: number } | { kind: 'at'; local: LocalTime } | { kind: 'cron'; cron: Cron; text: string };

export interface LocalTime {
  year: number;
  /** 1-12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

export interface Cron {
  minutes: Set<number>;
  hours: Set<number>;
  months: Set<number>;
  years: Set<number>;
  /** Whether the day `day` of `month` in `year` is one the day-of-month and day-of-week fields pick. */
  dayMatches(year: number, month: number, day: number): boolean;
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const YEARS = { min: 1970, max: 2199 };

/** A checked expression, read; a one-line UserError names what is wrong with one Scheduler would refuse. */
export function parseSchedule(expression: string): Schedule {
  const problem = scheduleProblem(expression);
  if (problem) throw new UserError(`schedule ${quoted(expression, 80)}: ${problem}`);
  const [, kind, body] = /^(rate|cron|at)\((.*)\)$/s.exec(expression) as unknown as [string, 'rate' | 'cron' | 'at', string];
  if (kind === 'rate') {
    const [count, unit] = body.split(' ') as [string, string];
    return { kind: 'rate', intervalMs: Number(count) * UNIT_MS[unit.replace(/s$/, '') as keyof typeof UNIT_MS] };
  }
  if (kind === 'at') {
    const [year, month, day, hour, minute, second] = body.split(/[-T:]/).map(Number) as [number, number, number, number, number, number];
    return { kind: 'at', local: { year, month, day, hour, minute, second } };
  }
  return { kind: 'cron', cron: parseCron(body), text: expression };
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
/** 1 = Sunday … 7 = Saturday, as cron counts. */
const weekdayOf = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
const isWeekday = (year: number, month: number, day: number) => {
  const weekday = weekdayOf(year, month, day);
  return weekday !== 1 && weekday !== 7;
};

function fieldNumber(text: string, names: string[] | undefined): number {
  const named = names?.indexOf(text.toUpperCase()) ?? -1;
  return named >= 0 ? named + 1 : Number(text);
}

/** A field of values, lists, ranges (a range whose end comes before its start wraps round), `*` and steps. */
function expand(text: string, min: number, max: number, names?: string[]): Set<number> {
  const values = new Set<number>();
  for (const item of text.split(',')) {
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    let from: number;
    let to: number;
    if (range === '*' || range === '?') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [fieldNumber(a, names), fieldNumber(b, names)];
    } else {
      from = fieldNumber(range, names);
      // `5/15` runs from 5 to the field's end; `5` alone is 5.
      to = stepText === undefined ? from : max;
    }
    const span = to >= from ? to - from : to + (max - min + 1) - from;
    for (let offset = 0; offset <= span; offset += step) values.add(((from - min + offset) % (max - min + 1)) + min);
  }
  return values;
}

/** The weekday nearest day `day` of the month, not leaving the month (Scheduler's `15W`); none when the month has no such day. */
function nearestWeekday(year: number, month: number, day: number): number | undefined {
  const last = daysIn(year, month);
  if (day > last) return undefined;
  const weekday = weekdayOf(year, month, day);
  if (weekday === 7) return day === 1 ? 3 : day - 1;
  if (weekday === 1) return day === last ? day - 2 : day + 1;
  return day;
}

function parseCron(body: string): Cron {
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = body.split(' ') as [string, string, string, string, string, string];
  return {
    minutes: expand(minutes, 0, 59),
    hours: expand(hours, 0, 23),
    months: expand(month, 1, 12, MONTHS),
    years: expand(year, YEARS.min, YEARS.max),
    dayMatches: dayOfMonth === '?' ? weekdayMatcher(dayOfWeek) : monthDayMatcher(dayOfMonth),
  };
}

function monthDayMatcher(field: string): Cron['dayMatches'] {
  if (field === 'L') return (year, month, day) => day === daysIn(year, month);
  if (field === 'LW') {
    return (year, month, day) => {
      let lastWeekday = daysIn(year, month);
      while (!isWeekday(year, month, lastWeekday)) lastWeekday--;
      return day === lastWeekday;
    };
  }
  if (field.endsWith('W')) {
    const target = Number(field.slice(0, -1));
    return (year, month, day) => nearestWeekday(year, month, target) === day;
  }
  const days = expand(field, 1, 31);
  return (_year, _month, day) => days.has(day);
}

function weekdayMatcher(field: string): Cron['dayMatches'] {
  // L alone is the week's last day, Saturday.
  if (field === 'L') return (year, month, day) => weekdayOf(year, month, day) === 7;
  if (field.endsWith('L')) {
    const weekday = fieldNumber(field.slice(0, -1), WEEKDAYS);
    return (year, month, day) => weekdayOf(year, month, day) === weekday && day + 7 > daysIn(year, month);
  }
  if (field.includes('#')) {
    const [weekdayText, nth] = field.split('#') as [string, string];
    const weekday = fieldNumber(weekdayText, WEEKDAYS);
    return (year, month, day) => weekdayOf(year, month, day) === weekday && Math.ceil(day / 7) === Number(nth);
  }
  const weekdays = expand(field, 1, 7, WEEKDAYS);
  return (year, month, day) => weekdays.has(weekdayOf(year, month, day));
}

// --- time zones -------------------------------------------------------------------------------

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw new UserError(`schedule: ${quoted(timeZone, 60)} is not a time zone (an IANA name such as Europe/Paris, or UTC)`);
    }
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Refuses a time zone name the platform does not know, as Scheduler would. */
export function checkTimeZone(timeZone: string): void {
  formatterOf(timeZone);
}

/** The wall-clock time at `instant` in `timeZone`. */
export function localTimeAt(instant: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const part of formatterOf(timeZone).formatToParts(new Date(instant))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return { year: parts.year!, month: parts.month!, day: parts.day!, hour: parts.hour!, minute: parts.minute!, second: parts.second! };
}

const asUtc = (t: LocalTime) => Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);

/** How far `timeZone` is ahead of UTC at `instant`, in ms. */
function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return asUtc(localTimeAt(whole, timeZone)) - whole;
}

/** The first instant whose wall-clock time in `timeZone` is `local`, or undefined when the clocks skip it. */
export function firstInstantOf(local: LocalTime, timeZone: string): number | undefined {
  const guess = asUtc(local);
  // The offsets either side of any change near that time: no zone is more than 14 hours off UTC.
  const offsets = new Set([offsetAt(guess - 14 * 3_600_000, timeZone), offsetAt(guess + 14 * 3_600_000, timeZone)]);
  const instants = [...offsets].map((offset) => guess - offset).filter((instant) => offsetAt(instant, timeZone) === guess - instant);
  return instants.length === 0 ? undefined : Math.min(...instants);
}

// --- next fire times --------------------------------------------------------------------------

/**
 * The first time after `after` (epoch ms) at which the schedule runs, or undefined when it never
 * runs again. `start` anchors a rate: it runs at start + n × interval.
 */
export function nextFireTime(schedule: Schedule, after: number, timeZone: string, start = after): number | undefined {
  if (schedule.kind === 'rate') {
    const intervals = Math.max(1, Math.floor((after - start) / schedule.intervalMs) + 1);
    return start + intervals * schedule.intervalMs;
  }
  if (schedule.kind === 'at') {
    const at = firstInstantOf(schedule.local, timeZone);
    return at !== undefined && at > after ? at : undefined;
  }
  return nextCronTime(schedule.cron, after, timeZone);
}

function nextCronTime(cron: Cron, after: number, timeZone: string): number | undefined {
  const from = localTimeAt(after, timeZone);
  const hours = [...cron.hours].sort((a, b) => a - b);
  const minutes = [...cron.minutes].sort((a, b) => a - b);
  // Day by day from the local date of `after` (UTC dates, used as plain calendar days), to the last year cron knows.
  for (let date = Date.UTC(from.year, from.month - 1, from.day); ; date += 86_400_000) {
    const day = new Date(date);
    const year = day.getUTCFullYear();
    if (year > YEARS.max) return undefined;
    const month = day.getUTCMonth() + 1;
    const dayOfMonth = day.getUTCDate();
    if (!cron.years.has(year) || !cron.months.has(month) || !cron.dayMatches(year, month, dayOfMonth)) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const instant = firstInstantOf({ year, month, day: dayOfMonth, hour, minute, second: 0 }, timeZone);
        if (instant !== undefined && instant > after) return instant;
      }
    }
  }
}
