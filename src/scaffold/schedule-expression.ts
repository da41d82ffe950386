/**
 * EventBridge Scheduler's schedule expressions, checked as Scheduler checks them, so that a
 * typo is refused here with its reason rather than by CloudFormation half-way through a deploy:
 * rate(<n> <unit>), cron(<6 fields>) and at(yyyy-mm-ddThh:mm:ss).
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
import { hasControlCharacters } from './quote.js';

export const DEFAULT_SCHEDULE = 'rate(5 minutes)';

const RATE_UNITS = ['minute', 'hour', 'day'] as const;

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  name: string;
  min: number;
  max: number;
  /** Names standing for numbers: JAN = 1, SUN = 1. */
  names?: string[];
}

const CRON_FIELDS: CronField[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: WEEKDAYS },
  { name: 'year', min: 1970, max: 2199 },
];
const DAY_OF_MONTH = 2;
const DAY_OF_WEEK = 4;

const FORMS = 'rate(5 minutes), cron(0 9 ? * MON-FRI *) or at(2030-01-31T09:00:00)';

/** Why `raw` is not a schedule expression EventBridge Scheduler accepts, or undefined when it is. */
export function scheduleProblem(raw: string): string | undefined {
  if (hasControlCharacters(raw)) return 'must not hold control characters';
  // The grammar's whole alphabet: what passes is safe to echo below and to write into YAML.
  const stray = [...raw].find((c) => !/^[A-Za-z0-9 ()*?,/#:-]$/.test(c));
  if (stray !== undefined) {
    // By its code point unless plainly visible: a no-break space or a bidi mark shows as nothing.
    const shown = /^[!-~]$/.test(stray) ? `"${stray}"` : `U+${stray.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `has ${shown}, which no schedule expression holds`;
  }
  const form = /^(rate|cron|at)\((.*)\)$/s.exec(raw);
  if (!form) return `must be ${FORMS}`;
  const [, kind, body] = form as unknown as [string, 'rate' | 'cron' | 'at', string];
  if (kind === 'rate') return rateProblem(body);
  if (kind === 'cron') return cronProblem(body);
  return atProblem(body);
}

function rateProblem(body: string): string | undefined {
  const match = /^([0-9]+) ([a-z]+)$/.exec(body);
  const unit = match?.[2] ?? '';
  const singular = unit.replace(/s$/, '');
  if (!match || !(RATE_UNITS as readonly string[]).includes(singular)) {
    return 'a rate is rate(<n> minute|minutes|hour|hours|day|days), e.g. rate(5 minutes)';
  }
  const digits = match[1]!;
  if (/^0/.test(digits)) return 'a rate needs a whole number from 1, without leading zeros';
  if (digits === '1' && unit !== singular) return `with 1 the unit is singular: rate(1 ${singular})`;
  if (digits !== '1' && unit === singular) return `with ${digits} the unit is plural: rate(${digits} ${singular}s)`;
  return undefined;
}

function cronProblem(body: string): string | undefined {
  const fields = body.split(' ');
  if (fields.length !== 6 || fields.some((field) => field === '')) {
    return `cron takes 6 fields, one space apart (minutes hours day-of-month month day-of-week year); it has ${body.trim() === '' ? 0 : body.trim().split(/ +/).length}`;
  }
  for (const [i, field] of fields.entries()) {
    const problem = cronFieldProblem(field, i);
    if (problem) return `cron's ${CRON_FIELDS[i]!.name} field "${field}" ${problem}`;
  }
  const dayOfMonth = fields[DAY_OF_MONTH]!;
  const dayOfWeek = fields[DAY_OF_WEEK]!;
  if ((dayOfMonth === '?') === (dayOfWeek === '?')) {
    return 'cron needs ? in exactly one of day-of-month and day-of-week (e.g. cron(0 9 * * ? *) or cron(0 9 ? * MON *))';
  }
  return undefined;
}

/** A number or, where the field has them, a name (JAN, MON), as its number; undefined if neither. */
function fieldValue(text: string, field: CronField): number | undefined {
  if (/^[0-9]{1,4}$/.test(text)) return Number(text);
  const named = field.names?.indexOf(text.toUpperCase()) ?? -1;
  return named >= 0 ? named + 1 : undefined;
}

function inRange(text: string, field: CronField): string | undefined {
  const value = fieldValue(text, field);
  if (value === undefined)
    return `has "${text}", not a value of ${field.min}-${field.max}${field.names ? ` or ${field.names[0]}-${field.names.at(-1)}` : ''}`;
  if (value < field.min || value > field.max) return `has ${text}, out of ${field.min}-${field.max}`;
  return undefined;
}

function cronFieldProblem(text: string, index: number): string | undefined {
  const field = CRON_FIELDS[index]!;
  const isDay = index === DAY_OF_MONTH || index === DAY_OF_WEEK;
  if (text === '?') return isDay ? undefined : 'may not be ? (only day-of-month and day-of-week may)';
  if (text === '*') return undefined;
  // L, W and # stand alone: Scheduler takes them in no list.
  if (index === DAY_OF_MONTH && (text === 'L' || text === 'LW')) return undefined;
  if (index === DAY_OF_MONTH && /W$/.test(text)) return inRange(text.slice(0, -1), field) && 'needs a day 1-31 before W, e.g. 15W';
  if (index === DAY_OF_WEEK && text === 'L') return undefined;
  if (index === DAY_OF_WEEK && /^[^,]+L$/.test(text))
    return inRange(text.slice(0, -1), field) && 'needs a weekday before L, e.g. 6L (the last Friday)';
  if (index === DAY_OF_WEEK && text.includes('#')) {
    const [day, nth] = text.split('#');
    if (inRange(day ?? '', field) || !/^[1-5]$/.test(nth ?? '')) return 'needs <weekday>#<1-5>, e.g. 3#2 (the second Tuesday)';
    return undefined;
  }
  for (const item of text.split(',')) {
    const problem = cronItemProblem(item, field);
    if (problem) return problem;
  }
  return undefined;
}

/** One item of a list: a value, a range a-b, or either (or *) stepped by /n. */
function cronItemProblem(item: string, field: CronField): string | undefined {
  if (item === '') return 'has an empty item in its list';
  const [start, step, ...rest] = item.split('/');
  if (rest.length > 0) return `has "${item}", more than one /`;
  if (step !== undefined && !/^[1-9][0-9]{0,3}$/.test(step)) return `has "${item}": the step after / must be a whole number from 1`;
  if (start === '*') return step === undefined ? 'may use * only alone or as */n' : undefined;
  const [from, to, ...more] = start!.split('-');
  if (more.length > 0) return `has "${item}", more than one -`;
  const fromProblem = inRange(from!, field);
  if (fromProblem) return fromProblem;
  if (to === undefined) return undefined;
  const toProblem = inRange(to, field);
  if (toProblem) return toProblem;
  return undefined;
}

function atProblem(body: string): string | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/.exec(body);
  if (!match) return 'a one-time schedule is at(yyyy-mm-ddThh:mm:ss), e.g. at(2030-01-31T09:00:00)';
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return `at(...) has month ${match[2]}, out of 01-12`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return `at(...) has day ${match[3]}, and ${year}-${match[2]} has ${daysInMonth} days`;
  if (hour > 23 || minute > 59 || second > 59) return `at(...) has the time ${match[4]}:${match[5]}:${match[6]}, out of 00:00:00-23:59:59`;
  return undefined;
}
