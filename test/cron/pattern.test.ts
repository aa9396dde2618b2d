/** Parsing, descriptions and the shared-pattern compiler. */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { describeCron } from '../../src/cron/describe.js';
import { nextCronTime } from '../../src/cron/next.js';
import { parseCron } from '../../src/cron/pattern.js';
import { TimeZone } from '../../src/cron/zone.js';

const utc = new TimeZone('UTC');
const next = (expr: string, from: string): string => new Date(nextCronTime(parseCron(expr), utc, Date.parse(from)) as number).toISOString();

describe('parseCron', () => {
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
    ['0 0 13 * 5', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'], // day 13 OR Friday: Fri Jan 2
    ['0 0 29 2 *', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['5/20 * * * *', '2026-01-01T00:06:00Z', '2026-01-01T00:25:00.000Z'],
  ])('"%s" after %s fires at %s', (expr, from, expected) => {
    expect(next(expr, from)).toBe(expected);
  });

  it('classifies fixed-time and wildcard jobs as cronie does', () => {
    expect(parseCron('30 2 * * *').fixedTime).toBe(true);
    expect(parseCron('0 9,17 * * 1-5').fixedTime).toBe(true);
    expect(parseCron('@daily').fixedTime).toBe(true);
    expect(parseCron('*/15 * * * *').fixedTime).toBe(false);
    expect(parseCron('0 * * * *').fixedTime).toBe(false);
    expect(parseCron('@hourly').fixedTime).toBe(false);
  });

  it.each([
    ['61 * * * *', /minute field "61" is out of range 0-59/],
    ['* 24 * * *', /hour field "24" is out of range 0-23/],
    ['* * 0 * *', /day-of-month field "0" is out of range 1-31/],
    ['* * * 13 *', /month field "13" is out of range 1-12/],
    ['* * * * 8', /day-of-week field "8" is out of range 0-7/],
    ['* * *', /expected 5 fields .* got 3/],
    ['* * * * * * *', /got 7/],
    ['', /empty/],
    ['*/0 * * * *', /step 0, out of range/],
    ['5-1 * * * *', /range 5-1/],
    ['a * * * *', /"a", which is not a value/],
    ['1,,2 * * * *', /empty list item/],
    ['@reboot', /unknown nickname/],
    ['0 0 30 2 *', /never fire/],
    ['0 0 31 4,6,9,11 *', /never fire/],
    ['x'.repeat(300), /at most 256/],
  ])('rejects "%s" with a message naming the problem', (expr, message) => {
    let error: unknown;
    try {
      parseCron(expr);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_TRIGGER', status: 400 });
    expect((error as Error).message).toMatch(message);
  });
});

describe('describeCron', () => {
  it.each([
    ['* * * * *', 'every minute'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['0 * * * *', 'every hour'],
    ['30 2 * * *', 'at 02:30 every day'],
    ['0 9,17 * * 1-5', 'at 09:00 and 17:00 on weekdays'],
    ['0 0 1 * *', 'at 00:00 on day 1 of the month'],
    ['*/10 * * * * *', 'every 10 seconds'],
    ['0 8 * * sat,sun', 'at 08:00 on Sunday and Saturday'],
  ])('"%s" reads "%s"', (expr, text) => {
    expect(describeCron(parseCron(expr))).toBe(text);
  });
});

describe('CronCompiler', () => {
  it('shares one pattern per expression and frees it with its last user', () => {
    const compiler = new CronCompiler();
    const a = compiler.acquire('0 0 * * *');
    const b = compiler.acquire(' 0 0 * * * ');
    expect(a).toBe(b);
    expect(compiler.size).toBe(1);
    compiler.release('0 0 * * *');
    expect(compiler.size).toBe(1);
    compiler.release('0 0 * * *');
    expect(compiler.size).toBe(0);
  });

  it('memoizes the next time per second and zone without changing answers', () => {
    const compiler = new CronCompiler();
    const p = compiler.acquire('0 0 * * *');
    const ny = compiler.zone('America/New_York');
    const berlin = compiler.zone('Europe/Berlin');
    const t = Date.UTC(2026, 5, 1, 12);
    expect(compiler.next(p, ny, t)).toBe(Date.UTC(2026, 5, 2, 4));
    expect(compiler.next(p, ny, t + 500)).toBe(Date.UTC(2026, 5, 2, 4));
    expect(compiler.next(p, berlin, t)).toBe(Date.UTC(2026, 5, 1, 22));
    expect(compiler.next(p, ny, t + 86_400_000)).toBe(Date.UTC(2026, 5, 3, 4));
    expect(compiler.zone('America/New_York')).toBe(ny);
  });
});

describe('iso', () => {
  it('formats like Date.prototype.toISOString across eras, leap days and milliseconds', async () => {
    const { iso } = await import('../../src/triggers/dates.js');
    const samples = [0, -1, 1, 951_782_400_000, 4_107_542_399_999, -62_135_596_800_000, 253_402_300_799_999, Date.UTC(2028, 1, 29, 23, 59, 59, 7)];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.sin(i) * 8e12));
    for (const ms of samples) expect(iso(ms)).toBe(new Date(ms).toISOString());
  });
});
