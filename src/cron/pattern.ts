/**
 * Parsing cron expressions into a compact pattern: one bit mask per field, held in plain numbers (the
 * 60-value fields split into two 30-bit halves), so a parsed pattern costs a few hundred bytes where
 * croner's year table costs ~83 KB. Syntax: standard crontab, 5 fields or 6 with seconds first.
 */
import { InvalidTriggerError } from '../scheduler/errors.js';

export interface CronPattern {
  /** The expression as given (trimmed). */
  readonly expression: string;
  /** Seconds 0-29 and 30-59 as bits (bit i = second i, or i - 30). */
  readonly secLo: number;
  readonly secHi: number;
  readonly minLo: number;
  readonly minHi: number;
  /** Bit h for hour h (0-23). */
  readonly hours: number;
  /** Bit d for day of month d (1-31). */
  readonly days: number;
  /** Bit m for month m (1-12). */
  readonly months: number;
  /** Bit w for weekday w (0 = Sunday .. 6). */
  readonly weekdays: number;
  /** The day-of-month field does not start with `*`. */
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
  /** Neither the minute nor the hour field starts with `*`: cronie's "fixed-time" job (DST policy). */
  readonly fixedTime: boolean;
  /** A seconds field was given. */
  readonly seconds: boolean;
}

export const MAX_EXPRESSION_LENGTH = 256;

const NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name stands for this value (jan = 1, sun = 0). */
  nameBase?: number;
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY: FieldSpec = { name: 'day-of-month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 };
// 7 is Sunday too; folded onto 0 after parsing.
const WEEKDAY: FieldSpec = { name: 'day-of-week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 };

/** Days in each month of a leap year: the most a pattern can ever match. */
const MAX_DAYS = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function parseCron(expression: string): CronPattern {
  if (typeof expression !== 'string') {
    throw new InvalidTriggerError(`Cron expression must be a string such as "*/15 * * * *", got ${expression === null ? 'null' : typeof expression}.`, { path: 'trigger.expression' });
  }
  const trimmed = expression.trim();
  if (trimmed.length === 0) {
    throw new InvalidTriggerError('Cron expression is empty; expected 5 fields (minute hour day-of-month month day-of-week), e.g. "*/15 * * * *".', { path: 'trigger.expression' });
  }
  if (trimmed.length > MAX_EXPRESSION_LENGTH) {
    throw new InvalidTriggerError(`Cron expression is ${trimmed.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed.`, { path: 'trigger.expression' });
  }
  let source = trimmed;
  if (source.startsWith('@')) {
    const expansion = NICKNAMES[source.toLowerCase()];
    if (expansion === undefined) {
      throw new InvalidTriggerError(`Cron expression "${trimmed}": unknown nickname; allowed: ${Object.keys(NICKNAMES).join(', ')} (@reboot has no meaning for a scheduler).`, { path: 'trigger.expression' });
    }
    source = expansion;
  }
  const fields = source.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new InvalidTriggerError(`Cron expression "${trimmed}": expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first), got ${fields.length}.`, { path: 'trigger.expression' });
  }
  const hasSeconds = fields.length === 6;
  const [secText, minText, hourText, domText, monText, dowText] = hasSeconds ? fields as [string, string, string, string, string, string] : ['0', ...fields] as [string, string, string, string, string, string];
  const sec = parseField(secText, SECOND, trimmed);
  const min = parseField(minText, MINUTE, trimmed);
  const hours = parseField(hourText, HOUR, trimmed);
  const days = parseField(domText, DAY, trimmed);
  const months = parseField(monText, MONTH, trimmed);
  const dow = parseField(dowText, WEEKDAY, trimmed).lo;
  const weekdays = dow & (1 << 7) ? (dow & 0x7f) | 1 : dow;
  const pattern: CronPattern = {
    expression: trimmed,
    secLo: sec.lo, secHi: sec.hi,
    minLo: min.lo, minHi: min.hi,
    hours: hours.lo,
    days: days.lo,
    months: months.lo,
    weekdays,
    domRestricted: !domText.startsWith('*'),
    dowRestricted: !dowText.startsWith('*'),
    fixedTime: !minText.startsWith('*') && !hourText.startsWith('*'),
    seconds: hasSeconds,
  };
  if (pattern.domRestricted && !pattern.dowRestricted && !matchesSomeDate(pattern)) {
    throw new InvalidTriggerError(`Cron expression "${trimmed}": day-of-month "${domText}" never falls in month "${monText}", so it would never fire.`, { path: 'trigger.expression' });
  }
  return pattern;
}

/** Whether some allowed month has some allowed day (Feb 29 counts). */
function matchesSomeDate(p: CronPattern): boolean {
  for (let m = 1; m <= 12; m++) {
    if (!(p.months & (1 << m))) continue;
    const maxDay = MAX_DAYS[m] as number;
    for (let d = 1; d <= maxDay; d++) if (p.days & (1 << d)) return true;
  }
  return false;
}

interface Bits {
  lo: number;
  hi: number;
}

function parseField(text: string, spec: FieldSpec, expression: string): Bits {
  const bits: Bits = { lo: 0, hi: 0 };
  const fail = (why: string): never => {
    throw new InvalidTriggerError(`Cron expression "${expression}": ${spec.name} field "${text}" ${why}`, { path: 'trigger.expression' });
  };
  for (const part of text.split(',')) {
    if (part.length === 0) fail('has an empty list item.');
    const [rangeText, stepText, extra] = part.split('/');
    if (extra !== undefined) fail('has more than one "/".');
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) fail(`has step "${stepText}"; a step must be a positive integer.`);
      step = Number(stepText);
      if (step < 1 || step > spec.max) fail(`has step ${step}, out of range 1-${spec.max}.`);
    }
    let from: number;
    let to: number;
    if (rangeText === '*' || rangeText === '?') {
      from = spec.min;
      to = spec.name === 'day-of-week' ? 6 : spec.max;
    } else {
      const [a, b, more] = (rangeText ?? '').split('-');
      if (more !== undefined) fail('has a range with more than one "-".');
      from = value(a ?? '', spec, fail);
      // "fri-sun" means Friday to Sunday: a day name ending a range counts Sunday as 7.
      const end = b !== undefined && spec.name === 'day-of-week' && b.toLowerCase() === 'sun' ? '7' : b;
      to = end === undefined ? (stepText === undefined ? from : (spec.name === 'day-of-week' ? 6 : spec.max)) : value(end, spec, fail);
      if (to < from) fail(`has range ${from}-${to}; the start must not be after the end (allowed ${spec.min}-${spec.max}).`);
    }
    // Fields of up to 32 values use one int32 (bit 31 included); the 60-value ones split at 30.
    const split = spec.max > 31;
    for (let v = from; v <= to; v += step) {
      if (!split || v < 30) bits.lo |= 1 << v;
      else bits.hi |= 1 << (v - 30);
    }
  }
  return bits;
}

function value(text: string, spec: FieldSpec, fail: (why: string) => never): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < spec.min || n > spec.max) fail(`is out of range ${spec.min}-${spec.max}.`);
    return n;
  }
  if (spec.names !== undefined) {
    const index = spec.names.indexOf(text.toLowerCase());
    if (index >= 0) return index + (spec.nameBase ?? 0);
  }
  const allowed = spec.names === undefined ? `${spec.min}-${spec.max}` : `${spec.min}-${spec.max} or ${spec.names[0]}-${spec.names[spec.names.length - 1]}`;
  return fail(`has "${text}", which is not a value; allowed ${allowed}, *, a-b, */n, lists.`);
}
