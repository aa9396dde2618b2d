/**
 * The DST policy (cronie's), case by case, in zones with a one-hour shift (New York, Berlin) and a
 * half-hour shift (Lord Howe). Each case names what it asserts.
 */
import { describe, expect, it } from 'vitest';
import { nextCronFire } from '../../src/cron/next.js';
import { parseCron } from '../../src/cron/pattern.js';
import { TimeZone } from '../../src/cron/zone.js';

const zones = new Map<string, TimeZone>();
const zone = (name: string): TimeZone => {
  let z = zones.get(name);
  if (z === undefined) zones.set(name, (z = new TimeZone(name)));
  return z;
};

/** The first `count` fires after `from`, as ISO strings with a DST mark when there is one. */
function fires(expression: string, zoneName: string, from: string, count: number): string[] {
  const pattern = parseCron(expression);
  const out: string[] = [];
  let after = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const fire = nextCronFire(pattern, zone(zoneName), after);
    if (fire === null) break;
    out.push(new Date(fire.at).toISOString().replace('.000Z', 'Z') + (fire.dst === undefined ? '' : ` ${fire.dst}`));
    after = fire.at;
  }
  return out;
}

const cases: { name: string; expression: string; zone: string; from: string; expected: string[] }[] = [
  {
    name: 'fixed time in spring gap runs once at 03:00 EDT (New York)',
    expression: '30 2 * * *', zone: 'America/New_York', from: '2026-03-08T05:00:00Z',
    expected: ['2026-03-08T07:00:00Z shifted', '2026-03-09T06:30:00Z'],
  },
  {
    name: 'two fixed times in one gap run once together (New York)',
    expression: '0,30 2 * * *', zone: 'America/New_York', from: '2026-03-08T05:00:00Z',
    expected: ['2026-03-08T07:00:00Z shifted', '2026-03-09T06:00:00Z', '2026-03-09T06:30:00Z'],
  },
  {
    name: 'fixed time in the gap still fires when asked one second before the transition',
    expression: '30 2 * * *', zone: 'America/New_York', from: '2026-03-08T06:59:59Z',
    expected: ['2026-03-08T07:00:00Z shifted'],
  },
  {
    name: 'wildcard job has no fires in the missing hour (New York)',
    expression: '*/15 * * * *', zone: 'America/New_York', from: '2026-03-08T06:30:00Z',
    expected: ['2026-03-08T06:45:00Z', '2026-03-08T07:00:00Z', '2026-03-08T07:15:00Z', '2026-03-08T07:30:00Z', '2026-03-08T07:45:00Z'],
  },
  {
    name: 'fixed time in fall-back overlap runs once at the first occurrence (New York)',
    expression: '30 1 * * *', zone: 'America/New_York', from: '2026-11-01T04:00:00Z',
    expected: ['2026-11-01T05:30:00Z', '2026-11-02T06:30:00Z'],
  },
  {
    name: 'fixed time asked from inside the second occurrence waits for the next day',
    expression: '30 1 * * *', zone: 'America/New_York', from: '2026-11-01T06:10:00Z',
    expected: ['2026-11-02T06:30:00Z'],
  },
  {
    name: 'hourly wildcard fires at 01:00 EDT and again at 01:00 EST (New York)',
    expression: '0 * * * *', zone: 'America/New_York', from: '2026-11-01T04:30:00Z',
    expected: ['2026-11-01T05:00:00Z', '2026-11-01T06:00:00Z repeated', '2026-11-01T07:00:00Z'],
  },
  {
    name: 'half-hourly wildcard fires at every real occurrence in the overlap (New York)',
    expression: '*/30 * * * *', zone: 'America/New_York', from: '2026-11-01T04:45:00Z',
    expected: ['2026-11-01T05:00:00Z', '2026-11-01T05:30:00Z', '2026-11-01T06:00:00Z repeated', '2026-11-01T06:30:00Z repeated', '2026-11-01T07:00:00Z'],
  },
  {
    name: 'wildcard asked from inside the second occurrence continues there',
    expression: '*/30 * * * *', zone: 'America/New_York', from: '2026-11-01T06:10:00Z',
    expected: ['2026-11-01T06:30:00Z repeated', '2026-11-01T07:00:00Z'],
  },
  {
    name: 'monthly job crosses the March gap to April 1 (APScheduler skipped to May)',
    expression: '0 0 1 * *', zone: 'America/New_York', from: '2026-03-01T05:00:00Z',
    expected: ['2026-04-01T04:00:00Z', '2026-05-01T04:00:00Z'],
  },
  {
    name: 'fixed time in spring gap runs once at 03:00 CEST (Berlin)',
    expression: '30 2 * * *', zone: 'Europe/Berlin', from: '2026-03-28T12:00:00Z',
    expected: ['2026-03-29T01:00:00Z shifted', '2026-03-30T00:30:00Z'],
  },
  {
    name: 'fixed time in fall-back overlap runs once (Berlin)',
    expression: '30 2 * * *', zone: 'Europe/Berlin', from: '2026-10-24T12:00:00Z',
    expected: ['2026-10-25T00:30:00Z', '2026-10-26T01:30:00Z'],
  },
  {
    name: 'hourly wildcard repeats 02:00 in the overlap (Berlin)',
    expression: '0 * * * *', zone: 'Europe/Berlin', from: '2026-10-24T23:30:00Z',
    expected: ['2026-10-25T00:00:00Z', '2026-10-25T01:00:00Z repeated', '2026-10-25T02:00:00Z'],
  },
  {
    name: 'fixed time in a half-hour spring gap runs at 02:30 LHDT (Lord Howe)',
    expression: '15 2 * * *', zone: 'Australia/Lord_Howe', from: '2026-10-03T12:00:00Z',
    expected: ['2026-10-03T15:30:00Z shifted', '2026-10-04T15:15:00Z'],
  },
  {
    name: 'quarter-hourly at 2 am never yields one instant twice in the half-hour gap (Lord Howe)',
    expression: '*/15 2 * * *', zone: 'Australia/Lord_Howe', from: '2026-10-03T12:00:00Z',
    expected: ['2026-10-03T15:30:00Z', '2026-10-03T15:45:00Z', '2026-10-04T15:00:00Z'],
  },
  {
    name: 'quarter-hourly wildcard fires the repeated half hour twice (Lord Howe fall-back)',
    expression: '*/15 1 * * *', zone: 'Australia/Lord_Howe', from: '2026-04-04T13:50:00Z',
    expected: ['2026-04-04T14:00:00Z', '2026-04-04T14:15:00Z', '2026-04-04T14:30:00Z', '2026-04-04T14:45:00Z',
      '2026-04-04T15:00:00Z repeated', '2026-04-04T15:15:00Z repeated', '2026-04-05T14:30:00Z'],
  },
  {
    name: 'fixed time in a half-hour overlap runs once (Lord Howe)',
    expression: '45 1 * * *', zone: 'Australia/Lord_Howe', from: '2026-04-04T12:00:00Z',
    expected: ['2026-04-04T14:45:00Z', '2026-04-05T15:15:00Z'],
  },
];

describe('DST policy', () => {
  it.each(cases)('$name', ({ expression, zone: z, from, expected }) => {
    expect(fires(expression, z, from, expected.length)).toEqual(expected);
  });

  const sweeps: [string, string][] = [];
  for (const z of ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC']) {
    for (const e of ['*/7 * * * *', '30 2 * * *', '0 * * * *', '*/15 2 * * *', '0 1,2,3 * * *']) sweeps.push([z, e]);
  }
  it.each(sweeps)('two years of fires in %s for "%s" are strictly increasing whole seconds', (z, e) => {
    const pattern = parseCron(e);
    let after = Date.UTC(2026, 0, 1);
    const end = Date.UTC(2028, 0, 1);
    let count = 0;
    const problems: string[] = [];
    while (after < end) {
      const fire = nextCronFire(pattern, zone(z), after);
      if (fire === null || fire.at <= after || fire.at % 1000 !== 0) {
        problems.push(`after ${new Date(after).toISOString()}: ${fire === null ? 'null' : new Date(fire.at).toISOString()}`);
        break;
      }
      after = fire.at;
      count++;
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThan(300);
  });
});

describe('TimeZone', () => {
  it('finds the 2026 transitions of New York to the second', () => {
    const ny = zone('America/New_York');
    expect(new Date(ny.nextTransition(Date.UTC(2026, 0, 1)) as number).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(new Date(ny.nextTransition(Date.UTC(2026, 2, 9)) as number).toISOString()).toBe('2026-11-01T06:00:00.000Z');
    expect(ny.offsetAt(Date.UTC(2026, 0, 1))).toBe(-5 * 3_600_000);
    expect(ny.offsetAt(Date.UTC(2026, 6, 1))).toBe(-4 * 3_600_000);
  });

  it('has no transitions in UTC or Asia/Tokyo', () => {
    expect(zone('UTC').nextTransition(Date.UTC(2026, 0, 1))).toBeNull();
    expect(zone('Asia/Tokyo').nextTransition(Date.UTC(2026, 0, 1))).toBeNull();
    expect(zone('Asia/Kolkata').offsetAt(Date.UTC(2026, 0, 1))).toBe(5.5 * 3_600_000);
  });

  it('rejects unknown zones with INVALID_TRIGGER', () => {
    expect(() => new TimeZone('Mars/Base')).toThrow(/Unknown time zone "Mars\/Base"/);
    expect(TimeZone.isValid('Europe/Berlin')).toBe(true);
    expect(TimeZone.isValid('')).toBe(false);
  });
});
