/**
 * maxRuns: the fires that may start, on a manual clock. Retries, manual runs and fires skipped or missed
 * do not count; after the last the job finishes and is removed; the count survives a restart (SQLite).
 * (The PostgreSQL cluster case is in test/stores/postgres-max-runs.test.ts.)
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, harness, REFERENCE, sleepOn, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

async function failure(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

describe('maxRuns', () => {
  // docs/semantics.md#run-limits
  it('runs n fires, counting down remainingRuns, then finishes and removes the job', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    const info = await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAtMs - REFERENCE), 10, 'three', { maxRuns: 3 });
    expect(info).toMatchObject({ maxRuns: 3, remainingRuns: 3 });
    await h.clock.advance(10_000);
    expect((await h.scheduler.getJob('three'))?.remainingRuns).toBe(2);
    await h.clock.advance(20_000);
    expect(seen).toEqual([10_000, 20_000, 30_000]);
    expect(await h.scheduler.getJob('three')).toBeUndefined();
    expect(h.named('job_removed')).toEqual([{ jobId: 'three' }]);
    await h.clock.advance(60_000);
    expect(seen).toHaveLength(3);
  });

  it('a job without maxRuns shows maxRuns null and no remainingRuns', async () => {
    h = harness();
    const info = await h.scheduler.addIntervalJob(() => undefined, 10, 'free');
    expect(info.maxRuns).toBeNull();
    expect('remainingRuns' in info).toBe(false);
  });

  it('does not count retries: a failing first attempt and its retry are one counted fire', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      () => {
        calls++;
        if (calls === 1) throw new Error('first attempt fails');
      },
      60,
      'retried',
      { maxRuns: 2, retries: { max: 1, backoffSeconds: 5 } },
    );
    await h.clock.advance(60_000); // fire 1, attempt 1 fails
    await h.clock.advance(5_000); // its retry
    expect(calls).toBe(2);
    expect((await h.scheduler.getJob('retried'))?.remainingRuns).toBe(1);
    await h.clock.advance(55_000); // fire 2, the last
    expect(calls).toBe(3);
    expect(await h.scheduler.getJob('retried')).toBeUndefined();
  });

  it('a finished job whose last fire fails waits for its retry before it goes', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      () => {
        calls++;
        if (calls === 1) throw new Error('fails once');
      },
      60,
      'last',
      { maxRuns: 1, retries: { max: 1, backoffSeconds: 5 } },
    );
    await h.clock.advance(60_000);
    expect(await h.scheduler.getJob('last')).toMatchObject({ remainingRuns: 0, nextRunTime: null });
    await h.clock.advance(5_000);
    expect(calls).toBe(2);
    expect(await h.scheduler.getJob('last')).toBeUndefined();
  });

  it('does not count manual runs', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 60, 'manual', { maxRuns: 1 });
    await h.scheduler.runJobNow('manual');
    await h.clock.advance(0);
    expect(calls).toBe(1);
    expect((await h.scheduler.getJob('manual'))?.remainingRuns).toBe(1);
    await h.clock.advance(60_000);
    expect(calls).toBe(2);
    expect(await h.scheduler.getJob('manual')).toBeUndefined();
  });

  it('does not count a fire skipped at maxInstances', async () => {
    h = harness();
    let started = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        started++;
        await sleepOn(h.clock, 25_000);
      },
      10,
      'slow',
      { maxRuns: 2 },
    );
    await h.clock.advance(10_000); // starts, runs 25 s
    await h.clock.advance(10_000); // skipped: the first still runs
    expect(h.named('job_max_instances')).toHaveLength(1);
    expect((await h.scheduler.getJob('slow'))?.remainingRuns).toBe(1);
    await h.clock.advance(20_000); // 40 s: the first ended at 35 s, the second starts
    expect(started).toBe(2);
    expect((await h.scheduler.getJob('slow'))?.remainingRuns).toBe(0);
  });

  it('runs at most the remaining fires of a backlog run one by one (coalesce false)', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAtMs - REFERENCE), 10, 'backlog', {
      maxRuns: 3,
      coalesce: false,
      misfireGraceTime: null,
    });
    h.clock.stall(60_000); // six fires due at once
    await h.clock.advance(0);
    expect(seen).toEqual([10_000, 20_000, 30_000]);
    expect(await h.scheduler.getJob('backlog')).toBeUndefined();
  });

  it('does not count a fire recorded missed (too late to start)', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 10, 'late', { maxRuns: 2, misfireGraceTime: 1 });
    h.clock.stall(15_000); // the fire at 10 s is 5 s late
    await h.clock.advance(0);
    expect(h.named('job_missed')).toHaveLength(1);
    expect(calls).toBe(0);
    expect((await h.scheduler.getJob('late'))?.remainingRuns).toBe(2);
  });

  it('in a backlog run fire by fire, the fires too late to start are recorded missed and the limit goes to the next ones', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAtMs - REFERENCE), 10, 'mixed', {
      maxRuns: 2,
      coalesce: false,
      misfireGraceTime: 25,
    });
    h.clock.stall(60_000); // fires at 10..60 s due at once: 10, 20 and 30 s are more than 25 s late
    await h.clock.advance(0);
    expect(seen).toEqual([40_000, 50_000]);
    expect(h.named('job_missed').map((e) => Date.parse(e.scheduledAt) - REFERENCE)).toEqual([10_000, 20_000, 30_000]);
    expect(await h.scheduler.getJob('mixed')).toBeUndefined();
  });

  it('counts a coalesced backlog as one fire', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 10, 'coalesced', { maxRuns: 2, misfireGraceTime: null });
    h.clock.stall(60_000);
    await h.clock.advance(0);
    expect(calls).toBe(1);
    expect((await h.scheduler.getJob('coalesced'))?.remainingRuns).toBe(1);
  });

  it('works with every trigger: a cron job with maxRuns 2 fires twice', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addCronJob(() => void calls++, '* * * * *', 'cron', { maxRuns: 2 });
    await h.clock.advance(5 * 60_000);
    expect(calls).toBe(2);
    expect(await h.scheduler.getJob('cron')).toBeUndefined();
  });

  it.each([0, -1, 1.5, '3', 1_000_000_001])('refuses maxRuns %j with INVALID_ARGUMENT at options.maxRuns', async (maxRuns) => {
    h = harness();
    const error = await failure(() => h.scheduler.addIntervalJob(() => undefined, 10, 'bad', { maxRuns } as never));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'options.maxRuns' }] });
  });

  it('updateJob may raise or lift the limit, not set it at or below the fires already counted', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 10, 'change', { maxRuns: 5 });
    await h.clock.advance(30_000);
    expect((await h.scheduler.getJob('change'))?.remainingRuns).toBe(2);
    const error = await failure(() => h.scheduler.updateJob('change', { maxRuns: 3 }));
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'changes.maxRuns' }] });
    expect((error as Error).message).toMatch(/more than the 3 fires/);
    expect(await h.scheduler.updateJob('change', { maxRuns: 4 })).toMatchObject({ maxRuns: 4, remainingRuns: 1 });
    const lifted = await h.scheduler.updateJob('change', { maxRuns: null });
    expect(lifted.maxRuns).toBeNull();
    expect('remainingRuns' in lifted).toBe(false);
  });
});

describe('maxRuns across a restart (SQLite)', () => {
  it('keeps the count: 2 of 5 fires before the restart, 3 after it, then the job is removed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-maxruns-')), 'jobs.db');
    const clock = new ManualClock(REFERENCE);
    let calls = 0;
    const boot = (): SchedulerService => {
      const s = new SchedulerService({ timezone: 'UTC', clock, logger: captureLogger('error'), store: new SqliteJobStore({ path }) });
      s.registerTask('count', () => void calls++);
      return s;
    };
    const first = boot();
    await first.start();
    await first.addIntervalJob('count', 10, 'limited', { maxRuns: 5 });
    await clock.advance(20_000);
    expect(calls).toBe(2);
    await first.shutdown();
    const second = boot();
    await second.start();
    expect(await second.getJob('limited')).toMatchObject({ maxRuns: 5, remainingRuns: 3 });
    await clock.advance(100_000);
    expect(calls).toBe(5);
    expect(await second.getJob('limited')).toBeUndefined();
    await second.shutdown();
    const third = boot();
    await third.start();
    expect(await third.getJobs()).toMatchObject({ items: [] });
    await third.shutdown();
  });
});
