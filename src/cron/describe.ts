/**
 * Short English for a cron pattern, for JobInfo and the dashboard: "every 15 minutes",
 * "at 02:30 every day", "at 09:00 and 17:00 on Monday to Friday", "at 00:00 on day 1 of every month",
 * "at 00:00 on the last day of every month", "at 09:00 on the first Monday of every month".
 * Patterns with no short reading are described field by field ("at minutes 5 and 35 during hours 9 to 17").
 * `H` is resolved before a pattern exists, so a hashed job reads as its own fixed values.
 */
import type { DayRules } from './day-rules.js';
import type { CronPattern } from './pattern.js';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = ['', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** Most fixed times listed one by one ("at 09:00, 12:00 and 17:00") before describing field by field. */
const MAX_LISTED_TIMES = 6;

/** The values from `min` to `max` whose bit (value - base) is set in `mask`. */
function values(mask: number, min: number, max: number, base: number): number[] {
  const out: number[] = [];
  for (let v = min; v <= max; v++) if ((mask & (1 << (v - base))) !== 0) out.push(v);
  return out;
}

function values60(lo: number, hi: number): number[] {
  return [...values(lo, 0, 29, 0), ...values(hi, 30, 59, 30)];
}

/** n when the list is min, min + n, min + 2n ... up to the last that fits (n > 1), else 0. */
function uniformStep(list: readonly number[], min: number, max: number): number {
  if (list.length < 2 || list[0] !== min) return 0;
  const step = (list[1] as number) - min;
  if (step < 2 || list.length !== Math.floor((max - min) / step) + 1) return 0;
  return list.every((v, i) => v === min + i * step) ? step : 0;
}

function joinAnd(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] as string}`;
}

/** Runs of three or more consecutive values become ranges: [1,2,3,4,5] -> "Monday to Friday". */
function ranges(list: readonly number[], name: (v: number) => string): string {
  return joinAnd(rangeParts(list, name));
}

function rangeParts(list: readonly number[], name: (v: number) => string): string[] {
  const parts: string[] = [];
  for (let i = 0; i < list.length;) {
    let j = i;
    while (j + 1 < list.length && (list[j + 1] as number) === (list[j] as number) + 1) j++;
    if (j - i >= 2) {
      parts.push(`${name(list[i] as number)} to ${name(list[j] as number)}`);
    } else {
      for (let k = i; k <= j; k++) parts.push(name(list[k] as number));
    }
    i = j + 1;
  }
  return parts;
}

const pad = (n: number): string => String(n).padStart(2, '0');
const plural = (n: number, unit: string): string => (n === 1 ? unit : `${unit}s`);

function ordinal(n: number): string {
  const lastTwo = n % 100;
  if (lastTwo >= 11 && lastTwo <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/** The time of day: "every 15 minutes", "at 02:30", "every 2 hours at minute 5". */
function describeTime(p: CronPattern): string {
  const seconds = values60(p.secLo, p.secHi);
  const minutes = values60(p.minLo, p.minHi);
  const hours = values(p.hours, 0, 23, 0);
  const allMinutes = minutes.length === 60;
  const allHours = hours.length === 24;
  const secondStep = uniformStep(seconds, 0, 59);
  const minuteStep = uniformStep(minutes, 0, 59);
  const hourStep = uniformStep(hours, 0, 23);
  const onTheMinute = seconds.length === 1 && seconds[0] === 0;

  if (seconds.length === 60 && allMinutes && allHours) return 'every second';
  if (secondStep > 0 && allMinutes && allHours) return `every ${secondStep} seconds`;
  if (onTheMinute) {
    if (allMinutes && allHours) return 'every minute';
    if (minuteStep > 0 && allHours) return `every ${minuteStep} minutes`;
    const minute = minutes.length === 1 ? (minutes[0] as number) : -1;
    if (minute >= 0 && allHours) return minute === 0 ? 'every hour' : `every hour at minute ${minute}`;
    if (minute >= 0 && hourStep > 0) return minute === 0 ? `every ${hourStep} hours` : `every ${hourStep} hours at minute ${minute}`;
    const first = hours[0] as number;
    const last = hours[hours.length - 1] as number;
    if (minute >= 0 && hours.length >= 3 && last - first === hours.length - 1) {
      return `every hour from ${pad(first)}:${pad(minute)} to ${pad(last)}:${pad(minute)}`;
    }
  }
  if (seconds.length === 1 && minutes.length * hours.length <= MAX_LISTED_TIMES) {
    const sec = onTheMinute ? '' : `:${pad(seconds[0] as number)}`;
    const times: string[] = [];
    for (const h of hours) for (const m of minutes) times.push(`${pad(h)}:${pad(m)}${sec}`);
    return `at ${joinAnd(times)}`;
  }
  // Field by field.
  const parts: string[] = [];
  if (seconds.length === 60) parts.push('every second');
  else if (secondStep > 0) parts.push(`every ${secondStep} seconds`);
  else if (!onTheMinute) parts.push(`at ${plural(seconds.length, 'second')} ${ranges(seconds, String)}`);
  const lead = parts.length === 0 ? 'at' : 'of';
  if (allMinutes) {
    if (parts.length === 0) parts.push('every minute');
    else if (secondStep === 0 && seconds.length < 60) parts.push('of every minute');
  } else if (minuteStep > 0) {
    parts.push(parts.length === 0 ? `every ${minuteStep} minutes` : `of every ${ordinal(minuteStep)} minute`);
  } else {
    parts.push(`${lead} ${plural(minutes.length, 'minute')} ${ranges(minutes, String)}`);
  }
  if (hourStep > 0) parts.push(`every ${hourStep} hours`);
  else if (!allHours) parts.push(`during ${plural(hours.length, 'hour')} ${ranges(hours, String)}`);
  else if (!allMinutes && minuteStep === 0) parts.push('of every hour');
  return parts.join(' ');
}

const NTH = ['first', 'second', 'third', 'fourth', 'fifth'];

/** The bits set in `mask` (from bit 0), as numbers. */
function bitsOf(mask: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < 31; b++) if ((mask & (1 << b)) !== 0) out.push(b);
  return out;
}

/** The day-of-month rules as phrases: "the last day", "the 3rd-to-last day" (L-2), "the nearest weekday to the 15th", "the last weekday". */
function monthDayRuleParts(r: DayRules): string[] {
  const parts = bitsOf(r.fromLast).map((n) => (n === 0 ? 'the last day' : `the ${ordinal(n + 1)}-to-last day`));
  for (const b of bitsOf(r.nearestWeekday)) parts.push(`the nearest weekday to the ${ordinal(b + 1)}`);
  if (r.lastWeekday) parts.push('the last weekday');
  return parts;
}

/** The day-of-week rules as phrases: "the first Monday", "the fifth Friday", "the last Friday". */
function weekdayRuleParts(r: DayRules): string[] {
  const parts: string[] = [];
  for (const b of bitsOf(r.nthOf)) parts.push(`the ${NTH[Math.floor(b / 7)] as string} ${DAY_NAMES[b % 7] as string}`);
  for (const w of bitsOf(r.fifthOf)) parts.push(`the fifth ${DAY_NAMES[w] as string}`);
  for (const w of bitsOf(r.lastOf)) parts.push(`the last ${DAY_NAMES[w] as string}`);
  return parts;
}

/** The days: "on day 1 of every month", "on Monday to Friday", "in January", or "" for every day. */
function describeDays(p: CronPattern): string {
  const days = values(p.days, 1, 31, 1);
  const months = values(p.months, 1, 12, 0);
  const weekdays = values(p.weekdays, 0, 6, 0);
  const allMonths = months.length === 12;
  const monthNames = ranges(months, (m) => MONTH_NAMES[m] as string);
  const ofMonths = allMonths ? 'of every month' : `of ${monthNames}`;
  const rules = p.rules;
  const domRules = rules === null ? [] : monthDayRuleParts(rules);
  const dowRules = rules === null ? [] : weekdayRuleParts(rules);
  let domText: string;
  if (domRules.length > 0) {
    // With rules, plain days read as ordinals too: "the 1st, the 15th and the last day".
    domText = joinAnd([...rangeParts(days, (d) => `the ${ordinal(d)}`), ...domRules]);
  } else {
    const dayStep = uniformStep(days, 1, 31);
    domText = days.length === 31 ? '' : dayStep > 0 ? `every ${ordinal(dayStep)} day` : `day ${ranges(days, String)}`;
  }
  const dowText = weekdays.length === 7 ? '' : joinAnd([...rangeParts(weekdays, (d) => DAY_NAMES[d] as string), ...dowRules]);
  if (domText !== '' && dowText !== '') {
    // Vixie: both restricted is "either"; a day-of-month starting with * (like */2) and a weekday is "both".
    const joiner = p.domRestricted && p.dowRestricted ? 'or on' : 'if it is';
    const article = joiner === 'if it is' && dowRules.length === 0 ? ' a' : '';
    return `on ${domText} ${ofMonths} ${joiner}${article} ${dowText}`;
  }
  if (domText !== '') return `on ${domText} ${ofMonths}`;
  // "the first Monday" needs its month; "Monday" alone does not.
  if (dowText !== '') return dowRules.length > 0 ? `on ${dowText} ${ofMonths}` : allMonths ? `on ${dowText}` : `on ${dowText} in ${monthNames}`;
  return allMonths ? '' : `in ${monthNames}`;
}

/** Short English for a pattern, e.g. "at 09:00 and 17:00 on Monday to Friday". */
export function describeCron(pattern: CronPattern): string {
  const time = describeTime(pattern);
  const days = describeDays(pattern);
  // "at 02:30" and "during hours 9 to 17" name times of a day; "every 15 minutes" needs no "every day".
  if (days === '') return /^at \d\d:\d\d/.test(time) || time.includes(' during hour') ? `${time} every day` : time;
  return `${time} ${days}`;
}
