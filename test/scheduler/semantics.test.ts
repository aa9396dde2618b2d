/**
 * The scheduling rules Tickwork shares with APScheduler 3, on a manual clock: the interval grid, run
 * records, coalescing, misfire grace, the catch-up limit, date jobs, max instances and the concurrency
 * limit. Each rule is described in docs/semantics.md; a `// docs/semantics.md#<section>` comment above a
 * test names the section it checks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { harness, REFERENCE, sleepOn, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

describe('interval jobs', () => {
  // docs/semantics.md#interval-grid
  it('fires on the start + k * period grid with no drift, even when each run is late', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), 10, 'tick');
    // Each wake happens 3 ms late (a busy event loop); the grid must not slide by those 3 ms.
    for (let i = 0; i < 5; i++) {
      h.clock.stall(i === 0 ? 10_003 : 10_000);
      await h.clock.advance(0);
    }
    expect(seen).toEqual([10_000, 20_000, 30_000, 40_000, 50_000]);
    const info = await h.scheduler.getJob('tick');
    expect(info?.nextRunTime?.getTime()).toBe(REFERENCE + 60_000);
  });

  // docs/semantics.md#interval-grid
  it('supports fractional seconds on an exact grid', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      (ctx) => {
        expect(ctx.scheduledAtMs).toBe(ctx.scheduledAt.getTime());
        seen.push(ctx.scheduledAtMs - REFERENCE);
      },
      0.25,
      'fast',
    );
    await h.clock.advance(1_000);
    expect(seen).toEqual([250, 500, 750, 1000]);
  });

  // docs/semantics.md#run-records
  it('records each run with its lateness and duration', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'job');
    await h.clock.advance(3_000);
    const runs = await h.scheduler.getRuns('job');
    expect(runs.map((r) => r.outcome)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(runs[0]?.scheduledAt.getTime()).toBe(REFERENCE + 3_000);
    expect(runs[0]?.id).toBe('job@2026-01-01T00:00:03.000Z');
    expect(runs[0]?.latenessMs).toBe(0);
    const info = await h.scheduler.getJob('job');
    expect(info?.lastRun?.scheduledAt.getTime()).toBe(REFERENCE + 3_000);
  });

  // docs/semantics.md#run-records
  it('a run that waited for a slow synchronous run in the same pass records when it really started', async () => {
    h = harness();
    await h.scheduler.start();
    // Both due at 1 s; the first blocks for 700 ms, so the second starts 700 ms late and an async third
    // (due at the same time) after both.
    await h.scheduler.addIntervalJob(() => h.clock.stall(700), 1, 'slow');
    await h.scheduler.addIntervalJob(() => undefined, 1, 'next');
    await h.scheduler.addIntervalJob(
      async () => {
        h.clock.stall(50);
        await Promise.resolve();
      },
      1,
      'async',
    );
    await h.scheduler.addIntervalJob(() => undefined, 1, 'after-async');
    await h.clock.advance(1_000);
    const [slow] = await h.scheduler.getRuns('slow');
    const [next] = await h.scheduler.getRuns('next');
    const [after] = await h.scheduler.getRuns('after-async');
    expect(slow?.durationMs).toBe(700);
    expect(next?.startedAt?.getTime()).toBe(REFERENCE + 1_700);
    expect(next?.latenessMs).toBe(700);
    expect(next?.durationMs).toBe(0);
    // The async job's synchronous part took 50 ms: the next run's start is read, not assumed.
    expect(after?.latenessMs).toBe(750);
  });

  // docs/semantics.md#run-records
  it('time spent in an event listener between two runs counts toward the next run (lateness, misfire)', async () => {
    h = harness({ jobDefaults: { misfireGraceTime: 1 } });
    await h.scheduler.start();
    h.scheduler.on('job_executed', (p) => {
      if (p.jobId === 'a') h.clock.stall(2_000); // a listener that blocks for 2 s
    });
    await h.scheduler.addIntervalJob(() => 'a', 10, 'a');
    await h.scheduler.addIntervalJob(() => 'b', 10, 'b');
    await h.clock.advance(10_000);
    const [b] = await h.scheduler.getRuns('b');
    expect(b?.outcome).toBe('missed');
    expect(b?.latenessMs).toBe(2_000);
  });

  it('a run after a failed run whose error listener blocked starts when it really starts', async () => {
    h = harness();
    await h.scheduler.start();
    h.scheduler.on('job_error', () => h.clock.stall(300));
    await h.scheduler.addIntervalJob(
      () => {
        throw new Error('boom');
      },
      10,
      'fails',
    );
    await h.scheduler.addIntervalJob(
      async () => {
        await sleepOn(h.clock, 1_000);
      },
      10,
      'async',
    );
    await h.clock.advance(12_000);
    const [run] = await h.scheduler.getRuns('async');
    expect(run?.startedAt?.getTime()).toBe(REFERENCE + 10_300);
    expect(run?.latenessMs).toBe(300);
    expect(run?.durationMs).toBe(1_000);
  });
});

describe('coalescing and misfires', () => {
  // docs/semantics.md#coalesce
  it('coalesce: five missed fires run once, for the latest, and the run counts the five', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), 10, 'job', { misfireGraceTime: null });
    h.clock.stall(50_000); // blocked for five periods
    await h.clock.advance(0);
    expect(seen).toEqual([50_000]);
    expect(h.named('job_missed')).toHaveLength(0);
    const [run] = await h.scheduler.getRuns('job');
    expect(run?.coalesced).toBe(5);
    expect((await h.scheduler.getJob('job'))?.nextRunTime?.getTime()).toBe(REFERENCE + 60_000);
  });

  // docs/semantics.md#coalesce
  it('without coalescing and with unlimited grace, every missed fire runs, in order, as one submission', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), 10, 'job', { coalesce: false, misfireGraceTime: null });
    h.clock.stall(60_000);
    await h.clock.advance(0);
    expect(seen).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000]);
    expect(h.named('job_submitted')).toHaveLength(1);
  });

  // docs/semantics.md#misfire-grace
  it('without coalescing, each fire of a backlog is checked against the grace when it starts', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), 1, 'job', { coalesce: false, misfireGraceTime: 3 });
    h.clock.stall(6_000); // fires at 1..6 s are due at 6 s
    await h.clock.advance(0);
    expect(seen).toEqual([3_000, 4_000, 5_000, 6_000]);
    expect(h.named('job_missed').map((e) => e.scheduledAt)).toEqual(['2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z']);
  });

  // docs/semantics.md#misfire-grace
  it("with a 1 s grace (APScheduler's default), a backlog of six runs the two fires within grace and misses four", async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 1, 'job', { coalesce: false, misfireGraceTime: 1 });
    h.clock.stall(6_000);
    await h.clock.advance(0);
    expect(calls).toBe(2); // 5 s (1 s late, within grace) and 6 s
    expect(h.named('job_missed')).toHaveLength(4);
  });

  // docs/semantics.md#misfire-grace
  it('a fire later than its grace is not run: job_missed, recorded missed', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 100, 'job', { misfireGraceTime: 5 });
    h.clock.stall(106_000);
    await h.clock.advance(0);
    expect(calls).toBe(0);
    const [missed] = h.named('job_missed');
    expect(missed).toMatchObject({ jobId: 'job', outcome: 'missed', latenessMs: 6_000, scheduledAt: '2026-01-01T00:01:40.000Z' });
    expect((await h.scheduler.getRuns('job'))[0]?.outcome).toBe('missed');
  });

  // docs/semantics.md#date-jobs
  it('a date job added 30 s in the past, past its grace, is refused naming trigger.runAt; within the grace or with no grace it runs at once', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    const past = new Date(REFERENCE - 30_000);
    await expect(h.scheduler.addDateJob(() => void calls++, past, 'once', { misfireGraceTime: 1 })).rejects.toMatchObject({
      code: 'INVALID_TRIGGER',
      details: [{ path: 'trigger.runAt' }],
      message: expect.stringMatching(/^trigger\.runAt \(2025-12-31T23:59:30\.000Z\) is 30 s in the past, beyond the job's misfireGraceTime \(1 s\)/),
    });
    expect(await h.scheduler.getJob('once')).toBeUndefined();
    // The same through addJob, with replaceExisting, and as a change of trigger: nothing is added or changed.
    await expect(
      h.scheduler.addJob({ id: 'once', func: () => undefined, trigger: { type: 'date', runAt: past }, misfireGraceTime: 1, replaceExisting: true }),
    ).rejects.toMatchObject({
      code: 'INVALID_TRIGGER',
    });
    await h.scheduler.addIntervalJob(() => undefined, 60, 'every');
    // Its grace is the default 60 s: an hour ago is past it.
    await expect(h.scheduler.rescheduleJob('every', { type: 'date', runAt: new Date(REFERENCE - 3_600_000) })).rejects.toMatchObject({
      code: 'INVALID_TRIGGER',
      message: expect.stringContaining('60 min in the past'),
    });
    expect((await h.scheduler.getJob('every'))?.trigger.type).toBe('interval');
    // Within the default grace (60 s), and with no grace at all, the past date is kept and runs at once.
    await h.scheduler.addDateJob(() => void calls++, past, 'within');
    await h.scheduler.addDateJob(() => void calls++, new Date(REFERENCE - 86_400_000), 'graceless', { misfireGraceTime: null });
    await h.clock.advance(0);
    expect(calls).toBe(2);
    expect(h.named('job_missed')).toHaveLength(0);
  });

  // docs/semantics.md#date-jobs
  it('runs a date job once at its time and then removes it', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addDateJob(() => void calls++, '2026-01-01T00:00:05Z', 'once');
    await h.clock.advance(10_000);
    expect(calls).toBe(1);
    expect(h.named('job_executed')).toHaveLength(1);
    expect(await h.scheduler.getJob('once')).toBeUndefined();
  });

  // docs/semantics.md#catch-up-limit
  it('records a backlog beyond maxCatchUp as one missed stretch and runs only the latest fires', async () => {
    h = harness({ maxCatchUp: 3 });
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), 1, 'job', { coalesce: false, misfireGraceTime: null });
    h.clock.stall(3_600_000); // an hour down: 3600 due fires
    await h.clock.advance(0);
    expect(seen).toEqual([3_598_000, 3_599_000, 3_600_000]);
    const missed = (await h.scheduler.getRuns('job', { limit: 10 })).filter((r) => r.outcome === 'missed');
    expect(missed).toHaveLength(1);
    expect(missed[0]).toMatchObject({ coalesced: 3_597 });
    expect(missed[0]?.scheduledAt.getTime()).toBe(REFERENCE + 1_000);
    expect(missed[0]?.lastScheduledAt?.getTime()).toBe(REFERENCE + 3_597_000);
  });

  // docs/semantics.md#catch-up-limit
  it('computes a year-long interval backlog arithmetically (no loop per second)', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 0.001, 'ms-job', { misfireGraceTime: null });
    const started = performance.now();
    h.clock.stall(365 * 86_400_000);
    await h.clock.advance(0);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(calls).toBe(1);
    expect((await h.scheduler.getRuns('ms-job'))[0]?.coalesced).toBe(365 * 86_400_000);
  });
});

describe('max instances', () => {
  // docs/semantics.md#max-instances
  it('with maxInstances 1, a fire while the instance runs is skipped (job_max_instances, recorded skipped) and the schedule goes on', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(({ signal }) => sleepOn(h.clock, 1_300, signal), 0.5, 'slow');
    await h.clock.advance(2_600);
    const names = h.events.map(([n]) => n).filter((n) => n.startsWith('job_') && n !== 'job_added');
    // Fires at 0.5 s (runs until 1.8 s), 1.0 and 1.5 s (skipped), 2.0 s (runs), 2.5 s (skipped).
    expect(names).toEqual(['job_submitted', 'job_max_instances', 'job_max_instances', 'job_executed', 'job_submitted', 'job_max_instances']);
    const skipped = h.named('job_max_instances')[0];
    expect(skipped).toMatchObject({ jobId: 'slow', outcome: 'skipped' });
    expect((await h.scheduler.getJob('slow'))?.runningInstances).toBe(1);
  });

  // docs/semantics.md#max-instances
  it('lets maxInstances: 2 run two at once and skips the third', async () => {
    h = harness();
    let running = 0;
    let peak = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await sleepOn(h.clock, 2_500);
        running--;
      },
      1,
      'job',
      { maxInstances: 2 },
    );
    await h.clock.advance(3_000);
    expect(peak).toBe(2);
    expect(h.named('job_max_instances')).toHaveLength(1);
    await h.clock.advance(5_000);
    expect(h.named('job_executed').length).toBeGreaterThanOrEqual(3);
  });

  // docs/semantics.md#manual-runs
  it('runJobNow counts toward maxInstances', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => sleepOn(h.clock, 5_000), 3_600, 'job');
    await h.scheduler.runJobNow('job');
    await expect(h.scheduler.runJobNow('job')).rejects.toMatchObject({ code: 'MAX_INSTANCES_REACHED', status: 409 });
    await h.clock.advance(5_000);
    expect(h.named('job_executed')).toHaveLength(1);
  });
});

describe('maxConcurrentRuns', () => {
  // docs/semantics.md#concurrency-limit
  it('makes runs beyond the bound wait in order, and applies the misfire rule when they start', async () => {
    h = harness({ maxConcurrentRuns: 1 });
    const started: string[] = [];
    await h.scheduler.start();
    for (const id of ['a', 'b', 'c']) {
      await h.scheduler.addIntervalJob(
        async (ctx) => {
          started.push(`${ctx.jobId}@${h.clock.now() - REFERENCE}`);
          await sleepOn(h.clock, 40_000);
        },
        3_600,
        id,
        { misfireGraceTime: 60 },
      );
    }
    await h.clock.advance(3_600_000 + 130_000);
    // a runs at once; b waits 40 s (within grace); c would start 80 s late: missed.
    expect(started).toEqual(['a@3600000', 'b@3640000']);
    expect(h.named('job_missed').map((e) => e.jobId)).toEqual(['c']);
  });
});
