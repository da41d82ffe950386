/**
 * When lambda-kit dev fires a schedule: rate, at and AWS's six-field cron (with L, W, # and ?),
 * in the schedule's time zone, across daylight saving changes as EventBridge Scheduler does
 * (a skipped local time does not run, a repeated one runs once). The cron evaluator is checked
 * against a brute-force reference that walks the clock minute by minute.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextFireTime, parseSchedule } from '../src/dev/sources/schedule-times.js';
import { UserError } from '../src/errors.js';
import { scheduleProblem } from '../src/scaffold/schedule-expression.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
/** The next `count` fire times after `from`. */
function series(expression: string, from: string, timeZone = 'UTC', count = 4): (string | undefined)[] {
  const schedule = parseSchedule(expression);
  const times: (string | undefined)[] = [];
  let after = at(from);
  for (let i = 0; i < count; i++) {
    const next = nextFireTime(schedule, after, timeZone, at(from));
    times.push(iso(next));
    if (next === undefined) break;
    after = next;
  }
  return times;
}

describe('nextFireTime', () => {
  it('runs a rate every interval from its start', () => {
    expect(series('rate(5 minutes)', '2026-05-01T09:00:10Z', 'UTC', 3)).toEqual([
      '2026-05-01T09:05:10.000Z',
      '2026-05-01T09:10:10.000Z',
      '2026-05-01T09:15:10.000Z',
    ]);
    expect(series('rate(1 day)', '2026-05-01T09:00:00Z', 'Europe/Paris', 2)).toEqual([
      '2026-05-02T09:00:00.000Z',
      '2026-05-03T09:00:00.000Z',
    ]);
  });

  it('runs at(...) once, at that local time in the time zone, and never when it is past', () => {
    expect(series('at(2026-05-01T09:30:00)', '2026-04-01T00:00:00Z', 'Europe/Paris')).toEqual(['2026-05-01T07:30:00.000Z', undefined]);
    expect(series('at(2026-05-01T09:30:00)', '2026-06-01T00:00:00Z', 'UTC')).toEqual([undefined]);
  });

  it('runs a cron at its local times: weekdays, the last day, the nearest weekday, the nth and the last weekday of a month', () => {
    expect(series('cron(0 9 ? * MON-FRI *)', '2026-05-01T08:00:00Z', 'Europe/Paris', 3)).toEqual([
      '2026-05-04T07:00:00.000Z',
      '2026-05-05T07:00:00.000Z',
      '2026-05-06T07:00:00.000Z',
    ]);
    expect(series('cron(0 12 L * ? *)', '2026-01-31T13:00:00Z', 'UTC', 3)).toEqual([
      '2026-02-28T12:00:00.000Z',
      '2026-03-31T12:00:00.000Z',
      '2026-04-30T12:00:00.000Z',
    ]);
    // The 1st of August 2026 is a Saturday: the nearest weekday in the month is Monday the 3rd.
    expect(series('cron(0 0 1W 8 ? 2026)', '2026-01-01T00:00:00Z')).toEqual(['2026-08-03T00:00:00.000Z', undefined]);
    // The last weekday of May 2026 (the 31st is a Sunday) is Friday the 29th.
    expect(series('cron(0 0 LW 5 ? 2026)', '2026-01-01T00:00:00Z')).toEqual(['2026-05-29T00:00:00.000Z', undefined]);
    expect(series('cron(0 0 ? 5 3#2 2026)', '2026-01-01T00:00:00Z')).toEqual(['2026-05-12T00:00:00.000Z', undefined]);
    expect(series('cron(0 0 ? 5 6L 2026)', '2026-01-01T00:00:00Z')).toEqual(['2026-05-29T00:00:00.000Z', undefined]);
    expect(series('cron(0/20 23 29 2 ? *)', '2026-01-01T00:00:00Z', 'UTC', 4)).toEqual([
      '2028-02-29T23:00:00.000Z',
      '2028-02-29T23:20:00.000Z',
      '2028-02-29T23:40:00.000Z',
      '2032-02-29T23:00:00.000Z',
    ]);
  });

  it('skips a local time the clocks jump over, and runs a repeated one once, as Scheduler does', () => {
    // Paris: 2026-03-29 02:00 → 03:00, and 2026-10-25 03:00 → 02:00.
    expect(series('cron(30 2 * * ? *)', '2026-03-28T12:00:00Z', 'Europe/Paris', 2)).toEqual([
      '2026-03-30T00:30:00.000Z',
      '2026-03-31T00:30:00.000Z',
    ]);
    expect(series('cron(30 2 * * ? *)', '2026-10-24T12:00:00Z', 'Europe/Paris', 2)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ]);
  });

  it('refuses an expression or time zone Scheduler would refuse, in one line', () => {
    expect(() => parseSchedule('cron(0 9 * * * *)')).toThrow(UserError);
    expect(() => parseSchedule('rate(0 minutes)')).toThrow(/^schedule "rate\(0 minutes\)": a rate needs a whole number from 1/);
    expect(() => nextFireTime(parseSchedule('cron(0 9 * * ? *)'), 0, 'Mars/Olympus')).toThrow(
      /^schedule: "Mars\/Olympus" is not a time zone/,
    );
  });
});

// --- the brute-force reference ----------------------------------------------------------------

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const weekday = (y: number, m: number, d: number) => new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 1;
const workday = (y: number, m: number, d: number) => weekday(y, m, d) >= 2 && weekday(y, m, d) <= 6;
const number = (text: string, names?: string[]) =>
  names?.includes(text.toUpperCase()) ? names.indexOf(text.toUpperCase()) + 1 : Number(text);

/** Whether `value` is in a list of values, ranges (wrapping past the end) and steps: a membership test, not an enumeration. */
function inField(field: string, value: number, min: number, max: number, names?: string[]): boolean {
  const size = max - min + 1;
  return field.split(',').some((item) => {
    const [range, stepText] = item.split('/') as [string, string | undefined];
    const step = stepText ? Number(stepText) : 1;
    const [from, to] =
      range === '*'
        ? [min, max]
        : range.includes('-')
          ? range.split('-').map((v) => number(v, names))
          : [number(range, names), stepText ? max : number(range, names)];
    const distance = (value - from! + size) % size;
    const span = (to! - from! + size) % size;
    return distance <= span && distance % step === 0;
  });
}

function dayOfMonthMatches(field: string, y: number, m: number, d: number): boolean {
  const last = daysIn(y, m);
  if (field === '?') return true;
  if (field === 'L') return d === last;
  if (field === 'LW')
    return workday(y, m, d) && Array.from({ length: last - d }, (_, i) => d + 1 + i).every((later) => !workday(y, m, later));
  if (field.endsWith('W')) {
    const target = Number(field.slice(0, -1));
    if (target > last || !workday(y, m, d)) return false;
    // The weekday of the month nearest the target.
    return Array.from({ length: last }, (_, i) => i + 1)
      .filter((other) => workday(y, m, other))
      .every((other) => Math.abs(other - target) >= Math.abs(d - target));
  }
  return inField(field, d, 1, 31);
}

function dayOfWeekMatches(field: string, y: number, m: number, d: number): boolean {
  if (field === '?') return true;
  if (field === 'L') return weekday(y, m, d) === 7;
  if (field.endsWith('L')) return weekday(y, m, d) === number(field.slice(0, -1), WEEKDAYS) && d + 7 > daysIn(y, m);
  if (field.includes('#')) {
    const [day, nth] = field.split('#') as [string, string];
    return weekday(y, m, d) === number(day, WEEKDAYS) && Math.floor((d - 1) / 7) + 1 === Number(nth);
  }
  return inField(field, weekday(y, m, d), 1, 7, WEEKDAYS);
}

interface Wall {
  y: number;
  m: number;
  d: number;
  h: number;
  min: number;
}

function wallClock(timeZone: string): (instant: number) => Wall {
  if (timeZone === 'UTC') {
    return (instant) => {
      const t = new Date(instant);
      return { y: t.getUTCFullYear(), m: t.getUTCMonth() + 1, d: t.getUTCDate(), h: t.getUTCHours(), min: t.getUTCMinutes() };
    };
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  return (instant) => {
    const p = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, Number(part.value)]));
    return { y: p.year!, m: p.month!, d: p.day!, h: p.hour!, min: p.minute! };
  };
}

/** The first whole minute after `after`, within `windowMinutes`, whose wall-clock time matches and has not been seen before. */
function referenceNext(expression: string, after: number, timeZone: string, windowMinutes: number): number | undefined {
  const [minutes, hours, dom, month, dow, year] = expression.slice(5, -1).split(' ') as [string, string, string, string, string, string];
  const local = wallClock(timeZone);
  const same = (a: Wall, b: Wall) => a.y === b.y && a.m === b.m && a.d === b.d && a.h === b.h && a.min === b.min;
  const first = Math.floor(after / 60_000) * 60_000 + 60_000;
  for (let u = first; u < first + windowMinutes * 60_000; u += 60_000) {
    const w = local(u);
    const matches =
      inField(minutes, w.min, 0, 59) &&
      inField(hours, w.h, 0, 23) &&
      inField(month, w.m, 1, 12, MONTHS) &&
      inField(year, w.y, 1970, 2199) &&
      dayOfMonthMatches(dom, w.y, w.m, w.d) &&
      dayOfWeekMatches(dow, w.y, w.m, w.d);
    // A wall-clock time that already happened (the clocks went back) does not run again.
    if (matches && ![30, 60, 120].some((back) => same(local(u - back * 60_000), w))) return u;
  }
  return undefined;
}

const list = (item: fc.Arbitrary<string>) => fc.array(item, { minLength: 1, maxLength: 3 }).map((items) => items.join(','));
/** One field's items: values, ranges (either way round), steps, with names where the field has them. */
function generic(min: number, max: number, names?: string[]): fc.Arbitrary<string> {
  const value = fc.integer({ min, max }).chain((v) => (names ? fc.constantFrom(String(v), names[v - min]!) : fc.constant(String(v))));
  const step = fc.integer({ min: 1, max: Math.max(1, Math.ceil((max - min) / 2)) });
  return fc.oneof(
    fc.constant('*'),
    fc.tuple(fc.integer({ min: 1, max: max - min }), fc.constant(null)).map(([s]) => `*/${s}`),
    list(
      fc.oneof(
        value,
        fc.tuple(value, value).map(([a, b]) => `${a}-${b}`),
        fc.tuple(value, step).map(([a, s]) => `${a}/${s}`),
        fc.tuple(value, value, step).map(([a, b, s]) => `${a}-${b}/${s}`),
      ),
    ),
  );
}
const dayOfMonth = fc.oneof(
  { weight: 3, arbitrary: generic(1, 31) },
  { weight: 1, arbitrary: fc.constantFrom('L', 'LW') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 31 }).map((d) => `${d}W`) },
);
const dayOfWeek = fc.oneof(
  { weight: 3, arbitrary: generic(1, 7, WEEKDAYS) },
  { weight: 1, arbitrary: fc.constant('L') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }).map((d) => `${d}L`) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })).map(([d, n]) => `${d}#${n}`) },
);
const cron = fc
  .tuple(
    generic(0, 59),
    generic(0, 23),
    fc.boolean(),
    dayOfMonth,
    dayOfWeek,
    generic(1, 12, MONTHS),
    fc.oneof(fc.constant('*'), fc.constantFrom('2026', '2027', '2026-2027', '2025/2')),
  )
  .map(
    ([m, h, byMonthDay, dom, dow, month, year]) => `cron(${m} ${h} ${byMonthDay ? dom : '?'} ${month} ${byMonthDay ? '?' : dow} ${year})`,
  )
  .filter((expression) => scheduleProblem(expression) === undefined);

describe('nextFireTime for cron, against a minute-by-minute reference', () => {
  it('agrees in UTC over 40 days from any moment of 2026-2027', () => {
    const window = 40 * 24 * 60;
    fc.assert(
      fc.property(cron, fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-12-31T00:00:00Z') }), (expression, after) => {
        const expected = referenceNext(expression, after, 'UTC', window);
        const actual = nextFireTime(parseSchedule(expression), after, 'UTC');
        if (expected !== undefined) expect(iso(actual), expression).toBe(iso(expected));
        else
          expect(actual === undefined || actual >= Math.floor(after / 60_000) * 60_000 + 60_000 + window * 60_000, expression).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('agrees across daylight saving changes, in zones that move by an hour and by half an hour', () => {
    const window = 3 * 24 * 60;
    const changes = [
      ['Europe/Paris', '2026-03-28T12:00:00Z'],
      ['Europe/Paris', '2026-10-24T12:00:00Z'],
      ['America/New_York', '2026-03-07T12:00:00Z'],
      ['America/New_York', '2026-10-31T12:00:00Z'],
      ['Australia/Lord_Howe', '2026-04-04T00:00:00Z'],
      ['Australia/Lord_Howe', '2026-10-03T00:00:00Z'],
    ] as const;
    // Hours and minutes that land in the changing hours often.
    const nearChanges = fc
      .tuple(
        fc.constantFrom('*/30', '0', '30', '15,45', '0-59/7', '*'),
        fc.constantFrom('1-3', '2', '0-4/2', '*', '1,2,3'),
        fc.constantFrom('*', 'L', '?'),
      )
      .map(([m, h, dom]) => `cron(${m} ${h} ${dom} * ${dom === '?' ? '*' : '?'} *)`)
      .filter((expression) => scheduleProblem(expression) === undefined);
    fc.assert(
      fc.property(nearChanges, fc.constantFrom(...changes), fc.integer({ min: 0, max: 36 * 60 }), (expression, [zone, from], minutes) => {
        const after = at(from) + minutes * 60_000 + 17_000;
        const expected = referenceNext(expression, after, zone, window);
        const actual = nextFireTime(parseSchedule(expression), after, zone);
        if (expected !== undefined) expect(iso(actual), `${expression} in ${zone} after ${iso(after)}`).toBe(iso(expected));
      }),
      { numRuns: 40 },
    );
  });
});
