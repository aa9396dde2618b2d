/**
 * calendarInterval: APScheduler 3.11's CalendarIntervalTrigger semantics (month ends, leap days, mixed
 * units) with cron's fixed-time DST policy (once in a gap at the transition, first occurrence in an overlap).
 */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { createTrigger } from '../../src/triggers/create.js';
import { previewFires } from '../../src/triggers/preview.js';
import type { Trigger, TriggerSpec } from '../../src/core/trigger.js';
import { prng } from '../cron/prng.js';

const REFERENCE = Date.UTC(2026, 0, 1);
const env = { nowMs: REFERENCE, defaultTimezone: 'UTC', compiler: new CronCompiler() };

function make(spec: Record<string, unknown>): Trigger {
  return createTrigger({ type: 'calendarInterval', timezone: 'UTC', ...spec }, env);
}

/** The next `n` fires from `fromMs` (exclusive), as ISO strings. */
function fires(trigger: Trigger, n: number, fromMs = REFERENCE - 1): string[] {
  const out: string[] = [];
  let after = fromMs;
  for (let i = 0; i < n; i++) {
    const t = trigger.next(after);
    if (t === null) break;
    out.push(new Date(t).toISOString());
    after = t;
  }
  return out;
}

function errorOf(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('calendarInterval: month ends', () => {
  // docs/semantics.md#calendar-intervals
  it('month_end_31st: every month from January 31 skips the months without a 31st', () => {
    const t = make({ months: 1, hour: 9, startDate: '2026-01-31' });
    expect(fires(t, 5)).toEqual([
      '2026-01-31T09:00:00.000Z',
      '2026-03-31T09:00:00.000Z',
      '2026-05-31T09:00:00.000Z',
      '2026-07-31T09:00:00.000Z',
      '2026-08-31T09:00:00.000Z',
    ]);
  });

  it('month_end_30th: every 2 months from the 30th skips February only', () => {
    const t = make({ months: 2, startDate: '2025-12-30' });
    expect(fires(t, 4, Date.UTC(2025, 11, 1))).toEqual([
      '2025-12-30T00:00:00.000Z',
      '2026-04-30T00:00:00.000Z', // 2026-02-30 does not exist
      '2026-06-30T00:00:00.000Z',
      '2026-08-30T00:00:00.000Z',
    ]);
  });

  it('months_then_days: months are added keeping the day, then days (APScheduler order), drifting from the 31st', () => {
    const t = make({ months: 1, days: 1, startDate: '2026-01-31' });
    // Jan 31 + 1 month = Feb 31 (none) -> Mar 31, + 1 day = Apr 1; Apr 1 -> May 1 + 1 = May 2; ...
    expect(fires(t, 4)).toEqual(['2026-01-31T00:00:00.000Z', '2026-04-01T00:00:00.000Z', '2026-05-02T00:00:00.000Z', '2026-06-03T00:00:00.000Z']);
    // Asked from further on (a restart), the same sequence.
    expect(fires(t, 2, Date.UTC(2026, 4, 2, 12))).toEqual(['2026-06-03T00:00:00.000Z', '2026-07-04T00:00:00.000Z']);
    expect(fires(t, 1, Date.UTC(2026, 0, 31, 12))).toEqual(['2026-04-01T00:00:00.000Z']);
  });
});

describe('calendarInterval: leap years', () => {
  it('leap_day_yearly: every year from February 29 fires in leap years only', () => {
    const t = make({ years: 1, hour: 12, startDate: '2024-02-29' });
    expect(fires(t, 3, Date.UTC(2024, 0, 1))).toEqual(['2024-02-29T12:00:00.000Z', '2028-02-29T12:00:00.000Z', '2032-02-29T12:00:00.000Z']);
  });

  it('leap_day_century: 2100 is not a leap year, so 2096 is followed by 2104', () => {
    const t = make({ years: 4, startDate: '2096-02-29' });
    expect(fires(t, 2, Date.UTC(2096, 0, 1))).toEqual(['2096-02-29T00:00:00.000Z', '2104-02-29T00:00:00.000Z']);
  });

  it('leap_day_in_days: every 365 days drifts by one across a leap day', () => {
    const t = make({ days: 365, startDate: '2027-03-01' });
    expect(fires(t, 2, Date.UTC(2027, 0, 1))).toEqual(['2027-03-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z']);
  });
});

describe('calendarInterval: DST', () => {
  it('spring_gap_fires_once_at_the_transition: 02:30 on the day Berlin skips 02:00-03:00 fires at 03:00 local', () => {
    const t = createTrigger({ type: 'calendarInterval', days: 1, hour: 2, minute: 30, timezone: 'Europe/Berlin', startDate: '2026-03-28' }, env);
    expect(fires(t, 3, Date.UTC(2026, 2, 27))).toEqual([
      '2026-03-28T01:30:00.000Z', // 02:30 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: the transition
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    const preview = previewFires(
      { type: 'calendarInterval', days: 1, hour: 2, minute: 30, timezone: 'Europe/Berlin', startDate: '2026-03-28' },
      { from: '2026-03-28T12:00:00Z', count: 2 },
      0,
    );
    expect(preview).toEqual([{ at: new Date('2026-03-29T01:00:00Z'), dst: 'shifted' }, { at: new Date('2026-03-30T00:30:00Z') }]);
  });

  it('fall_overlap_fires_at_the_first_occurrence: 02:30 on the day Berlin repeats 02:00-03:00 fires once, in CEST', () => {
    const t = createTrigger({ type: 'calendarInterval', weeks: 1, hour: 2, minute: 30, timezone: 'Europe/Berlin', startDate: '2026-10-18' }, env);
    expect(fires(t, 3, Date.UTC(2026, 9, 1))).toEqual([
      '2026-10-18T00:30:00.000Z', // CEST
      '2026-10-25T00:30:00.000Z', // first 02:30 (CEST), not 01:30Z (CET)
      '2026-11-01T01:30:00.000Z', // CET
    ]);
  });

  it('new_york_monthly: the local time holds across DST changes (UTC shifts by an hour)', () => {
    const t = createTrigger({ type: 'calendarInterval', months: 1, hour: 9, timezone: 'America/New_York', startDate: '2026-02-15' }, env);
    expect(fires(t, 3)).toEqual(['2026-02-15T14:00:00.000Z', '2026-03-15T13:00:00.000Z', '2026-04-15T13:00:00.000Z']);
  });
});

describe('calendarInterval: start, end and shape', () => {
  it('the start day is inclusive even when the time of day is before the startDate instant', () => {
    const t = make({ days: 2, hour: 8, startDate: '2026-01-05T10:00:00Z' });
    expect(fires(t, 2, Date.UTC(2026, 0, 1))).toEqual(['2026-01-05T08:00:00.000Z', '2026-01-07T08:00:00.000Z']);
    expect(t.toSpec()).toEqual({ type: 'calendarInterval', days: 2, hour: 8, minute: 0, second: 0, timezone: 'UTC', startDate: '2026-01-05' });
  });

  it('an instant startDate is read as its day in the trigger zone', () => {
    const t = createTrigger({ type: 'calendarInterval', days: 1, timezone: 'Asia/Tokyo', startDate: '2026-01-05T20:00:00Z' }, env);
    expect(t.toSpec()).toMatchObject({ startDate: '2026-01-06' });
  });

  it('without startDate the first day is today in the zone; a time already past today fires tomorrow', () => {
    const t = createTrigger({ type: 'calendarInterval', days: 1, hour: 0, timezone: 'UTC' }, { ...env, nowMs: REFERENCE + 3_600_000 });
    expect(t.toSpec()).toMatchObject({ startDate: '2026-01-01' });
    expect(t.first(REFERENCE + 3_600_000)).toBe(REFERENCE + 86_400_000);
  });

  it('endDate as an instant is an inclusive bound; as a day, no fire on a later day', () => {
    expect(fires(make({ days: 1, hour: 9, startDate: '2026-01-01', endDate: '2026-01-03T09:00:00Z' }), 9)).toHaveLength(3);
    expect(fires(make({ days: 1, hour: 9, startDate: '2026-01-01', endDate: '2026-01-03' }), 9)).toHaveLength(3);
    expect(fires(make({ days: 1, hour: 9, startDate: '2026-01-01', endDate: '2026-01-03T08:59:59Z' }), 9)).toHaveLength(2);
  });

  it('round-trips through its resolved spec (what a store keeps)', () => {
    const t = make({ years: 1, months: 2, weeks: 1, days: 3, hour: 23, minute: 59, second: 30, startDate: '2026-01-31', endDate: '2030-01-01' });
    const again = createTrigger(JSON.parse(JSON.stringify(t.toSpec())) as TriggerSpec, { ...env, nowMs: Date.UTC(2028, 0, 1) });
    expect(again.toSpec()).toEqual(t.toSpec());
    expect(fires(again, 6)).toEqual(fires(t, 6));
  });

  it('describes itself in words', () => {
    expect(make({ months: 2, hour: 9, startDate: '2026-01-15' }).describe()).toBe('every 2 months at 09:00 from 2026-01-15, UTC');
    expect(make({ years: 1, weeks: 2, days: 1, second: 5, startDate: '2026-01-15' }).describe()).toBe(
      'every year, 2 weeks and day at 00:00:05 from 2026-01-15, UTC',
    );
  });

  it('dueFires summarises a backlog (a restart after a month down)', () => {
    const t = make({ days: 1, hour: 6, startDate: '2026-01-01' });
    const due = t.dueFires(Date.UTC(2026, 0, 1, 6), Date.UTC(2026, 0, 31, 12), 2);
    expect(due).toEqual({ times: [Date.UTC(2026, 0, 30, 6), Date.UTC(2026, 0, 31, 6)], total: 31, exact: true, next: Date.UTC(2026, 1, 1, 6) });
  });

  it('answers far from its start without walking every step (days only and months only are arithmetic)', () => {
    const daily = make({ days: 1, startDate: '1970-01-01' });
    expect(daily.next(Date.UTC(2200, 5, 1, 12))).toBe(Date.UTC(2200, 5, 2));
    const monthly = make({ months: 1, startDate: '1970-01-31' });
    expect(monthly.next(Date.UTC(2200, 1, 1))).toBe(Date.UTC(2200, 2, 31));
  });

  it.each([
    [{}, 'trigger.days', /at least one of years, months, weeks or days/],
    [{ days: 1.5 }, 'trigger.days', /whole number from 0 to 365000, got 1.5/],
    [{ months: -1 }, 'trigger.months', /whole number/],
    [{ days: 1, hour: 24 }, 'trigger.hour', /from 0 to 23/],
    [{ days: 1, minute: '5' }, 'trigger.minute', /got "5"/],
    [{ days: 1, startDate: '2026-02-30' }, 'trigger.startDate', /not a real date/],
    [{ days: 1, startDate: '2026-02-03 10:00' }, 'trigger.startDate', /ISO 8601/],
    [{ days: 1, startDate: '2026-02-03', endDate: '2026-02-02' }, 'trigger.startDate', /before the start day/],
    [{ days: 1, timezone: undefined }, 'trigger.timezone', /IANA zone name/],
    [{ days: 1, timezone: 'Mars/Base' }, 'trigger.timezone', /Unknown time zone/],
    [{ days: 1, expression: '* * * * *' }, 'trigger.expression', /not a field of a calendarInterval trigger/],
  ])('refuses %j with INVALID_TRIGGER at %s', (fields, path, message) => {
    const error = errorOf(() => make(fields));
    expect(error).toMatchObject({ code: 'INVALID_TRIGGER', details: [{ path }] });
    expect((error as Error).message).toMatch(message);
  });
});

describe('calendarInterval: next() against a plain walk of the sequence', () => {
  /**
   * The fire days by APScheduler's algorithm, written independently with Date.UTC: the years and months
   * added to the previous fire day (keeping its day of the month) until the date exists, then the days.
   */
  function fireDays(start: [number, number, number], spec: { years: number; months: number; weeks: number; days: number }, count: number): number[] {
    const out: number[] = [];
    let [y, m, d] = start;
    out.push(Date.UTC(y, m - 1, d));
    while (out.length < count) {
      let monthIndex = y * 12 + (m - 1);
      for (;;) {
        monthIndex += spec.years * 12 + spec.months;
        const ny = Math.floor(monthIndex / 12);
        const nm = monthIndex - ny * 12;
        if (new Date(Date.UTC(ny, nm, d)).getUTCMonth() === nm) {
          const at = new Date(Date.UTC(ny, nm, d + spec.weeks * 7 + spec.days));
          [y, m, d] = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate()];
          break;
        }
      }
      out.push(Date.UTC(y, m - 1, d));
    }
    return out;
  }

  it('agrees on 300 random specs (days only, months only and mixed), asked from random instants', () => {
    const random = prng(20);
    const pick = (n: number): number => Math.floor(random() * n);
    for (let c = 0; c < 300; c++) {
      const shape = c % 3;
      const spec = {
        years: shape === 2 ? 0 : pick(3) === 0 ? 1 + pick(2) : 0,
        months: shape === 0 ? 0 : 1 + pick(14),
        weeks: shape === 1 ? 0 : pick(3),
        days: shape === 1 ? 0 : 1 + pick(40),
      };
      const start: [number, number, number] = [2020 + pick(10), 1 + pick(12), 1 + pick(28) + (pick(4) === 0 ? 3 : 0)];
      // A start day that does not exist (April 31) rolls over in Date.UTC: use the real one.
      const startDate = new Date(Date.UTC(start[0], start[1] - 1, start[2]));
      start[0] = startDate.getUTCFullYear();
      start[1] = startDate.getUTCMonth() + 1;
      start[2] = startDate.getUTCDate();
      const seconds = pick(86_400);
      const t = make({
        ...spec,
        hour: Math.floor(seconds / 3600),
        minute: Math.floor(seconds / 60) % 60,
        second: seconds % 60,
        startDate: startDate.toISOString().slice(0, 10),
      });
      const fires = fireDays(start, spec, 60).map((day) => day + seconds * 1000);
      for (let q = 0; q < 5; q++) {
        const after = (fires[0] as number) + Math.floor(random() * ((fires[59] as number) - (fires[0] as number)));
        const expected = fires.find((f) => f > after);
        expect(t.next(after), `${JSON.stringify(spec)} from ${start.join('-')} after ${new Date(after).toISOString()}`).toBe(expected);
      }
    }
  });
});
