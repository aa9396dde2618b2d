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
 *
 * Quartz's day forms, also inside lists: day-of-month `L` (last day), `L-n` (n days before it), `nW`
 * (nearest weekday to day n, within the month), `LW` (last weekday); day-of-week `nL` (last n-day of the
 * month) and `n#k` (k-th n-day, k 1-5), with day names too (`FRIL`, `MON#1`); `?` alone in either day
 * field means no restriction, like `*`. These are kept as DayRules (day-rules.ts), resolved per month.
 *
 * Jenkins' `H` in any field: `H`, `H(a-b)`, `H/n`, `H(a-b)/n` are values hashed from the job id
 * (hash.ts), so they are resolved here, once, into the same bit masks as any value: the search never
 * sees them. `H` alone in the day-of-month field ranges over 1-28 (every month has those days), and in
 * the day-of-week field over 0-6, as in Jenkins.
 */
import { CronError } from './cron-error.js';
import { hasMonthDayRules, type DayRules } from './day-rules.js';
import { HASH_FIELD_INDEX, fieldHash, fnv1a32 } from './hash.js';
import { matchingDays } from './next.js';

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
  /** The `L`, `W` and `#` items of the day fields, or null when there are none (most patterns). */
  readonly rules: DayRules | null;
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
  /** The range `H` alone (and `H/n`) hashes into: day-of-month 1-28, day-of-week 0-6. */
  readonly hashMin: number;
  readonly hashMax: number;
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59, starMax: 59, names: null, noun: 'second', hashMin: 0, hashMax: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59, starMax: 59, names: null, noun: 'minute', hashMin: 0, hashMax: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23, starMax: 23, names: null, noun: 'hour', hashMin: 0, hashMax: 23 };
const DAY: FieldSpec = { name: 'day-of-month', min: 1, max: 31, starMax: 31, names: null, noun: 'day', hashMin: 1, hashMax: 28 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  starMax: 12,
  noun: 'month',
  hashMin: 1,
  hashMax: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const WEEKDAY: FieldSpec = {
  name: 'day-of-week',
  min: 0,
  max: 7,
  starMax: 6,
  noun: 'weekday',
  hashMin: 0,
  hashMax: 6,
  names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
};

/** Days in each month of a leap year: the most days a pattern can ever match in it. */
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const FIELDS_HINT = 'expected 5 fields (minute hour day-of-month month day-of-week) or 6 (second first)';

/**
 * Parses a cron expression (syntax in the module comment). `jobId` is what `H` hashes; an expression with
 * `H` and no job id is refused. Throws CronError (kind `expression`) naming the field at fault and what
 * it allows, and for an expression that can never fire, such as `0 0 30 2 *`.
 */
export function parseCron(expression: string, jobId?: string): CronPattern {
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
  // "?" (Quartz) is "no restriction" in a day field: read as "*".
  const domFree = at(3) === '?';
  const dowFree = at(5) === '?';
  const domText = domFree ? '*' : at(3);
  const monText = at(4);
  const dowText = dowFree ? '*' : at(5);
  const idHash = usesHash(source) ? hashOf(jobId, trimmed) : -1;
  // The rules object only when a day field may hold L, W or # ("wed" may bring one for nothing; it is dropped below).
  const rules = DAY_RULE_CHARS.test(domText) || DAY_RULE_CHARS.test(dowText) ? emptyRules() : null;
  const ctx: FieldContext = { expression: trimmed, idHash, rules };

  const secLo = parseField(secText, SECOND, ctx, 0, 29);
  const secHi = parseField(secText, SECOND, ctx, 30, 59);
  const minLo = parseField(minText, MINUTE, ctx, 0, 29);
  const minHi = parseField(minText, MINUTE, ctx, 30, 59);
  const hours = parseField(hourText, HOUR, ctx, 0, 31);
  // Bit d - 1 for day d, then bit 30 copied into bit 31: a 31-bit signed integer.
  const days = (parseField(domText, DAY, ctx, 1, 32) << 1) >> 1;
  const months = parseField(monText, MONTH, ctx, 0, 31);
  const dow = parseField(dowText, WEEKDAY, ctx, 0, 31);
  const domRestricted = domText.charCodeAt(0) !== 42; /* * */
  const dowRestricted = dowText.charCodeAt(0) !== 42;
  const keptRules = rules !== null && (hasMonthDayRules(rules) || rules.lastOf !== 0 || rules.nthOf !== 0 || rules.fifthOf !== 0) ? rules : null;
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
    rules: keptRules,
  };
  // Only "day-of-month AND every weekday" can miss every real date with plain values: with both day fields
  // restricted a weekday always matches soon, and a day-of-month field starting with * includes the 1st.
  // Day rules (31W, L-30) are checked against every month shape.
  const check = keptRules !== null || (domRestricted && !dowRestricted);
  if (check && !(keptRules === null ? someDateMatches(pattern) : someMonthMatches(pattern))) {
    throw invalid(expression, `Cron expression "${trimmed}" never matches a real date: day-of-month "${at(3)}" does not occur in month "${monText}".`);
  }
  return pattern;
}

/**
 * Whether an expression uses `H` (an item starting with it): a cheap test, true exactly when the parse
 * needs a job id, so a cache can key such patterns by expression and job id and all others by expression.
 */
export function usesHash(expression: string): boolean {
  return expression.includes('H') && HASH_ITEM.test(expression);
}

/** An item that starts with H: at the start of a field or after a comma. Day names (tHu) never match. */
const HASH_ITEM = /(?:^|[\s,])H/;
/** Characters that may start a day rule: L and W in either case, #. */
const DAY_RULE_CHARS = /[LlWw#]/;

/** What every field of one expression is parsed with. */
interface FieldContext {
  readonly expression: string;
  /** FNV-1a of the job id, or -1 when the expression has no H. */
  readonly idHash: number;
  /** Where day-field rules are collected, or null when neither day field can hold one. */
  readonly rules: MutableDayRules | null;
}

type MutableDayRules = { -readonly [K in keyof DayRules]: DayRules[K] };

function emptyRules(): MutableDayRules {
  return { fromLast: 0, nearestWeekday: 0, lastWeekday: false, lastOf: 0, nthOf: 0, fifthOf: 0 };
}

function hashOf(jobId: string | undefined, expression: string): number {
  if (typeof jobId !== 'string' || jobId.length === 0) {
    throw invalid(
      expression,
      `Cron expression "${expression}" uses H, a value hashed from the job id, and no job id was given: H is resolved per job (a job's trigger gets its id); to preview it, pass jobId (previewSchedule(spec, { jobId }) or "jobId" in the preview request).`,
    );
  }
  return fnv1a32(jobId);
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

/** Whether some allowed month, in some length it can have and starting on some weekday, has a matching day. */
function someMonthMatches(p: CronPattern): boolean {
  for (let m = 1; m <= 12; m++) {
    if ((p.months & (1 << m)) === 0) continue;
    const longest = MAX_DAYS_IN_MONTH[m] as number;
    for (let length = m === 2 ? 28 : longest; length <= longest; length++) {
      for (let w = 0; w < 7; w++) if (matchingDays(p, w, length) !== 0) return true;
    }
  }
  return false;
}

/**
 * The values of one field from `lo` to `hi` as bits: value v sets bit v - lo. The 60-value fields are
 * parsed once per half, which keeps this simple; field texts are short. Day rules go to `ctx.rules`.
 */
function parseField(text: string, spec: FieldSpec, ctx: FieldContext, lo: number, hi: number): number {
  const expression = ctx.expression;
  const fail = (why: string): never => {
    throw invalid(expression, `Cron expression "${expression}": ${spec.name} field "${text}" ${why}`);
  };
  let bits = 0;
  for (const item of text.split(',')) {
    if (item.length === 0) fail('has an empty list item.');
    if (item === '?') fail('has "?", which stands alone: "?" (no restriction) is a whole day-of-month or day-of-week field.');
    if (ctx.rules !== null && (spec === DAY || spec === WEEKDAY) && dayRule(item, spec, ctx.rules, fail)) continue;
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
    } else if (rangeText.charCodeAt(0) === 72 /* H */) {
      // Jenkins: H over a range picks one value; H/n starts at the range's start + hash mod n.
      const [hashLo, hashHi] = hashRange(rangeText, spec, fail);
      const span = hashHi - hashLo + 1;
      if (step > span) fail(`has "${item}" whose step ${step} is larger than its range ${hashLo}-${hashHi}.`);
      if (ctx.idHash < 0) fail('uses H, but no job id was given to hash.');
      const x = fieldHash(ctx.idHash, HASH_FIELD_INDEX[spec.name as keyof typeof HASH_FIELD_INDEX]);
      if (slash < 0) {
        from = hashLo + (x % span);
        to = from;
      } else {
        from = hashLo + (x % step);
        to = hashHi;
      }
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

/** The range an `H` item hashes into: `H` the field's hash range, `H(a-b)` a to b. */
function hashRange(text: string, spec: FieldSpec, fail: (why: string) => never): [number, number] {
  if (text === 'H') return [spec.hashMin, spec.hashMax];
  const inner = /^H\((\w+)-(\w+)\)$/.exec(text);
  if (inner === null) fail(`has "${text}"; H is written H, H(a-b), H/n or H(a-b)/n.`);
  const a = value((inner as RegExpExecArray)[1] as string, spec, false, false, fail);
  const b = value((inner as RegExpExecArray)[2] as string, spec, true, false, fail);
  if (b < a) fail(`has "${text}" whose range starts after its end; ranges do not wrap.`);
  return [a, b];
}

const DOM_RULE_HINT = 'day-of-month allows L (last day), L-n (n days before it, n 0-30), nW (weekday nearest day n) and LW (last weekday)';
const DOW_RULE_HINT = 'day-of-week allows nL (last n-day of the month, e.g. 5L or FRIL) and n#k (k-th n-day, k 1-5, e.g. MON#1)';

/**
 * A day-field item that is a day rule, recorded in `rules`: true if it was one, false for an ordinary item
 * (including day names such as "wed").
 */
function dayRule(item: string, spec: FieldSpec, rules: MutableDayRules, fail: (why: string) => never): boolean {
  const u = item.toUpperCase();
  if (spec === DAY) {
    if (!/[LW#]/.test(u)) return false;
    if (u === 'L') rules.fromLast |= 1;
    else if (u === 'LW') rules.lastWeekday = true;
    else if (u.startsWith('L-')) {
      const n = integer(u.slice(2));
      if (n === null || n > 30) fail(`has "${item}"; L-n needs n from 0 to 30 (L-2 is 2 days before the last day).`);
      rules.fromLast |= 1 << (n as number);
    } else if (u.endsWith('W') && integer(u.slice(0, -1)) !== null) {
      const n = integer(u.slice(0, -1)) as number;
      if (n < 1 || n > 31) fail(`has "${item}"; nW needs a day from 1 to 31.`);
      rules.nearestWeekday |= 1 << (n - 1);
    } else {
      fail(`has "${item}", which is not a day rule; ${DOM_RULE_HINT}, one day per item (lists such as 1,15,L are fine).`);
    }
    return true;
  }
  const hash = u.indexOf('#');
  if (hash >= 0) {
    const w = ruleWeekday(item.slice(0, hash), item, fail);
    const k = integer(u.slice(hash + 1));
    if (k === null || k < 1 || k > 5) fail(`has "${item}"; n#k needs k from 1 to 5 (MON#1 is the first Monday of the month).`);
    if ((k as number) === 5) rules.fifthOf |= 1 << w;
    else rules.nthOf |= 1 << (7 * ((k as number) - 1) + w);
    return true;
  }
  if (u === 'L') {
    fail(
      `has "L" alone, which is refused: Quartz reads it as Saturday, which is ambiguous; write 6 or SAT for Saturday, or nL for the last n-day of the month (5L, FRIL).`,
    );
  }
  if (u.length > 1 && u.endsWith('L')) {
    rules.lastOf |= 1 << ruleWeekday(item.slice(0, -1), item, fail);
    return true;
  }
  return false;
}

/** The weekday (0-6) before L or # in a day-of-week rule: one number 0-7 or one name. */
function ruleWeekday(text: string, item: string, fail: (why: string) => never): number {
  const n = integer(text);
  if (n !== null) {
    if (n > 7) fail(`has "${item}" with weekday ${n}, out of range 0-7.`);
    return n % 7;
  }
  const index = (WEEKDAY.names as readonly string[]).indexOf(text.toLowerCase());
  if (index < 0) fail(`has "${item}"; ${DOW_RULE_HINT}, one weekday per item (MON#1,FRI#1).`);
  return index;
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
  const rules = spec === DAY ? `; also ${DOM_RULE_HINT}` : spec === WEEKDAY ? `; also ${DOW_RULE_HINT}` : '';
  return fail(`has "${text}", which is not a ${spec.noun}; allowed ${spec.min}-${spec.max}${names}, with *, a-b, */n, a-b/n, H and lists a,b${rules}.`);
}
