/** describeCron: short English for the common shapes, field by field for the rest. */
import { describe, expect, it } from 'vitest';
import { describeCron } from '../../src/cron/describe.js';
import { parseCron } from '../../src/cron/pattern.js';

describe('describeCron with H', () => {
  it('words a hashed job as its own fixed values', () => {
    // backup: minute 28, hour 4 (see hash.test.ts).
    expect(describeCron(parseCron('H H(0-5) * * *', 'backup'))).toBe('at 04:28 every day');
    expect(describeCron(parseCron('H/15 * * * *', 'backup'))).toBe(`at minutes 13, 28, 43 and 58 of every hour`);
  });
});

describe('describeCron', () => {
  it.each([
    ['* * * * *', 'every minute'],
    ['*/15 * * * *', 'every 15 minutes'],
    ['0 * * * *', 'every hour'],
    ['@hourly', 'every hour'],
    ['5 * * * *', 'every hour at minute 5'],
    ['0 */2 * * *', 'every 2 hours'],
    ['15 */6 * * *', 'every 6 hours at minute 15'],
    ['0 9-17 * * *', 'every hour from 09:00 to 17:00'],
    ['30 2 * * *', 'at 02:30 every day'],
    ['@daily', 'at 00:00 every day'],
    ['0 9,17 * * 1-5', 'at 09:00 and 17:00 on Monday to Friday'],
    ['0 22 * * mon-fri', 'at 22:00 on Monday to Friday'],
    ['0 8 * * sat,sun', 'at 08:00 on Sunday and Saturday'],
    ['@weekly', 'at 00:00 on Sunday'],
    ['0 0 1 * *', 'at 00:00 on day 1 of every month'],
    ['0 0 1,15 * *', 'at 00:00 on day 1 and 15 of every month'],
    ['@yearly', 'at 00:00 on day 1 of January'],
    ['0 0 * 6-8 *', 'at 00:00 in June to August'],
    ['0 12 * jan,jul mon', 'at 12:00 on Monday in January and July'],
    ['0 0 13 * 5', 'at 00:00 on day 13 of every month or on Friday'],
    ['0 0 */2 * 1', 'at 00:00 on every 2nd day of every month if it is a Monday'],
    ['0 0 L * *', 'at 00:00 on the last day of every month'],
    ['0 0 L 2 *', 'at 00:00 on the last day of February'],
    ['0 0 L-2 * *', 'at 00:00 on the 3rd-to-last day of every month'],
    ['0 0 15W * *', 'at 00:00 on the nearest weekday to the 15th of every month'],
    ['0 0 LW * *', 'at 00:00 on the last weekday of every month'],
    ['0 9 * * 5L', 'at 09:00 on the last Friday of every month'],
    ['0 9 * * MON#1', 'at 09:00 on the first Monday of every month'],
    ['0 9 * 1 MON#2', 'at 09:00 on the second Monday of January'],
    ['0 0 * * 5#5', 'at 00:00 on the fifth Friday of every month'],
    ['0 0 1,15,L * *', 'at 00:00 on the 1st, the 15th and the last day of every month'],
    ['0 0 * * 1,3L', 'at 00:00 on Monday and the last Wednesday of every month'],
    ['0 0 L * 1', 'at 00:00 on the last day of every month or on Monday'],
    ['0 0 */2 * 5L', 'at 00:00 on every 2nd day of every month if it is the last Friday'],
    ['0 0 ? * MON', 'at 00:00 on Monday'],
    ['0 0 1 * ?', 'at 00:00 on day 1 of every month'],
    ['*/10 * * * * *', 'every 10 seconds'],
    ['* * * * * *', 'every second'],
    ['30 15 10 * * *', 'at 10:15:30 every day'],
    ['10 * * * * *', 'at second 10 of every minute'],
    ['*/5 9-17 * * 1-5', 'every 5 minutes during hours 9 to 17 on Monday to Friday'],
    ['5,35 9-17 * * *', 'at minutes 5 and 35 during hours 9 to 17 every day'],
    ['1-5 * * * *', 'at minutes 1 to 5 of every hour'],
    ['0 0,12 1 */3 *', 'every 12 hours on day 1 of January, April, July and October'],
  ])('"%s" reads "%s"', (expr, text) => {
    expect(describeCron(parseCron(expr))).toBe(text);
  });
});
