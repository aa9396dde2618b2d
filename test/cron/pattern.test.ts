/** Parsing cron expressions: every syntax form, names, nicknames, the DST classification, and bad input. */
import { describe, expect, it } from 'vitest';
import { nextCronTime } from '../../src/cron/next.js';
import { parseCron, type CronPattern } from '../../src/cron/pattern.js';
import { TimeZone } from '../../src/cron/zone.js';
import { CronError } from '../../src/cron/cron-error.js';

const utc = new TimeZone('UTC');
const next = (expr: string, from: string): string => new Date(nextCronTime(parseCron(expr), utc, Date.parse(from)) as number).toISOString();

/** The values a pattern allows, field by field, read back from its bit masks. */
function fields(p: CronPattern): Record<'second' | 'minute' | 'hour' | 'dom' | 'month' | 'dow', number[]> {
  const list = (test: (v: number) => boolean, min: number, max: number): number[] => {
    const out: number[] = [];
    for (let v = min; v <= max; v++) if (test(v)) out.push(v);
    return out;
  };
  const bit = (mask: number, b: number): boolean => (mask & (1 << b)) !== 0;
  return {
    second: list((v) => (v < 30 ? bit(p.secLo, v) : bit(p.secHi, v - 30)), 0, 59),
    minute: list((v) => (v < 30 ? bit(p.minLo, v) : bit(p.minHi, v - 30)), 0, 59),
    hour: list((v) => bit(p.hours, v), 0, 23),
    dom: list((v) => bit(p.days, v - 1), 1, 31),
    month: list((v) => bit(p.months, v), 1, 12),
    dow: list((v) => bit(p.weekdays, v), 0, 6),
  };
}

const range = (a: number, b: number, step = 1): number[] => {
  const out: number[] = [];
  for (let v = a; v <= b; v += step) out.push(v);
  return out;
};

describe('parseCron syntax', () => {
  it('reads five fields as minute hour day-of-month month day-of-week, with second 0', () => {
    const p = parseCron('5 4 3 2 1');
    expect(fields(p)).toEqual({ second: [0], minute: [5], hour: [4], dom: [3], month: [2], dow: [1] });
    expect(p.seconds).toBe(false);
    expect(p.expression).toBe('5 4 3 2 1');
  });

  it('reads six fields with the second first', () => {
    const p = parseCron('6 5 4 3 2 1');
    expect(fields(p)).toEqual({ second: [6], minute: [5], hour: [4], dom: [3], month: [2], dow: [1] });
    expect(p.seconds).toBe(true);
  });

  it.each([
    ['*', 'minute', range(0, 59)],
    ['*/15', 'minute', [0, 15, 30, 45]],
    ['*/7', 'minute', [0, 7, 14, 21, 28, 35, 42, 49, 56]],
    ['10-20', 'minute', range(10, 20)],
    ['10-20/5', 'minute', [10, 15, 20]],
    ['5/20', 'minute', [5, 25, 45]],
    ['1,2,40-42,59', 'minute', [1, 2, 40, 41, 42, 59]],
    ['0-59/30', 'minute', [0, 30]],
    ['29,30', 'minute', [29, 30]],
  ] as const)('minute field "%s" allows the listed minutes', (text, name, expected) => {
    expect(fields(parseCron(`${text} * * * *`))[name]).toEqual(expected);
  });

  it('accepts every form in every field', () => {
    expect(fields(parseCron('*/20 1-5/2 */10 2/5 1-3 *'))).toMatchObject({
      second: [0, 20, 40],
      minute: [1, 3, 5],
      hour: [0, 10, 20],
      dom: [2, 7, 12, 17, 22, 27],
      month: [1, 2, 3],
    });
    expect(fields(parseCron('* * * * *')).dom).toEqual(range(1, 31));
    expect(fields(parseCron('0 0 31 * *')).dom).toEqual([31]);
    expect(fields(parseCron('0 0 30 * *')).dom).toEqual([30]);
    expect(fields(parseCron('0 0 1,30,31 * *')).dom).toEqual([1, 30, 31]);
  });

  it('reads month and day names in any case', () => {
    expect(fields(parseCron('0 0 1 jan,JUL,Dec *')).month).toEqual([1, 7, 12]);
    expect(fields(parseCron('0 0 1 feb-apr *')).month).toEqual([2, 3, 4]);
    expect(fields(parseCron('0 0 * * Mon-FRI')).dow).toEqual([1, 2, 3, 4, 5]);
    expect(fields(parseCron('0 0 * * sun,sat')).dow).toEqual([0, 6]);
    expect(fields(parseCron('0 0 * * mon/2')).dow).toEqual([1, 3, 5]);
  });

  it('reads day-of-week 7 as Sunday, also at the end of a range', () => {
    expect(fields(parseCron('0 0 * * 7')).dow).toEqual([0]);
    expect(fields(parseCron('0 0 * * 5-7')).dow).toEqual([0, 5, 6]);
    expect(fields(parseCron('0 0 * * fri-sun')).dow).toEqual([0, 5, 6]);
    expect(fields(parseCron('0 0 * * 0-7')).dow).toEqual(range(0, 6));
    expect(fields(parseCron('0 0 * * */2')).dow).toEqual([0, 2, 4, 6]);
  });

  it.each([
    ['@yearly', '0 0 1 1 *'],
    ['@annually', '0 0 1 1 *'],
    ['@monthly', '0 0 1 * *'],
    ['@weekly', '0 0 * * 0'],
    ['@daily', '0 0 * * *'],
    ['@midnight', '0 0 * * *'],
    ['@hourly', '0 * * * *'],
    ['@DAILY', '0 0 * * *'],
  ])('nickname %s means "%s"', (nickname, expansion) => {
    const p = parseCron(nickname);
    const e = parseCron(expansion);
    expect({ ...p, expression: '' }).toEqual({ ...e, expression: '' });
    expect(p.expression).toBe(nickname);
  });

  it('splits fields on any run of spaces and tabs and trims the ends', () => {
    const p = parseCron(' \t 30\t\t2 *  * \tmon ');
    expect(p.expression).toBe('30\t\t2 *  * \tmon');
    expect(fields(p)).toMatchObject({ minute: [30], hour: [2], dow: [1] });
  });

  it('marks the day fields restricted only when they do not start with *', () => {
    expect(parseCron('0 0 1 * 1')).toMatchObject({ domRestricted: true, dowRestricted: true });
    expect(parseCron('0 0 * * 1')).toMatchObject({ domRestricted: false, dowRestricted: true });
    expect(parseCron('0 0 */2 * *')).toMatchObject({ domRestricted: false, dowRestricted: false });
  });

  it('classifies fixed-time and wildcard jobs as cronie does', () => {
    expect(parseCron('30 2 * * *').fixedTime).toBe(true);
    expect(parseCron('0 9,17 * * 1-5').fixedTime).toBe(true);
    expect(parseCron('*/10 30 2 * * *').fixedTime).toBe(true); // the seconds field does not count
    expect(parseCron('@daily').fixedTime).toBe(true);
    expect(parseCron('@weekly').fixedTime).toBe(true);
    expect(parseCron('*/15 * * * *').fixedTime).toBe(false);
    expect(parseCron('0 * * * *').fixedTime).toBe(false);
    expect(parseCron('*/30 2 * * *').fixedTime).toBe(false);
    expect(parseCron('0 */2 * * *').fixedTime).toBe(false);
    expect(parseCron('@hourly').fixedTime).toBe(false);
  });

  it('keeps every mask a small integer (stored inline by V8)', () => {
    for (const e of ['* * * * * *', '0 0 31 * *', '0 0 30 * *', '59 59 23 31 12 6', '0 0 1,31 * 0,7']) {
      const p = parseCron(e);
      for (const v of [p.secLo, p.secHi, p.minLo, p.minHi, p.hours, p.days, p.months, p.weekdays]) {
        expect(v >= -(2 ** 30) && v < 2 ** 30, `${e}: ${v}`).toBe(true);
      }
    }
  });
});

describe('parseCron next times in UTC', () => {
  it.each([
    ['*/15 * * * *', '2026-01-01T00:07:00Z', '2026-01-01T00:15:00.000Z'],
    ['0 9-17/4 * * *', '2026-01-01T10:00:00Z', '2026-01-01T13:00:00.000Z'],
    ['30 2 * * mon-fri', '2026-01-02T03:00:00Z', '2026-01-05T02:30:00.000Z'], // Fri -> Mon
    ['0 0 * * 7', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'], // 7 = Sunday
    ['0 0 * * fri-sun', '2026-01-03T12:00:00Z', '2026-01-04T00:00:00.000Z'],
    ['0 0 1 jan,JUL *', '2026-01-02T00:00:00Z', '2026-07-01T00:00:00.000Z'],
    ['*/10 * * * * *', '2026-01-01T00:00:01Z', '2026-01-01T00:00:10.000Z'],
    ['@daily', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['@HOURLY', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00.000Z'],
    ['@weekly', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    ['@yearly', '2026-01-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 13 * 5', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'], // day 13 OR Friday: Fri Jan 2
    ['0 0 13 * 5', '2026-02-06T00:00:00Z', '2026-02-13T00:00:00.000Z'], // Friday the 13th either way
    ['0 0 */2 * 1', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00.000Z'], // dom starts with *: odd days AND Monday
    ['0 0 29 2 *', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 31 * *', '2026-02-01T00:00:00Z', '2026-03-31T00:00:00.000Z'],
    ['5/20 * * * *', '2026-01-01T00:06:00Z', '2026-01-01T00:25:00.000Z'],
    ['59 59 23 31 12 *', '2026-06-01T00:00:00Z', '2026-12-31T23:59:59.000Z'],
    ['* * * * *', '2026-12-31T23:59:30Z', '2027-01-01T00:00:00.000Z'],
  ])('"%s" after %s fires at %s', (expr, from, expected) => {
    expect(next(expr, from)).toBe(expected);
  });

  it('returns the first whole second strictly after a fractional instant', () => {
    const p = parseCron('* * * * * *');
    expect(nextCronTime(p, utc, 1_000.5)).toBe(2_000);
    expect(nextCronTime(p, utc, 999.9)).toBe(1_000);
    expect(nextCronTime(p, utc, 1_000)).toBe(2_000);
    expect(nextCronTime(p, utc, -0.5)).toBe(0);
    expect(nextCronTime(parseCron('0 * * * *'), utc, 3_599_999.999)).toBe(3_600_000);
  });

  it('returns null for instants it cannot search from', () => {
    const p = parseCron('* * * * *');
    expect(nextCronTime(p, utc, Number.NaN)).toBeNull();
    expect(nextCronTime(p, utc, Number.POSITIVE_INFINITY)).toBeNull();
    expect(nextCronTime(p, utc, 8.64e15)).toBeNull();
    expect(nextCronTime(parseCron('0 0 1 1 *'), utc, 8.64e15 - 86_400_000)).toBeNull();
  });

  it('works before 1970', () => {
    expect(next('30 2 * * mon', '1969-12-31T00:00:00Z')).toBe('1970-01-05T02:30:00.000Z');
    expect(next('0 0 29 2 *', '1899-01-01T00:00:00Z')).toBe('1904-02-29T00:00:00.000Z'); // 1900 was not a leap year
  });
});

describe('parseCron rejects bad expressions with a CronError, naming the field', () => {
  const cases: [string, unknown, RegExp][] = [
    ['a minute above 59', '61 * * * *', /^Cron expression "61 \* \* \* \*": minute field "61" is out of range 0-59\.$/],
    ['a second above 59', '60 * * * * *', /second field "60" is out of range 0-59/],
    ['an hour above 23', '* 24 * * *', /hour field "24" is out of range 0-23/],
    ['day of month 0', '* * 0 * *', /day-of-month field "0" is out of range 1-31/],
    ['day of month 32', '* * 32 * *', /day-of-month field "32" is out of range 1-31/],
    ['month 13', '* * * 13 *', /month field "13" is out of range 1-12/],
    ['month 0', '* * * 0 *', /month field "0" is out of range 1-12/],
    ['day of week 8', '* * * * 8', /day-of-week field "8" is out of range 0-7/],
    ['a range end out of range', '* 1-24 * * *', /hour field "1-24" has 24, out of range 0-23/],
    ['a list item out of range', '5,75 * * * *', /minute field "5,75" has 75, out of range 0-59/],
    ['three fields', '* * *', /expected 5 fields \(minute hour day-of-month month day-of-week\) or 6 \(second first\), got 3/],
    ['seven fields', '* * * * * * *', /got 7/],
    ['an empty string', '', /empty/],
    ['only spaces', '   \t ', /empty/],
    ['a number', 5, /must be a string/],
    ['null', null, /must be a string such as "\*\/15 \* \* \* \*", got null/],
    ['a step of 0', '*/0 * * * *', /minute field "\*\/0" has step 0, out of range 1-60/],
    ['a step too large', '* */25 * * *', /hour field "\*\/25" has step 25, out of range 1-24/],
    ['a step that is not a number', '*/x * * * *', /minute field "\*\/x" has step "x"/],
    ['two steps', '*/2/3 * * * *', /minute field "\*\/2\/3" has step "2\/3"/],
    ['a reversed range', '5-1 * * * *', /minute field "5-1" has range 5-1 whose start is after its end/],
    ['a wrapping day range', '0 0 * * fri-mon', /day-of-week field "fri-mon" has range 5-1/],
    ['a word', 'a * * * *', /minute field "a" has "a", which is not a minute; allowed 0-59/],
    ['a month name in the weekday field', '0 0 * * jan', /day-of-week field "jan" has "jan", which is not a weekday; allowed 0-7 or sun-sat/],
    ['a full day name', '0 0 * * monday', /day-of-week field "monday" has "monday"/],
    ['a negative number', '-5 * * * *', /minute field "-5" has "-5", which is not a minute/],
    ['a question mark outside the day fields', '? * * * *', /minute field "\?" has "\?", which stands alone/],
    ['a question mark in a list', '0 0 1,? * *', /day-of-month field "1,\?" has "\?", which stands alone/],
    ['L alone in day-of-week (Quartz: Saturday)', '0 0 * * L', /day-of-week field "L" has "L" alone, which is refused/],
    ['a sixth weekday of the month', '0 0 * * MON#6', /day-of-week field "MON#6" has "MON#6"; n#k needs k from 1 to 5/],
    ['a zeroth weekday of the month', '0 0 * * 1#0', /n#k needs k from 1 to 5/],
    ['a range before #', '0 0 * * 1-5#2', /one weekday per item/],
    ['a weekday above 7 before L', '0 0 * * 8L', /weekday 8, out of range 0-7/],
    ['L with a step', '0 0 L/2 * *', /day-of-month field "L\/2" has "L\/2", which is not a day rule/],
    ['L-31', '0 0 L-31 * *', /L-n needs n from 0 to 30/],
    ['0W', '0 0 0W * *', /nW needs a day from 1 to 31/],
    ['W alone', '0 0 W * *', /which is not a day rule/],
    ['# in day-of-month', '0 0 1#2 * *', /which is not a day rule/],
    ['31W in February only', '0 0 31W 2 *', /never matches a real date/],
    ['L-30 in February only', '0 0 L-30 2 *', /never matches a real date/],
    ['H without a job id', 'H 2 * * *', /uses H, a value hashed from the job id, and no job id was given.*pass jobId/],
    ['an empty list item', '1,,2 * * * *', /minute field "1,,2" has an empty list item/],
    ['a trailing comma', '* * * * 1,', /day-of-week field "1," has an empty list item/],
    ['a decimal', '1.5 * * * *', /minute field "1.5"/],
    ['a newline inside a field', '0 0\n* * * *', /hour field "0\n\*" has "0\n\*"/],
    ['@reboot', '@reboot', /"@reboot" is not a known nickname.*@reboot has no meaning/],
    ['an unknown nickname', '@fortnightly', /not a known nickname; allowed: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly/],
    ['February 30', '0 0 30 2 *', /"0 0 30 2 \*" never matches a real date: day-of-month "30" does not occur in month "2"/],
    ['day 31 of 30-day months', '0 0 31 4,6,9,11 *', /never matches a real date/],
    ['February 30 and 31 by name', '0 0 30,31 feb *', /never matches a real date/],
    ['a 257-character expression', `${'0,'.repeat(124)}0 * * * *`, /257 characters long; at most 256/],
  ];

  it.each(cases)('%s', (_name, expr, message) => {
    let error: unknown;
    try {
      parseCron(expr as string);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CronError);
    expect(error).toMatchObject({ kind: 'expression', input: expr });
    expect((error as Error).message).toMatch(message);
  });

  it('accepts what looks close to invalid but is not', () => {
    expect(() => parseCron('0 0 29 2 *')).not.toThrow(); // leap years
    expect(() => parseCron('0 0 30 2 1')).not.toThrow(); // day 30 OR Monday: Mondays in February
    expect(() => parseCron('0 0 31 2,3 *')).not.toThrow(); // March 31
    expect(() => parseCron('*/60 * * * *')).not.toThrow(); // minute 0 only
    expect(() => parseCron(`${'0,'.repeat(123)}00 * * * *`)).not.toThrow(); // 256 characters
  });
});

describe('iso', () => {
  it('formats like Date.prototype.toISOString across eras, leap days and milliseconds', async () => {
    const { iso } = await import('../../src/core/format.js');
    const samples = [0, -1, 1, 951_782_400_000, 4_107_542_399_999, -62_135_596_800_000, 253_402_300_799_999, Date.UTC(2028, 1, 29, 23, 59, 59, 7)];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.sin(i) * 8e12));
    for (const ms of samples) expect(iso(ms)).toBe(new Date(ms).toISOString());
  });
});
