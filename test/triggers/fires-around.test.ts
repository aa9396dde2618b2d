/**
 * firesAround / fireAtOrBefore: the previous fire found by windows and bisection, for every trigger kind,
 * with the DST marks previewFires gives, within the documented bound, and never looping on a trigger
 * whose spec tells nothing (a set-aside job's).
 */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { setAsideRecord } from '../../src/stores/store.js';
import { createTrigger } from '../../src/triggers/create.js';
import { fireAtOrBefore, firesAround, MAX_LOOKBACK_MS } from '../../src/triggers/fires-around.js';

const env = { nowMs: Date.UTC(2026, 0, 1), defaultTimezone: 'UTC', compiler: new CronCompiler() };
const utc = (iso: string): number => Date.parse(iso);

describe('fireAtOrBefore', () => {
  it('an interval grid: the grid point at or before, nothing before its start date', () => {
    const t = createTrigger({ type: 'interval', seconds: 0.25, startDate: '2026-01-01T00:00:00Z' }, env);
    expect(fireAtOrBefore(t, utc('2026-06-01T12:00:00.130Z'))).toBe(utc('2026-06-01T12:00:00.000Z'));
    expect(fireAtOrBefore(t, utc('2026-06-01T12:00:00.250Z'))).toBe(utc('2026-06-01T12:00:00.250Z'));
    expect(fireAtOrBefore(t, utc('2025-12-31T23:59:59.999Z'))).toBeNull();
  });

  it('a per-second cron, a yearly cron and a leap-day cron (four years back)', () => {
    const perSecond = createTrigger({ type: 'cron', expression: '* * * * * *' }, env);
    expect(fireAtOrBefore(perSecond, utc('2026-03-01T10:00:00.500Z'))).toBe(utc('2026-03-01T10:00:00Z'));
    const yearly = createTrigger({ type: 'cron', expression: '0 0 1 1 *' }, env);
    expect(fireAtOrBefore(yearly, utc('2026-12-31T23:59:59Z'))).toBe(utc('2026-01-01T00:00:00Z'));
    const leap = createTrigger({ type: 'cron', expression: '0 12 29 2 *' }, env);
    expect(fireAtOrBefore(leap, utc('2028-02-29T11:59:59Z'))).toBe(utc('2024-02-29T12:00:00Z'));
  });

  it('a cron without a start date is searched back at most MAX_LOOKBACK_MS; a date trigger has its one fire', () => {
    // The last leap day before the end of 2103 is 2096-02-29 (2100 is no leap year): almost eight years back.
    const leap = createTrigger({ type: 'cron', expression: '0 12 29 2 *' }, env);
    const at = utc('2103-12-31T00:00:00Z');
    const found = fireAtOrBefore(leap, at);
    expect(found).toBe(utc('2096-02-29T12:00:00Z'));
    expect(at - (found as number)).toBeLessThanOrEqual(MAX_LOOKBACK_MS);
    const once = createTrigger({ type: 'date', runAt: '2026-05-01T00:00:00Z' }, env);
    expect(fireAtOrBefore(once, utc('2026-05-01T00:00:00Z'))).toBe(utc('2026-05-01T00:00:00Z'));
    expect(fireAtOrBefore(once, utc('2026-04-30T23:59:59Z'))).toBeNull();
  });

  it('returns null, without looping, for a set-aside job whose stored spec tells nothing', () => {
    const job = setAsideRecord({ id: 'broken', trigger: { type: 'date' } }, 'runAt is missing');
    expect(firesAround(job.trigger, utc('2026-01-01T00:00:00Z'))).toEqual({ before: null, after: null });
  });
});

describe('firesAround marks DST moves as previewFires does', () => {
  // docs/semantics.md#dst-gaps-and-repeats
  it('spring_skip_hour: Berlin 02:30 on 2026-03-29 is shifted to 03:00 CEST', () => {
    const t = createTrigger({ type: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' }, env);
    expect(firesAround(t, utc('2026-03-29T01:30:00Z'))).toEqual({
      before: { at: utc('2026-03-29T01:00:00Z'), dst: 'shifted' },
      after: { at: utc('2026-03-30T00:30:00Z') },
    });
  });

  it('fall_repeat_hour: a wildcard job at the second 02:30 of 2026-10-25 in Berlin is repeated', () => {
    const t = createTrigger({ type: 'cron', expression: '30 * * * *', timezone: 'Europe/Berlin' }, env);
    // 02:30 CEST is 00:30Z, 02:30 CET is 01:30Z.
    expect(firesAround(t, utc('2026-10-25T01:00:00Z'))).toEqual({
      before: { at: utc('2026-10-25T00:30:00Z') },
      after: { at: utc('2026-10-25T01:30:00Z'), dst: 'repeated' },
    });
  });
});
