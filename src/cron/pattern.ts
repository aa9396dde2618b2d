/**
 * Parsing cron expressions into a compact pattern: one bit mask per field, held in plain numbers (the
 * 60-value fields split into two 30-bit halves), so a parsed pattern costs about a hundred bytes where
 * croner's tables cost ~83 KB. Every mask stays within V8's small-integer range (31-bit signed), so a
 * pattern's fields live inside the object, never as separately allocated heap numbers.
 *
 * Syntax: standard crontab, 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds
 * first; `*`, `a`, `a-b`, steps (`*`, `a-b` or `a` followed by `/n`; `a/n` runs from a to the end of
 * the field), lists `a,b-c`; month names jan-dec and day names sun-sat in any case; day-of-week 0-7
 * with 0 and 7 both Sunday; nicknames `@yearly @annually @monthly @weekly @daily @midnight @hourly`.
 */
import { CronError } from './cron-error.js';

/** A parsed cron expression. Immutable; shared by every job with the same expression string. */
export interface CronPattern {
  /** The expression as given, trimmed. */
  readonly expression: string;
  /** Seconds 0-29 as bits 0-29 (bit 0 alone when no seconds field was given). */
  readonly secLo: number;
  /** Seconds 30-59 as bits 0-29. */
  readonly secHi: number;
  /** Minutes 0-29 as bits 0-29. */
  readonly minLo: number;
  /** Minutes 30-59 as bits 0-29. */
  readonly minHi: number;
  /** Hours 0-23 as bits 0-23. */
  readonly hours: number;
  /**
   * Days of month 1-31 as bits 0-30 (bit d - 1 for day d), sign-extended from bit 30 so the number stays a
   * 31-bit small integer; test with `days & (1 << (d - 1))`.
   */
  readonly days: number;
  /** Months 1-12 as bits 1-12. */
  readonly months: number;
  /** Days of week as bits 0-6, 0 = Sunday (a 7 in the expression sets bit 0). */
  readonly weekdays: number;
  /** The day-of-month field does not start with `*`. */
  readonly domRestricted: boolean;
  /** The day-of-week field does not start with `*`. */
  readonly dowRestricted: boolean;
  /** Neither the minute nor the hour field starts with `*`: cronie's "fixed-time" job (DST policy). */
  readonly fixedTime: boolean;
  /** A seconds field was given (6 fields). */
  readonly seconds: boolean;
}

/** The longest expression accepted, in characters (after trimming). */
export const MAX_EXPRESSION_LENGTH = 256;

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** The highest value `*` stands for (day-of-week: 6, since 7 repeats Sunday). */
  readonly starMax: number;
  /** Three-letter names for the values from `min` on, or none. */
  readonly names: readonly string[] | null;
  /** What one value is called in messages. */
  readonly noun: string;
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59, starMax: 59, names: null, noun: 'second' };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, starMax: 59, names: null, noun: 'minute' };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, starMax: 23, names: null, noun: 'hour' };
const DAY: FieldSpec = { name: 'day-of-month', min: 1, max: 31, starMax: 31, names: null, noun: 'day' };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  starMax: 12,
  noun: 'month',
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const WEEKDAY: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  starMax: 6,
  noun: 'weekday',
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

/** Days in each month of a leap year: the most days a pattern can ever match in it. */
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const FIELDS_HINT = 'expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first)';

/**
 * Parses a cron expression (syntax in the module comment). Throws CronError (kind
 * `expression`) naming the field at fault and what it allows, and for an expression that can
 * never fire, such as `0 0 30 2 *`.
 */
export function parseCron(expression: string): CronPattern {
  if (typeof expression !== 'string') {
    const got = expression === null ? 'null' : typeof expression;
    throw invalid(expression, `Cron expression must be a string such as "*/15 * * * *", got ${got}.`);
  }
  const trimmed = expression.trim();
  if (trimmed.length === 0) throw invalid(expression, `Cron expression is empty; ${FIELDS_HINT}, e.g. "*/15 * * * *".`);
  if (trimmed.length > MAX_EXPRESSION_LENGTH) {
    throw invalid(expression, `Cron expression is ${trimmed.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed.`);
  }
  let source = trimmed;
  if (source.charCodeAt(0) === 64 /* @ */) {
    const expansion = NICKNAMES[source.toLowerCase()];
    if (expansion === undefined) {
      throw invalid(
        expression,
        `Cron expression "${trimmed}" is not a known nickname; allowed: ${Object.keys(NICKNAMES).join(', ')} (@reboot has no meaning for a scheduler).`,
      );
    }
    source = expansion;
  }
  const fields = source.split(/[ \t]+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw invalid(expression, `Cron expression "${trimmed}": ${FIELDS_HINT}, got ${fields.length}.`);
  }
  const seconds = fields.length === 6;
  const at = (i: number): string => fields[seconds ? i : i - 1] as string;
  const secText = seconds ? at(0) : '0';
  const minText = at(1);
  const hourText = at(2);
  const domText = at(3);
  const monText = at(4);
  const dowText = at(5);

  const secLo = parseField(secText, SECOND, trimmed, 0, 29);
  const secHi = parseField(secText, SECOND, trimmed, 30, 59);
  const minLo = parseField(minText, MINUTE, trimmed, 0, 29);
  const minHi = parseField(minText, MINUTE, trimmed, 30, 59);
  const hours = parseField(hourText, HOUR, trimmed, 0, 31);
  // Bit d - 1 for day d, then bit 30 copied into bit 31: a 31-bit signed integer.
  const days = (parseField(domText, DAY, trimmed, 1, 32) << 1) >> 1;
  const months = parseField(monText, MONTH, trimmed, 0, 31);
  const dow = parseField(dowText, WEEKDAY, trimmed, 0, 31);
  const domRestricted = domText.charCodeAt(0) !== 42; /* * */
  const dowRestricted = dowText.charCodeAt(0) !== 42;
  const pattern: CronPattern = {
    expression: trimmed,
    secLo,
    secHi,
    minLo,
    minHi,
    hours,
    days,
    months,
    weekdays: (dow & 0x7f) | (dow >>> 7), // 7 is Sunday
    domRestricted,
    dowRestricted,
    fixedTime: minText.charCodeAt(0) !== 42 && hourText.charCodeAt(0) !== 42,
    seconds,
  };
  // Only "day-of-month AND every weekday" can miss every real date: with both day fields restricted a
  // weekday always matches soon, and a day-of-month field starting with * includes the 1st.
  if (domRestricted && !dowRestricted && !someDateMatches(pattern)) {
    throw invalid(expression, `Cron expression "${trimmed}" never matches a real date: day-of-month "${domText}" does not occur in month "${monText}".`);
  }
  return pattern;
}

function invalid(expression: unknown, message: string): CronError {
  return new CronError('expression', expression, message);
}

/** Whether some allowed month has some allowed day (Feb 29 counts). */
function someDateMatches(p: CronPattern): boolean {
  for (let m = 1; m <= 12; m++) {
    if ((p.months & (1 << m)) === 0) continue;
    const maxDay = MAX_DAYS_IN_MONTH[m] as number;
    for (let d = 1; d <= maxDay; d++) if ((p.days & (1 << (d - 1))) !== 0) return true;
  }
  return false;
}

/**
 * The values of one field from `lo` to `hi` as bits: value v sets bit v - lo. The 60-value fields are
 * parsed once per half, which keeps this simple; field texts are short.
 */
function parseField(text: string, spec: FieldSpec, expression: string, lo: number, hi: number): number {
  const fail = (why: string): never => {
    throw invalid(expression, `Cron expression "${expression}": ${spec.name} field "${text}" ${why}`);
  };
  let bits = 0;
  for (const item of text.split(',')) {
    if (item.length === 0) fail('has an empty list item.');
    const slash = item.indexOf('/');
    const rangeText = slash < 0 ? item : item.slice(0, slash);
    let step = 1;
    if (slash >= 0) {
      const stepText = item.slice(slash + 1);
      const span = spec.starMax - spec.min + 1;
      const n = integer(stepText);
      if (n === null) fail(`has step "${stepText}"; a step must be a whole number from 1 to ${span}.`);
      step = n as number;
      if (step < 1 || step > span) fail(`has step ${step}, out of range 1-${span}.`);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      from = spec.min;
      to = spec.starMax;
    } else {
      // From index 1: a leading "-" is part of a (bad) value, not a range.
      const dash = rangeText.indexOf('-', 1);
      const startText = dash < 0 ? rangeText : rangeText.slice(0, dash);
      // A field that is one bare number reads best as: field "61" is out of range 0-59.
      const single = dash < 0 && slash < 0 && item === text;
      from = value(startText, spec, false, single, fail);
      if (dash >= 0) {
        to = value(rangeText.slice(dash + 1), spec, true, false, fail);
        if (to < from) fail(`has range ${from}-${to} whose start is after its end; allowed ${spec.min}-${spec.max}, and ranges do not wrap.`);
      } else {
        // "a/n" runs from a to the end of the field.
        to = slash < 0 ? from : spec.starMax;
      }
    }
    for (let v = from; v <= to; v += step) if (v >= lo && v <= hi) bits |= 1 << (v - lo);
  }
  return bits;
}

/** A decimal integer of up to 9 digits, or null if `text` is not one. */
function integer(text: string): number | null {
  if (text.length === 0 || text.length > 9) return null;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return n;
}

function value(text: string, spec: FieldSpec, rangeEnd: boolean, single: boolean, fail: (why: string) => never): number {
  const n = integer(text);
  if (n !== null) {
    if (n < spec.min || n > spec.max) fail(single ? `is out of range ${spec.min}-${spec.max}.` : `has ${n}, out of range ${spec.min}-${spec.max}.`);
    return n;
  }
  if (spec.names !== null) {
    const index = spec.names.indexOf(text.toLowerCase());
    // "fri-sun" is Friday to Sunday: a day name that ends a range counts Sunday as 7.
    if (index >= 0) return spec.min + (rangeEnd && spec === WEEKDAY && index === 0 ? 7 : index);
  }
  const names = spec.names === null ? '' : ` or ${spec.names[0] as string}-${spec.names[spec.names.length - 1] as string}`;
  return fail(`has "${text}", which is not a ${spec.noun}; allowed ${spec.min}-${spec.max}${names}, with *, a-b, */n, a-b/n and lists a,b.`);
}
