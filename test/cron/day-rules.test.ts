/**
 * Quartz's day rules (L, L-n, nW, LW, nL, n#k, ?): named cases for each form's edges, and a brute-force
 * check of generated expressions against a matcher written from the definitions, day by day (it also
 * covers L-n, which croner does not accept; the croner comparison is differential-rules.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { nextCronTime } from '../../src/cron/next.js';
import { parseCron } from '../../src/cron/pattern.js';
import { TimeZone } from '../../src/cron/zone.js';
import { prng } from './prng.js';

const utc = new TimeZone('UTC');

/** The dates (YYYY-MM-DD) of the first `count` fires after `from` in UTC. */
function dates(expr: string, from: string, count: number): string[] {
  const p = parseCron(expr);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < count; i++) {
    t = nextCronTime(p, utc, t) as number;
    out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

describe('day rules: named cases', () => {
  it.each([
    ['L is the last day, Feb 29 in a leap year', '0 0 L * *', '2028-01-31T00:00:00Z', ['2028-02-29', '2028-03-31', '2028-04-30']],
    ['L-2 is two days before the last day', '0 0 L-2 * *', '2026-01-01T00:00:00Z', ['2026-01-29', '2026-02-26', '2026-03-29']],
    ['L-0 is L', '0 0 L-0 * *', '2026-01-01T00:00:00Z', ['2026-01-31', '2026-02-28', '2026-03-31']],
    ['L-30 only in 31-day months', '0 0 L-30 * *', '2026-01-02T00:00:00Z', ['2026-03-01', '2026-05-01', '2026-07-01']],
    ['15W on a Sunday moves to Monday the 16th', '0 0 15W 2 *', '2026-01-01T00:00:00Z', ['2026-02-16', '2027-02-15', '2028-02-15']],
    ['15W on a Saturday moves to Friday the 14th', '0 0 15W 8 *', '2026-01-01T00:00:00Z', ['2026-08-14', '2027-08-16', '2028-08-15']],
    ['1W on a Saturday moves forward to Monday the 3rd, not back a month', '0 0 1W 8 *', '2026-01-01T00:00:00Z', ['2026-08-03', '2027-08-02', '2028-08-01']],
    ['31W on a Sunday moves back to Friday the 29th', '0 0 31W 5 *', '2026-01-01T00:00:00Z', ['2026-05-29', '2027-05-31', '2028-05-31']],
    ['31W skips months without a 31st', '0 0 31W * *', '2026-01-01T00:00:00Z', ['2026-01-30', '2026-03-31', '2026-05-29']],
    ['LW is the last Monday-to-Friday', '0 0 LW * *', '2026-01-01T00:00:00Z', ['2026-01-30', '2026-02-27', '2026-03-31', '2026-04-30', '2026-05-29']],
    ['5L is the last Friday', '0 0 * * 5L', '2026-01-01T00:00:00Z', ['2026-01-30', '2026-02-27', '2026-03-27']],
    ['FRIL is 5L', '0 0 * * FRIL', '2026-01-01T00:00:00Z', ['2026-01-30', '2026-02-27', '2026-03-27']],
    ['7L and 0L are the last Sunday', '0 0 * * 7L', '2026-01-01T00:00:00Z', ['2026-01-25', '2026-02-22', '2026-03-29']],
    ['MON#1 is the first Monday', '0 0 * * MON#1', '2026-01-01T00:00:00Z', ['2026-01-05', '2026-02-02', '2026-03-02']],
    ['5#5 skips months without a fifth Friday', '0 0 * * 5#5', '2026-01-01T00:00:00Z', ['2026-01-30', '2026-05-29', '2026-07-31']],
    ['a fifth Monday in February only in a leap year starting on Monday', '0 0 * 2 1#5', '2040-01-01T00:00:00Z', ['2044-02-29']],
    ['lists mix days and rules', '0 0 1,15,L * *', '2026-01-01T00:00:00Z', ['2026-01-15', '2026-01-31', '2026-02-01', '2026-02-15', '2026-02-28']],
    ['lists mix weekdays and rules', '0 0 * * 1,3L', '2026-01-20T00:00:00Z', ['2026-01-26', '2026-01-28', '2026-02-02']],
    ['? in day-of-month is no restriction', '0 0 ? * MON', '2026-01-01T00:00:00Z', ['2026-01-05', '2026-01-12', '2026-01-19']],
    ['? in day-of-week is no restriction', '0 0 1 * ?', '2026-01-01T00:00:00Z', ['2026-02-01', '2026-03-01', '2026-04-01']],
    ['OR rule: L in day-of-month with a restricted day-of-week', '0 0 L * 1', '2026-01-24T00:00:00Z', ['2026-01-26', '2026-01-31', '2026-02-02']],
    ['OR rule: a day with nL', '0 0 1 * 5L', '2026-01-01T00:00:00Z', ['2026-01-30', '2026-02-01', '2026-02-27']],
    [
      'AND rule: */2 in day-of-month starts with *, so with MON#1 both must hold (odd days only)',
      '0 0 */2 * MON#1',
      '2026-01-01T00:00:00Z',
      ['2026-01-05', '2026-06-01'],
    ],
  ] as const)('%s', (_name, expr, from, expected) => {
    expect(dates(expr, from, expected.length)).toEqual(expected);
  });

  it('accepts names and numbers in either case with L and #', () => {
    expect(dates('0 0 * * fril', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-30']);
    expect(dates('0 0 * * sun#2', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-11']);
    expect(dates('0 0 l * *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-31']);
    expect(dates('0 0 lw * *', '2026-01-01T00:00:00Z', 1)).toEqual(['2026-01-30']);
  });

  it('keeps patterns without rules free of a rules object', () => {
    expect(parseCron('0 0 * * wed').rules).toBeNull();
    expect(parseCron('0 0 1 * *').rules).toBeNull();
    expect(parseCron('0 0 L * *').rules).not.toBeNull();
  });
});

// --- Brute force: the definitions, one day at a time. ---

const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}
function weekdayOf(y: number, m: number, d: number): number {
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}
/** Quartz's W, written independently: the weekday nearest day n of the month, never leaving it. */
function nearest(y: number, m: number, n: number): number {
  const len = daysIn(y, m);
  const w = weekdayOf(y, m, n);
  if (w === 6) return n === 1 ? 3 : n - 1;
  if (w === 0) return n === len ? n - 2 : n + 1;
  return n;
}

function domItemMatches(item: string, y: number, m: number, d: number): boolean {
  const len = daysIn(y, m);
  if (item === 'L') return d === len;
  if (item === 'LW') return d === nearest(y, m, len);
  if (item.startsWith('L-')) return d === len - Number(item.slice(2));
  if (item.endsWith('W')) {
    const n = Number(item.slice(0, -1));
    return n <= len && d === nearest(y, m, n);
  }
  return d === Number(item);
}

function dowItemMatches(item: string, y: number, m: number, d: number): boolean {
  const w = weekdayOf(y, m, d);
  const num = (t: string): number => (WEEKDAY_NAMES.includes(t) ? WEEKDAY_NAMES.indexOf(t) : Number(t) % 7);
  if (item.endsWith('L')) return num(item.slice(0, -1)) === w && d + 7 > daysIn(y, m);
  if (item.includes('#')) {
    const [day, k] = item.split('#') as [string, string];
    return num(day) === w && Math.ceil(d / 7) === Number(k);
  }
  return num(item) === w;
}

function randomDom(rand: () => number): string {
  const pick = (): string => {
    const r = rand();
    if (r < 0.25) return 'L';
    if (r < 0.4) return `L-${Math.floor(rand() * 31)}`;
    if (r < 0.6) return `${1 + Math.floor(rand() * 31)}W`;
    if (r < 0.7) return 'LW';
    return String(1 + Math.floor(rand() * 31));
  };
  const n = 1 + Math.floor(rand() * 3);
  return Array.from({ length: n }, pick).join(',');
}

function randomDow(rand: () => number): string {
  const pick = (): string => {
    const w = Math.floor(rand() * 8);
    const name = rand() < 0.3 ? (WEEKDAY_NAMES[w % 7] as string) : String(w);
    const r = rand();
    if (r < 0.4) return `${name}L`;
    if (r < 0.8) return `${name}#${1 + Math.floor(rand() * 5)}`;
    return name;
  };
  const n = 1 + Math.floor(rand() * 3);
  return Array.from({ length: n }, pick).join(',');
}

describe('day rules: brute force over two years', () => {
  const rand = prng(20260420);
  const cases: string[] = [];
  while (cases.length < 300) {
    const r = rand();
    const dom = r < 0.4 ? randomDom(rand) : r < 0.6 ? '*' : r < 0.7 ? '?' : randomDom(rand);
    const dow = r < 0.4 ? '*' : r < 0.6 ? randomDow(rand) : r < 0.7 ? randomDow(rand) : rand() < 0.5 ? randomDow(rand) : '?';
    const month = rand() < 0.7 ? '*' : String(1 + Math.floor(rand() * 12));
    cases.push(`0 12 ${dom} ${month} ${dow}`);
  }

  it('every day of 2026-2027 matches the definitions, for 300 generated expressions', () => {
    const mismatches: string[] = [];
    let checked = 0;
    for (const expr of cases) {
      let p;
      try {
        p = parseCron(expr);
      } catch (error) {
        // Only "never matches a real date" may be refused (31W or L-30 in February alone).
        expect(String(error)).toMatch(/never matches a real date/);
        continue;
      }
      const [, , dom, month, dow] = expr.split(' ') as [string, string, string, string, string];
      const domFree = dom === '*' || dom === '?';
      const dowFree = dow === '*' || dow === '?';
      const expected: string[] = [];
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2028, 0, 1); t += 86_400_000) {
        const date = new Date(t);
        const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
        if (month !== '*' && Number(month) !== m) continue;
        const byDom = domFree || dom.split(',').some((i) => domItemMatches(i, y, m, d));
        const byDow = dowFree || dow.split(',').some((i) => dowItemMatches(i, y, m, d));
        // Vixie: both restricted is OR, else AND (the free field matches every day).
        if (!domFree && !dowFree ? byDom || byDow : byDom && byDow) expected.push(date.toISOString().slice(0, 10));
      }
      const actual: string[] = [];
      for (let t = nextCronTime(p, utc, Date.UTC(2025, 11, 31, 23)); t !== null && t < Date.UTC(2028, 0, 1); t = nextCronTime(p, utc, t)) {
        actual.push(new Date(t).toISOString().slice(0, 10));
      }
      checked++;
      if (actual.join() !== expected.join()) mismatches.push(`${expr}: ours ${actual.slice(0, 5).join(' ')}..., expected ${expected.slice(0, 5).join(' ')}...`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(250);
  });
});
