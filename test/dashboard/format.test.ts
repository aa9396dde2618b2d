/** The dashboard's fire-time formatting: a schedule with seconds or milliseconds shows them. */
import { describe, expect, it } from 'vitest';
import { formatFire, formatInZone, precisionOf } from '../../dashboard/format.js';

describe('dashboard fire times', () => {
  it('precisionOf: minutes for whole minutes, seconds for a 6-field cron, milliseconds for a 0.7 s interval', () => {
    expect(precisionOf(['2026-03-01T03:01:00.000Z', '2026-03-01T03:02:00.000Z'])).toBe('min');
    expect(precisionOf(['2026-03-01T03:01:00.000Z', '2026-03-01T03:01:30.000Z'])).toBe('s');
    expect(precisionOf(['2026-03-01T03:01:00.000Z', '2026-03-01T03:01:00.700Z', '2026-03-01T03:01:01.400Z'])).toBe('ms');
  });

  it('ten fires of a 0.7 s interval read as ten different times', () => {
    const fires = Array.from({ length: 10 }, (_, i) => new Date(Date.UTC(2026, 2, 1, 3, 1, 0) + 700 * (i + 1)).toISOString());
    const precision = precisionOf(fires);
    expect(new Set(fires.map((at) => formatFire(at, precision))).size).toBe(10);
    expect(new Set(fires.map((at) => formatInZone(at, 'Europe/Berlin', precision))).size).toBe(10);
    // Without the precision they collapse to one minute: what the dashboard showed before.
    expect(new Set(fires.map((at) => formatFire(at))).size).toBe(1);
  });

  it('an unknown zone shows the zone name', () => {
    expect(formatInZone('2026-03-01T03:01:00.000Z', 'Not/AZone', 's')).toBe('Not/AZone');
  });
});
