/** previewSchedule and the interval trigger's grid arithmetic. */
import { describe, expect, it } from 'vitest';
import { previewFires, previewSchedule } from '../../src/triggers/preview.js';
import { IntervalTrigger } from '../../src/triggers/interval.js';

const FROM = '2026-03-07T12:00:00Z';

describe('previewSchedule', () => {
  it('lists cron fires strictly after from, in the given zone', () => {
    const at = previewSchedule({ type: 'cron', expression: '0 9 * * 1-5', timezone: 'America/New_York' }, { from: FROM, count: 3 });
    expect(at.map((d) => d.toISOString())).toEqual(['2026-03-09T13:00:00.000Z', '2026-03-10T13:00:00.000Z', '2026-03-11T13:00:00.000Z']);
  });

  it('marks fires moved by DST', () => {
    const fires = previewFires({ type: 'cron', expression: '30 2 * * *', timezone: 'America/New_York' }, { from: FROM, count: 2 }, 0);
    expect(fires).toEqual([{ at: new Date('2026-03-08T07:00:00Z'), dst: 'shifted' }, { at: new Date('2026-03-09T06:30:00Z') }]);
  });

  it('anchors an interval without startDate at from', () => {
    const at = previewSchedule({ type: 'interval', seconds: 90 }, { from: FROM, count: 2 });
    expect(at.map((d) => d.toISOString())).toEqual(['2026-03-07T12:01:30.000Z', '2026-03-07T12:03:00.000Z']);
  });

  it('stops at the end date and after a date trigger fires', () => {
    expect(previewSchedule({ type: 'interval', seconds: 60, startDate: FROM, endDate: '2026-03-07T12:02:00Z' }, { from: FROM, count: 10 })).toHaveLength(2);
    expect(previewSchedule({ type: 'date', runAt: '2026-03-08T00:00:00Z' }, { from: FROM, count: 10 })).toHaveLength(1);
  });

  it('previews an H expression for the job id given, and refuses one without it', () => {
    const spec = { type: 'cron', expression: 'H H(0-5) * * *', timezone: 'UTC' } as const;
    const at = previewSchedule(spec, { from: FROM, count: 2, jobId: 'backup' });
    expect(at.map((d) => d.toISOString())).toEqual(['2026-03-08T04:28:00.000Z', '2026-03-09T04:28:00.000Z']);
    expect(() => previewSchedule(spec, { from: FROM })).toThrow(/uses H, a value hashed from the job id, and no job id was given/);
    expect(() => previewSchedule(spec, { from: FROM, jobId: 'bad id' })).toThrow(/jobId/);
  });

  it('previews the day rules', () => {
    const at = previewSchedule({ type: 'cron', expression: '0 9 * * MON#1', timezone: 'Europe/Berlin' }, { from: FROM, count: 2 });
    expect(at.map((d) => d.toISOString())).toEqual(['2026-04-06T07:00:00.000Z', '2026-05-04T07:00:00.000Z']);
  });

  it('rejects a count outside 1-1000 and bad specs', () => {
    expect(() => previewSchedule({ type: 'interval', seconds: 1 }, { count: 1001 })).toThrow(/count: must be an integer from 1 to 1000/);
    expect(() => previewSchedule({ type: 'cron', expression: 'nope' }, { count: 1 })).toThrow(/expected 5 fields/);
    expect(() => previewSchedule({ type: 'interval', seconds: 1 }, { from: '2026-03-07 12:00' })).toThrow(/with "Z" or an offset/);
  });
});

describe('IntervalTrigger', () => {
  const start = Date.UTC(2026, 0, 1);

  it('returns the start before it, then the next grid point strictly after', () => {
    const t = IntervalTrigger.create(10, start, null);
    expect(t.next(start - 5_000)).toBe(start);
    expect(t.next(start - 1)).toBe(start);
    expect(t.next(start - 10_000)).toBe(start);
    expect(t.next(start - 86_400_000 * 365)).toBe(start);
    expect(IntervalTrigger.create(1 / 3, start, null).next(start - 12_345.5)).toBe(start);
    expect(t.next(start)).toBe(start + 10_000);
    expect(t.next(start + 10_000)).toBe(start + 20_000);
    expect(t.next(start + 10_001)).toBe(start + 20_000);
  });

  it('keeps fractional periods exact on the grid', () => {
    const t = IntervalTrigger.create(0.1, start, null);
    let after = start;
    for (let i = 1; i <= 1000; i++) {
      after = t.next(after) as number;
      expect(after).toBe(start + i * 100);
    }
    const third = IntervalTrigger.create(1 / 3, start, null);
    expect(third.next(start + 999)).toBe(start + 1000);
  });

  it('counts a backlog arithmetically and keeps the latest fires', () => {
    const t = IntervalTrigger.create(1, start, null);
    const due = t.dueFires(start, start + 86_400_000 * 365, 3);
    expect(due.total).toBe(86_400 * 365 + 1);
    expect(due.times).toEqual([start + 86_400_000 * 365 - 2_000, start + 86_400_000 * 365 - 1_000, start + 86_400_000 * 365]);
    expect(due.next).toBe(start + 86_400_000 * 365 + 1_000);
  });

  it('returns null past the end date', () => {
    const t = IntervalTrigger.create(60, start, start + 120_000);
    expect(t.next(start + 120_000)).toBeNull();
    expect(t.dueFires(start, start + 10 * 60_000, 100).total).toBe(3);
  });
});
