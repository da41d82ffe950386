/**
 * The schedule expression validator against EventBridge Scheduler's grammar: generated valid
 * expressions are accepted, one-character mutations and hostile text refused with a one-line
 * reason, and the cases the grammar's edges call for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SCHEDULE, scheduleProblem } from '../src/scaffold/schedule-expression.js';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const rate = fc
  .record({ n: fc.integer({ min: 1, max: 100_000 }), unit: fc.constantFrom('minute', 'hour', 'day') })
  .map(({ n, unit }) => `rate(${n} ${unit}${n === 1 ? '' : 's'})`);

/** A list item of a numeric field: a value, a range, or either stepped, as Scheduler writes them. */
function item(min: number, max: number, names: string[] = []): fc.Arbitrary<string> {
  const value = fc.oneof(fc.integer({ min, max }).map(String), ...(names.length > 0 ? [fc.constantFrom(...names)] : []));
  const range = fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`);
  const step = fc.integer({ min: 1, max: 30 });
  return fc.oneof(
    value,
    range,
    fc.tuple(fc.oneof(fc.constant('*'), value, range), step).map(([start, by]) => `${start}/${by}`),
  );
}

function field(min: number, max: number, names: string[] = []): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant('*'),
    fc.array(item(min, max, names), { minLength: 1, maxLength: 3 }).map((items) => items.join(',')),
  );
}

const dayOfMonth = fc.oneof(
  field(1, 31),
  fc.constantFrom('L', 'LW'),
  fc.integer({ min: 1, max: 31 }).map((d) => `${d}W`),
);
const dayOfWeek = fc.oneof(
  field(1, 7, WEEKDAYS),
  fc.constant('L'),
  fc.integer({ min: 1, max: 7 }).map((d) => `${d}L`),
  fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 5 })).map(([d, n]) => `${d}#${n}`),
);

const cron = fc
  .record({
    minutes: field(0, 59),
    hours: field(0, 23),
    days: fc.oneof(
      dayOfMonth.map((d) => [d, '?'] as const),
      dayOfWeek.map((w) => ['?', w] as const),
    ),
    month: field(1, 12, MONTHS),
    year: field(1970, 2199),
  })
  .map(({ minutes, hours, days: [dom, dow], month, year }) => `cron(${minutes} ${hours} ${dom} ${month} ${dow} ${year})`);

const at = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2199-12-31T23:59:59Z'), noInvalidDate: true })
  .map((date) => `at(${date.toISOString().slice(0, 19)})`);

const valid = fc.oneof(rate, cron, at);

describe('scheduleProblem', () => {
  it('accepts the default and what Scheduler accepts', () => {
    for (const expression of [
      DEFAULT_SCHEDULE,
      'rate(1 minute)',
      'rate(1 hour)',
      'rate(1 day)',
      'rate(12 hours)',
      'cron(0 9 ? * MON-FRI *)',
      'cron(15 10 ? * 6L 2022-2023)',
      'cron(0/15 * * * ? *)',
      'cron(0 8 1 * ? *)',
      'cron(0 12 L * ? *)',
      'cron(0 18 ? * 3#2 *)',
      'cron(0 0 15W * ? *)',
      'cron(0 9 ? JAN,JUL MON *)',
      'at(2030-01-31T09:00:00)',
      'at(2028-02-29T23:59:59)',
    ]) {
      expect(scheduleProblem(expression), expression).toBeUndefined();
    }
  });

  it('accepts every generated rate, cron and at expression', () => {
    fc.assert(
      fc.property(valid, (expression) => {
        expect(scheduleProblem(expression), expression).toBeUndefined();
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['rate(1 minutes)', 'with 1 the unit is singular: rate(1 minute)'],
    ['rate(5 minute)', 'with 5 the unit is plural: rate(5 minutes)'],
    ['rate(0 minutes)', 'a rate needs a whole number from 1, without leading zeros'],
    ['rate(5 weeks)', 'a rate is rate(<n> minute|minutes|hour|hours|day|days), e.g. rate(5 minutes)'],
    ['rate(5  minutes)', 'a rate is rate(<n> minute|minutes|hour|hours|day|days), e.g. rate(5 minutes)'],
    ['cron(0 9 * * *)', 'cron takes 6 fields, one space apart (minutes hours day-of-month month day-of-week year); it has 5'],
    ['cron(0 9 * * * *)', 'cron needs ? in exactly one of day-of-month and day-of-week (e.g. cron(0 9 * * ? *) or cron(0 9 ? * MON *))'],
    ['cron(0 9 ? * ? *)', 'cron needs ? in exactly one of day-of-month and day-of-week (e.g. cron(0 9 * * ? *) or cron(0 9 ? * MON *))'],
    ['cron(60 9 * * ? *)', 'cron\'s minutes field "60" has 60, out of 0-59'],
    ['cron(0 24 * * ? *)', 'cron\'s hours field "24" has 24, out of 0-23'],
    ['cron(0 9 * 13 ? *)', 'cron\'s month field "13" has 13, out of 1-12'],
    ['cron(0 9 ? * MON-FRY *)', 'cron\'s day-of-week field "MON-FRY" has "FRY", not a value of 1-7 or SUN-SAT'],
    ['cron(0 9 * * ? 2200)', 'cron\'s year field "2200" has 2200, out of 1970-2199'],
    ['cron(? 9 * * ? *)', 'cron\'s minutes field "?" may not be ? (only day-of-month and day-of-week may)'],
    ['cron(0/0 9 * * ? *)', 'cron\'s minutes field "0/0" has "0/0": the step after / must be a whole number from 1'],
    ['at(2030-02-30T09:00:00)', 'at(...) has day 30, and 2030-02 has 28 days'],
    ['at(2030-01-31T24:00:00)', 'at(...) has the time 24:00:00, out of 00:00:00-23:59:59'],
    ['at(2030-01-31 09:00:00)', 'a one-time schedule is at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T09:00:00)'],
    ['every 5 minutes', 'must be rate(5 minutes), cron(0 9 ? * MON-FRI *) or at(2030-01-31T09:00:00)'],
    ['RATE(5 minutes)', 'must be rate(5 minutes), cron(0 9 ? * MON-FRI *) or at(2030-01-31T09:00:00)'],
    ['rate(5 minutes)\n', 'must not hold control characters'],
    ['rate(5 minutes)\u202e', 'has U+202E, which no schedule expression holds'],
    ['cron(0 9 * * ? *);', 'has ";", which no schedule expression holds'],
    ['rate(5\u00a0minutes)', 'has U+00A0, which no schedule expression holds'],
  ])('refuses %j: %s', (expression, reason) => {
    expect(scheduleProblem(expression)).toBe(reason);
  });

  it('refuses every valid expression with one character dropped, doubled or replaced where that breaks the grammar', () => {
    // Mutations that keep an expression valid (a digit for a digit, a dropped digit of 12) are
    // fine; these break it whatever the expression: its closing parenthesis, its separators.
    const breaking = fc.tuple(valid, fc.constantFrom('drop-close', 'double-space', 'trailing-space', 'leading-space', 'comma-end'));
    fc.assert(
      fc.property(breaking, ([expression, mutation]) => {
        const mutated = {
          'drop-close': expression.slice(0, -1),
          'double-space': expression.includes(' ') ? expression.replace(' ', '  ') : `${expression.slice(0, -1)}  )`,
          'trailing-space': `${expression} `,
          'leading-space': ` ${expression}`,
          'comma-end': `${expression.slice(0, -1)},)`,
        }[mutation];
        expect(scheduleProblem(mutated), mutated).toMatch(/\S/);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses every cron expression whose day fields both or neither hold ?', () => {
    const days = fc.oneof(fc.constant(['?', '?'] as const), fc.tuple(field(1, 31), field(1, 7, WEEKDAYS)));
    fc.assert(
      fc.property(days, ([dom, dow]) => {
        expect(scheduleProblem(`cron(0 9 ${dom} * ${dow} *)`)).toMatch(/exactly one of day-of-month and day-of-week/);
      }),
    );
  });

  it('refuses every rate whose unit disagrees with its number', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.constantFrom('minute', 'hour', 'day'), (n, unit) => {
        const wrong = `rate(${n} ${unit}${n === 1 ? 's' : ''})`;
        expect(scheduleProblem(wrong)).toMatch(/^with \d+ the unit is (singular|plural)/);
      }),
    );
  });

  it('answers hostile text, control characters included, with one line and never throws', () => {
    const hostile = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc
        .tuple(valid, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 0x1f }))
        .map(([expression, at, code]) => `${expression.slice(0, at)}${String.fromCharCode(code)}${expression.slice(at)}`),
      valid.map((expression) => `${expression}\u202e`),
    );
    fc.assert(
      fc.property(hostile, (text) => {
        const problem = scheduleProblem(text);
        if (problem === undefined) {
          // Only a real expression passes: no control or format characters, the grammar's alphabet.
          expect(text).toMatch(/^(rate|cron|at)\([A-Za-z0-9 *?,/#:-]+\)$/);
          return;
        }
        // Whatever it echoes is shown, not acted on: no control, format or bidi characters.
        expect(problem).toMatch(/^[\x20-\x7e]+$/);
        expect(problem.split('\n')).toHaveLength(1);
      }),
      { numRuns: 2000 },
    );
  });
});
