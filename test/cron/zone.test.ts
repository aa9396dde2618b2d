/** TimeZone: transitions to the second, offsets against Intl, fixed zones, validation. */
import { describe, expect, it } from 'vitest';
import { TimeZone, systemTimeZone } from '../../src/cron/zone.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));
const HOUR = 3_600_000;

/** The offset at an instant by Intl's "GMT-04:56:02" notation: an oracle independent of the zone tables. */
function oracleOffset(format: Intl.DateTimeFormat, ms: number): number {
  const name = format.formatToParts(ms).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT(?:([+-])(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?)?$/.exec(name);
  if (m === null) throw new Error(`unexpected offset ${name}`);
  if (m[1] === undefined) return 0;
  const size = (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
  return m[1] === '-' ? -size : size;
}

/** The transitions from `from` on, as "ISO old->new" in minutes. */
function transitions(zone: TimeZone, from: string, count: number): string[] {
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < count; i++) {
    const next = zone.nextTransition(t);
    if (next === null) break;
    out.push(`${iso(next) as string} ${zone.offsetAt(next - 1) / 60_000}->${zone.offsetAt(next) / 60_000}`);
    t = next;
  }
  return out;
}

describe('TimeZone transitions', () => {
  it.each([
    ['America/New_York', ['2026-03-08T07:00:00Z -300->-240', '2026-11-01T06:00:00Z -240->-300', '2027-03-14T07:00:00Z -300->-240']],
    ['Europe/Berlin', ['2026-03-29T01:00:00Z 60->120', '2026-10-25T01:00:00Z 120->60', '2027-03-28T01:00:00Z 60->120']],
    // Half-hour shifts: 02:00 LHDT -> 01:30 LHST on April 5, 02:00 LHST -> 02:30 LHDT on October 4 (local dates).
    ['Australia/Lord_Howe', ['2026-04-04T15:00:00Z 660->630', '2026-10-03T15:30:00Z 630->660', '2027-04-03T15:00:00Z 660->630']],
    ['America/Santiago', ['2026-04-05T03:00:00Z -180->-240', '2026-09-06T04:00:00Z -240->-180', '2027-04-04T03:00:00Z -180->-240']],
    // A two-hour shift.
    ['Antarctica/Troll', ['2026-03-29T01:00:00Z 0->120', '2026-10-25T01:00:00Z 120->0', '2027-03-28T01:00:00Z 0->120']],
  ])('finds the transitions of %s to the second', (name, expected) => {
    expect(transitions(new TimeZone(name), '2026-01-01T00:00:00Z', 3)).toEqual(expected);
  });

  it('answers previousTransition with the last change at or before an instant', () => {
    const ny = new TimeZone('America/New_York');
    expect(iso(ny.previousTransition(Date.parse('2026-06-01T00:00:00Z')))).toBe('2026-03-08T07:00:00Z');
    expect(iso(ny.previousTransition(Date.parse('2026-03-08T07:00:00Z')))).toBe('2026-03-08T07:00:00Z');
    expect(iso(ny.previousTransition(Date.parse('2026-03-08T06:59:59Z')))).toBe('2025-11-02T06:00:00Z');
    expect(iso(ny.nextTransition(Date.parse('2026-03-08T06:59:59.999Z')))).toBe('2026-03-08T07:00:00Z');
    expect(iso(ny.nextTransition(Date.parse('2026-03-08T07:00:00Z')))).toBe('2026-11-01T06:00:00Z');
  });

  it('has no transitions in zones without DST, and fixed offsets for UTC and Etc zones', () => {
    for (const name of ['UTC', 'Etc/UTC', 'GMT', 'Etc/GMT+5', 'Etc/GMT-14', 'Asia/Tokyo', 'Asia/Kolkata']) {
      const zone = new TimeZone(name);
      expect(zone.nextTransition(Date.UTC(2026, 0, 1)), name).toBeNull();
      expect(zone.previousTransition(Date.UTC(2026, 0, 1)), name).toBeNull();
    }
    expect(new TimeZone('UTC').offsetAt(Date.UTC(2026, 6, 1))).toBe(0);
    expect(new TimeZone('Etc/GMT+5').offsetAt(Date.UTC(2026, 6, 1))).toBe(-5 * HOUR); // POSIX sign: GMT+5 is UTC-5
    expect(new TimeZone('Etc/GMT-14').offsetAt(0)).toBe(14 * HOUR);
    expect(new TimeZone('Asia/Kolkata').offsetAt(Date.UTC(2026, 0, 1))).toBe(5.5 * HOUR);
  });

  it.each([
    'America/New_York',
    'Europe/Berlin',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'America/Sao_Paulo',
    'Africa/Casablanca',
    'Pacific/Chatham',
    'Europe/London',
    'Asia/Tehran',
  ])('agrees with Intl on the offset of %s at 3 000 instants from 1900 to 2100', (name) => {
    const zone = new TimeZone(name);
    const format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
    const from = Date.UTC(1900, 0, 1);
    const to = Date.UTC(2100, 0, 1);
    const mismatches: string[] = [];
    let x = 7;
    for (let i = 0; i < 3000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      // Whole seconds, chronological for the first half (the cache moving forward), then scattered.
      const t = i < 1500 ? from + Math.floor((((to - from) / 1500) * i) / 1000) * 1000 : from + Math.floor(((x / 2147483648) * (to - from)) / 1000) * 1000;
      const ours = zone.offsetAt(t);
      const theirs = oracleOffset(format, t);
      if (ours !== theirs) mismatches.push(`${iso(t) as string}: ${ours} vs ${theirs}`);
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('is exact on both sides of every transition of 2026-2030', () => {
    for (const name of ['America/New_York', 'Australia/Lord_Howe', 'Africa/Casablanca', 'Asia/Gaza']) {
      const zone = new TimeZone(name);
      const format = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'longOffset' });
      let t = Date.UTC(2026, 0, 1);
      let count = 0;
      for (let next = zone.nextTransition(t); next !== null && next < Date.UTC(2031, 0, 1); next = zone.nextTransition(t)) {
        expect(zone.offsetAt(next - 1000), `${name} before ${iso(next) as string}`).toBe(oracleOffset(format, next - 1000));
        expect(zone.offsetAt(next), `${name} at ${iso(next) as string}`).toBe(oracleOffset(format, next));
        expect(oracleOffset(format, next - 1000)).not.toBe(oracleOffset(format, next));
        t = next;
        count++;
      }
      expect(count, name).toBeGreaterThanOrEqual(8);
    }
  });

  it('answers for instants at the edges of what Date can hold', () => {
    const ny = new TimeZone('America/New_York');
    expect(Number.isFinite(ny.offsetAt(8.64e15))).toBe(true);
    expect(Number.isFinite(ny.offsetAt(-8.64e15))).toBe(true);
    expect(Number.isFinite(ny.offsetAt(Number.NaN))).toBe(true);
    expect(ny.offsetAt(Date.UTC(2026, 6, 1))).toBe(-4 * HOUR);
  });
});

describe('TimeZone validation', () => {
  it.each(['Mars/Olympus_Mons', '', 'Europe/Berlin ', 'x'.repeat(100)])('rejects "%s"', (name) => {
    expect(TimeZone.isValid(name)).toBe(false);
    let error: unknown;
    try {
      new TimeZone(name);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ name: 'CronError', kind: 'timezone', input: name });
    expect((error as Error).message).toMatch(/it must be an IANA name such as "Europe\/Berlin"/);
  });

  it('rejects a name that is not a string', () => {
    expect(TimeZone.isValid(42 as unknown as string)).toBe(false);
    expect(() => new TimeZone(undefined as unknown as string)).toThrow(/Unknown time zone undefined/);
  });

  it('accepts IANA names, UTC and the system zone', () => {
    for (const name of ['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+12', systemTimeZone()]) {
      expect(TimeZone.isValid(name), name).toBe(true);
      expect(new TimeZone(name).name).toBe(name);
    }
  });
});
