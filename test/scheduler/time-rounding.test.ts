/**
 * Every instant the scheduler computes (and a durable store keeps in an INTEGER column) is a whole number of
 * milliseconds, whatever fractional seconds the options hold: retry times are rounded up (never early),
 * jitter delays are whole, interval fires sit on whole milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { CronCompiler } from '../../src/cron/compiler.js';
import { jitteredDue, MAX_TIME_MS, retryAt } from '../../src/scheduler/policies.js';
import { createTrigger } from '../../src/triggers/create.js';
import { harness, REFERENCE } from '../helpers.js';

const NOW = REFERENCE + 1_000;

describe('whole milliseconds', () => {
  it('a retry time is rounded up to a whole millisecond', () => {
    const retry = (backoffSeconds: number, attempt = 1): number | null => retryAt({ max: 100, backoffSeconds }, attempt, NOW, null);
    expect(retry(60.0001)).toBe(NOW + 60_001); // 60000.1 ms: never early
    expect(retry(60.0001, 2)).toBe(NOW + 120_001); // 120000.2 ms
    expect(retry(0.0001)).toBe(NOW + 1);
    expect(retry(0)).toBe(NOW);
    expect(retry(60)).toBe(NOW + 60_000);
    // Float error is not a millisecond: 0.7 * 1000 is 700.0000000000001.
    expect(retry(0.7)).toBe(NOW + 700);
    expect(retry(0.1, 3)).toBe(NOW + 400);
    for (let i = 0; i < 2_000; i++) {
      const backoff = Math.random() * 100;
      const at = retry(backoff, 1 + (i % 5)) as number;
      expect(Number.isInteger(at)).toBe(true);
      expect(at).toBeGreaterThanOrEqual(NOW + backoff * 1000 * 2 ** (i % 5) - 1e-3);
    }
  });

  it('still follows the retry rules, and a retry past the last instant a Date holds is none', () => {
    expect(retryAt({ max: 3, backoffSeconds: 60.0001 }, 1, NOW, NOW + 60_001)).toBeNull(); // the regular fire is not later
    expect(retryAt({ max: 3, backoffSeconds: 60.0001 }, 1, NOW, NOW + 60_002)).toBe(NOW + 60_001);
    expect(retryAt({ max: 3, backoffSeconds: 60.0001 }, 4, NOW, null)).toBeNull(); // used up
    expect(retryAt({ max: 100, backoffSeconds: 1e9 }, 100, NOW, null)).toBeNull();
    expect(retryAt({ max: 100, backoffSeconds: 1 }, 60, NOW, null)).toBeNull(); // 2^59 s
    expect(retryAt({ max: 100, backoffSeconds: 1 }, 20, NOW, null)).toBeLessThanOrEqual(MAX_TIME_MS);
  });

  it('jitter delays and interval fires with fractional seconds are whole milliseconds', () => {
    for (let i = 0; i < 1_000; i++) {
      const due = jitteredDue(NOW, 0.0001 + (i % 7) * 0.3333, Math.random());
      expect(Number.isInteger(due)).toBe(true);
      expect(due).toBeGreaterThanOrEqual(NOW);
    }
    const env = { nowMs: NOW, defaultTimezone: 'UTC', compiler: new CronCompiler() };
    for (const seconds of [0.001, 0.0015, 1 / 3, 0.7, 60.0001, 86_400.5]) {
      const trigger = createTrigger({ type: 'interval', seconds }, env);
      let t = trigger.first(NOW) as number;
      for (let k = 0; k < 200; k++) {
        expect(Number.isInteger(t), `${seconds} s, fire ${k}`).toBe(true);
        t = trigger.next(t) as number;
      }
      const due = trigger.dueFires(NOW, NOW + seconds * 1000 * 50, 10);
      for (const time of due.times) expect(Number.isInteger(time)).toBe(true);
    }
  });

  it('a failing job with backoffSeconds 60.0001 gets a whole-millisecond retry (scheduler)', async () => {
    const { scheduler, clock, named } = harness();
    scheduler.registerTask('fail', () => {
      throw new Error('no');
    });
    await scheduler.start();
    await scheduler.addJob({ id: 'j', task: 'fail', trigger: { type: 'interval', seconds: 3600 }, retries: { max: 2, backoffSeconds: 60.0001 } });
    await clock.advance(3_600_000);
    const [scheduled] = named('job_retry_scheduled');
    expect(scheduled?.retryAt).toBe(new Date(REFERENCE + 3_600_000 + 60_001).toISOString());
    await clock.advance(60_000);
    expect(named('job_error')).toHaveLength(1);
    await clock.advance(1);
    expect(named('job_error')).toHaveLength(2);
    await scheduler.shutdown();
  });
});
