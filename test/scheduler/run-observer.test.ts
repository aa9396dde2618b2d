/** observeRuns: every recorded outcome reaches an observer with plain values, with no event built for it. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { RunOutcome } from '../../src/core/events.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { captureLogger, harness, REFERENCE } from '../helpers.js';

describe('observeRuns', () => {
  it('sees the same outcomes, durations and lateness as the run events', async () => {
    const h = harness();
    const seen: [RunOutcome, number | null, number | null][] = [];
    h.scheduler.observeRuns((outcome, durationMs, latenessMs) => void seen.push([outcome, durationMs, latenessMs]));
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'ok');
    await h.scheduler.addIntervalJob(
      () => {
        throw new Error('boom');
      },
      1,
      'bad',
    );
    await h.clock.advance(3000);
    await h.scheduler.shutdown();
    const fromEvents = [...h.named('job_executed'), ...h.named('job_error')].map((e) => [e.outcome, e.durationMs, e.latenessMs]);
    expect(seen).toHaveLength(6);
    expect(seen.filter(([o]) => o === 'succeeded')).toHaveLength(3);
    expect(seen.filter(([o]) => o === 'failed')).toHaveLength(3);
    expect([...seen].sort()).toEqual([...fromEvents].sort());
  });

  it('gets the job id of each run, the very string the run record holds', async () => {
    const h = harness({ fastPath: true });
    const seen: string[] = [];
    h.scheduler.observeRuns((_outcome, _durationMs, _latenessMs, jobId) => void seen.push(jobId));
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'a');
    await h.scheduler.addIntervalJob(() => undefined, 2, 'b');
    await h.clock.advance(2000);
    expect(seen.sort()).toEqual(['a', 'a', 'b']);
    const [run] = await h.scheduler.getRuns('a', { limit: 1 });
    expect(seen).toContain(run?.jobId);
    await h.scheduler.shutdown();
  });

  it('costs no event: with only an observer, the bus wants no run event and the log stays quiet', async () => {
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger('warn');
    const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
    let count = 0;
    const off = scheduler.observeRuns(() => void count++);
    await scheduler.start();
    await scheduler.addIntervalJob(() => undefined, 1, 'tick');
    await clock.advance(5000);
    expect(count).toBe(5);
    off();
    await clock.advance(2000);
    expect(count).toBe(5);
    await scheduler.shutdown();
    expect(logger.lines.filter((l) => l.event === 'job_executed')).toHaveLength(0);
  });

  it('an observer that throws is logged and the schedule goes on', async () => {
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger('warn');
    const scheduler = new SchedulerService({ clock, logger, timezone: 'UTC' });
    scheduler.observeRuns(() => {
      throw new Error('observer broke');
    });
    let runs = 0;
    await scheduler.start();
    await scheduler.addIntervalJob(() => void runs++, 1, 'tick');
    await clock.advance(3000);
    expect(runs).toBe(3);
    expect(logger.lines.filter((l) => l.event === 'listener_error')).toHaveLength(3);
    await scheduler.shutdown();
  });

  it('refuses what is not a function', () => {
    const scheduler = new SchedulerService({ timezone: 'UTC' });
    expect(() => scheduler.observeRuns('nope' as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
