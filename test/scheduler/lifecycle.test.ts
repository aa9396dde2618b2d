/** Start, shutdown, pause/resume, timeouts, cancellation, retries and removal, on a manual clock. */
import { afterEach, describe, expect, it } from 'vitest';
import { deferred, harness, REFERENCE, sleepOn, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

describe('start and shutdown', () => {
  it('logs scheduler_started and scheduler_stopped as JSON events', async () => {
    h = harness();
    await h.scheduler.start();
    expect(h.scheduler.isRunning).toBe(true);
    await h.scheduler.shutdown();
    expect(h.scheduler.isRunning).toBe(false);
    expect(h.logger.lines.map((l) => l.event)).toEqual(['scheduler_started', 'scheduler_stopped']);
    expect(h.logger.lines[0]).toMatchObject({ level: 'info', event: 'scheduler_started' });
  });

  // docs/semantics.md#start
  it('refuses to start twice, and to shut down or pause when stopped', async () => {
    h = harness();
    await expect(h.scheduler.shutdown()).rejects.toMatchObject({ code: 'SCHEDULER_NOT_RUNNING' });
    await expect(h.scheduler.pause()).rejects.toMatchObject({ code: 'SCHEDULER_NOT_RUNNING' });
    await h.scheduler.start();
    await expect(h.scheduler.start()).rejects.toMatchObject({ code: 'SCHEDULER_ALREADY_RUNNING' });
  });

  // docs/semantics.md#start
  it('runs jobs added before start once started, and not before', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.addIntervalJob(() => void calls++, 1, 'early');
    await h.clock.advance(5_000);
    expect(calls).toBe(0);
    await h.scheduler.start();
    await h.clock.advance(0);
    expect(calls).toBe(1); // the backlog coalesced into one run
  });

  // docs/semantics.md#shutdown-drain
  it('shutdown waits for a running job, and scheduler_stopped comes after it', async () => {
    h = harness();
    const order: string[] = [];
    h.scheduler.on('scheduler_stopped', () => void order.push('stopped'));
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        await sleepOn(h.clock, 2_000);
        order.push('job done');
      },
      1,
      'slow',
    );
    await h.clock.advance(1_000);
    let resolved = false;
    const stopping = h.scheduler.shutdown().then(() => void (resolved = true));
    await h.clock.advance(1_000);
    expect(resolved).toBe(false);
    await h.clock.advance(1_000);
    await stopping;
    expect(order).toEqual(['job done', 'stopped']);
    expect(h.named('job_executed')).toHaveLength(1);
  });

  // docs/semantics.md#shutdown-drain
  it('stops taking new fires as soon as shutdown starts', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        calls++;
        await sleepOn(h.clock, 10_000);
      },
      1,
      'slow',
      { maxInstances: 100 },
    );
    await h.clock.advance(1_000);
    const stopping = h.scheduler.shutdown();
    await h.clock.advance(10_000);
    await stopping;
    expect(calls).toBe(1);
  });

  // docs/semantics.md#shutdown-drain
  it('shutdown({ wait: false }) aborts the running job signal and records it cancelled', async () => {
    h = harness();
    let aborted = false;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async ({ signal }) => {
        signal.addEventListener('abort', () => void (aborted = true));
        await sleepOn(h.clock, 60_000, signal);
      },
      1,
      'slow',
    );
    await h.clock.advance(1_000);
    await h.scheduler.shutdown({ wait: false });
    expect(aborted).toBe(true);
    expect(h.named('job_cancelled')).toHaveLength(1);
    expect(h.events.at(-1)?.[0]).toBe('scheduler_stopped');
  });

  // docs/semantics.md#shutdown-drain
  it('shutdown stops waiting after timeoutSeconds, aborting what still runs', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(async ({ signal }) => sleepOn(h.clock, 600_000, signal), 1, 'stuck');
    await h.clock.advance(1_000);
    const stopping = h.scheduler.shutdown({ timeoutSeconds: 5 });
    await h.clock.advance(5_000);
    await stopping;
    expect(h.named('job_cancelled')[0]?.error?.message).toMatch(/timeoutSeconds \(5 s\)/);
    expect(h.scheduler.isRunning).toBe(false);
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('timeouts and cancellation', () => {
  // docs/semantics.md#timeouts
  it('times out a run: aborts its signal, records timed_out, frees the slot', async () => {
    h = harness();
    const reasons: unknown[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async ({ signal }) => {
        signal.addEventListener('abort', () => void reasons.push(signal.reason));
        await sleepOn(h.clock, 60_000, signal);
      },
      10,
      'job',
      { timeoutSeconds: 2 },
    );
    await h.clock.advance(12_000);
    const [timedOut] = h.named('job_timed_out');
    expect(timedOut).toMatchObject({ jobId: 'job', outcome: 'timed_out', durationMs: 2_000 });
    expect(timedOut?.error?.code).toBe('TIMED_OUT');
    expect(reasons).toHaveLength(1);
    // The slot was freed, so the fire at 20 s runs instead of being skipped.
    await h.clock.advance(8_000);
    expect(h.named('job_submitted')).toHaveLength(2);
    expect(h.named('job_max_instances')).toHaveLength(0);
  });

  it('shutdown waits for a timed-out job that ignores its signal, within its bound', async () => {
    h = harness();
    const done = deferred();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => done.promise, 1, 'stubborn', { timeoutSeconds: 1 });
    await h.clock.advance(2_000);
    expect(h.named('job_timed_out')).toHaveLength(1);
    let resolved = false;
    const stopping = h.scheduler.shutdown({ timeoutSeconds: 30 }).then(() => void (resolved = true));
    await h.clock.advance(1_000);
    expect(resolved).toBe(false);
    done.resolve();
    await h.clock.advance(0);
    await stopping;
    expect(resolved).toBe(true);
  });

  // docs/semantics.md#timeouts
  it('a timed-out run that never settles is let go 60 s after its timeout, with run_abandoned, and stops holding shutdown', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => new Promise(() => undefined), 3600, 'forever', { timeoutSeconds: 1 });
    await h.clock.advance(3_601_000);
    expect(h.named('job_timed_out')).toHaveLength(1);
    await h.clock.advance(59_000);
    expect(h.logger.lines.filter((l) => l.event === 'run_abandoned')).toHaveLength(0);
    await h.clock.advance(1_000);
    const abandoned = h.logger.lines.filter((l) => l.event === 'run_abandoned');
    expect(abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatchObject({ level: 'warn', jobId: 'forever' });
    // Nothing is left to wait for: shutdown resolves at once, with no time advanced.
    let resolved = false;
    const stopping = h.scheduler.shutdown({ timeoutSeconds: 30 }).then(() => void (resolved = true));
    await h.clock.advance(0);
    await stopping;
    expect(resolved).toBe(true);
  });

  // docs/semantics.md#cancellation
  it('cancelRun aborts the running runs of a job', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(({ signal }) => sleepOn(h.clock, 60_000, signal), 1, 'job');
    await h.clock.advance(1_000);
    expect(await h.scheduler.cancelRun('job')).toBe(1);
    expect(h.named('job_cancelled')).toHaveLength(1);
    expect((await h.scheduler.getRuns('job'))[0]?.outcome).toBe('cancelled');
    expect((await h.scheduler.getJob('job'))?.runningInstances).toBe(0);
  });
});

describe('errors in jobs', () => {
  // docs/semantics.md#failures
  it('records a throwing job as failed (job_error with its code and message, the stack in the log) and keeps its schedule', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      },
      1,
      'bad',
    );
    await h.clock.advance(3_000);
    const errors = h.named('job_error');
    expect(errors).toHaveLength(3);
    expect(errors[0]?.error).toEqual({ code: 'ENOSPC', message: 'disk full' });
    const logged = h.logger.lines.find((l) => l.event === 'job_error');
    expect(logged).toMatchObject({ level: 'error', jobId: 'bad' });
    expect(String(logged?.stack)).toMatch(/disk full/);
  });

  it('records a rejecting job as failed', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(async () => Promise.reject(new Error('nope')), 1, 'bad');
    await h.clock.advance(1_000);
    expect((await h.scheduler.getRuns('bad'))[0]).toMatchObject({ outcome: 'failed', error: { message: 'nope' } });
  });

  it('a listener that throws does not break the scheduler', async () => {
    h = harness();
    let calls = 0;
    h.scheduler.on('job_executed', () => {
      throw new Error('listener bug');
    });
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 1, 'job');
    await h.clock.advance(3_000);
    expect(calls).toBe(3);
    expect(h.logger.lines.filter((l) => l.event === 'listener_error')).toHaveLength(3);
  });

  // docs/semantics.md#retries
  it('retries a failed run with doubling backoff, with attempt + 1', async () => {
    h = harness();
    const attempts: [number, number][] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      (ctx) => {
        attempts.push([ctx.attempt, h.clock.now() - REFERENCE]);
        throw new Error('flaky');
      },
      3_600,
      'job',
      { retries: { max: 2, backoffSeconds: 10 } },
    );
    await h.clock.advance(3_600_000 + 60_000);
    expect(attempts).toEqual([
      [1, 3_600_000],
      [2, 3_610_000],
      [3, 3_630_000],
    ]);
    expect(h.named('job_retry_scheduled').map((e) => e.attempt)).toEqual([2, 3]);
    const runs = await h.scheduler.getRuns('job');
    expect(runs.map((r) => r.attempt)).toEqual([3, 2, 1]);
    expect(runs.every((r) => r.scheduledAt.getTime() === REFERENCE + 3_600_000)).toBe(true);
  });

  // docs/semantics.md#retries
  it('a paused job is never due: pausing drops a pending retry, and a run failing while paused schedules none', async () => {
    h = harness();
    const attempts: [number, number][] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async (ctx) => {
        attempts.push([ctx.attempt, h.clock.now() - REFERENCE]);
        if (ctx.attempt === 1 && attempts.length === 2) await sleepOn(h.clock, 5_000); // fails after the pause below
        throw new Error('flaky');
      },
      60,
      'job',
      { retries: { max: 3, backoffSeconds: 10 } },
    );
    await h.clock.advance(60_000); // attempt 1 fails at 60 s; its retry is due at 70 s
    expect(h.named('job_retry_scheduled')).toHaveLength(1);
    await h.scheduler.pauseJob('job');
    await h.clock.advance(30_000);
    expect(attempts).toEqual([[1, 60_000]]);
    expect(await h.scheduler.getJob('job')).toMatchObject({ paused: true, nextRunTime: null });
    await h.scheduler.resumeJob('job'); // at 90 s: next regular fire at 120 s, no retry of the 60 s fire
    await h.clock.advance(31_000);
    expect(attempts).toEqual([
      [1, 60_000],
      [1, 120_000],
    ]);
    await h.scheduler.pauseJob('job'); // the 120 s run is still running; it fails at 125 s, paused
    await h.clock.advance(60_000);
    expect(attempts).toEqual([
      [1, 60_000],
      [1, 120_000],
    ]);
    expect(h.named('job_retry_scheduled')).toHaveLength(1);
    expect(h.named('job_error')).toHaveLength(2);
  });

  // docs/semantics.md#retries
  it('a change to the job keeps a pending retry only while its rules still hold: retries dropped, fewer allowed, or a new schedule firing first', async () => {
    const cases: [string, (s: Harness['scheduler']) => Promise<unknown>, boolean][] = [
      ['an unrelated change', (s) => s.modifyJob('job', { name: 'renamed' }), true],
      ['retries removed', (s) => s.modifyJob('job', { retries: null }), false],
      ['max lowered to the failed attempt', (s) => s.modifyJob('job', { retries: { max: 2, backoffSeconds: 10 } }), true],
      ['max lowered below it', (s) => s.modifyJob('job', { retries: { max: 1, backoffSeconds: 10 } }), false],
      ['a new schedule firing first (every 5 s from 70 s)', (s) => s.rescheduleJob('job', { type: 'interval', seconds: 5 }), false],
      ['a new schedule firing after it (every 30 s from 70 s)', (s) => s.rescheduleJob('job', { type: 'interval', seconds: 30 }), true],
    ];
    for (const [label, change, kept] of cases) {
      h = harness();
      const attempts: number[] = [];
      await h.scheduler.start();
      await h.scheduler.addIntervalJob(
        (ctx) => {
          attempts.push(ctx.attempt);
          if (ctx.attempt < 3) throw new Error('flaky');
        },
        60,
        'job',
        { retries: { max: 3, backoffSeconds: 10 } },
      );
      await h.clock.advance(70_000); // attempt 1 fails at 60 s, attempt 2 at 70 s; attempt 3 is due at 90 s
      expect(h.named('job_retry_scheduled'), label).toHaveLength(2);
      await change(h.scheduler);
      await h.clock.advance(20_000);
      expect(attempts.includes(3), label).toBe(kept);
      await h.scheduler.shutdown();
    }
  });

  it('does not retry when the next regular fire comes first', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      () => {
        throw new Error('flaky');
      },
      5,
      'job',
      { retries: { max: 3, backoffSeconds: 10 } },
    );
    await h.clock.advance(5_000);
    expect(h.named('job_retry_scheduled')).toHaveLength(0);
  });
});

describe('pause and resume', () => {
  // docs/semantics.md#pause-and-resume
  it('a paused scheduler runs nothing; resume runs what fell due meanwhile, coalesced', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 10, 'job', { misfireGraceTime: null });
    await h.scheduler.pause();
    await h.clock.advance(35_000);
    expect(calls).toBe(0);
    await h.scheduler.resume();
    await h.clock.advance(0);
    expect(calls).toBe(1);
    expect(h.events.map(([n]) => n)).toContain('scheduler_paused');
    expect(h.events.map(([n]) => n)).toContain('scheduler_resumed');
  });

  it('start({ paused: true }) starts without processing', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.addIntervalJob(() => void calls++, 1, 'job');
    await h.scheduler.start({ paused: true });
    await h.clock.advance(5_000);
    expect(calls).toBe(0);
    expect(h.scheduler.isPaused).toBe(true);
  });

  // docs/semantics.md#pause-and-resume
  it('pauseJob clears the next run time; resumeJob recomputes it from now', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(() => void calls++, 10, 'job');
    const paused = await h.scheduler.pauseJob('job');
    expect(paused).toMatchObject({ paused: true, nextRunTime: null });
    await h.clock.advance(25_000);
    expect(calls).toBe(0);
    const resumed = await h.scheduler.resumeJob('job');
    expect(resumed?.nextRunTime?.getTime()).toBe(REFERENCE + 30_000);
    await h.clock.advance(5_000);
    expect(calls).toBe(1);
  });

  // docs/semantics.md#pause-and-resume
  it('resuming a date job whose time has passed leaves it to the misfire rule (within grace it runs), then removes it', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addDateJob(() => undefined, '2026-01-01T00:00:10Z', 'once', { paused: true });
    await h.clock.advance(20_000);
    // A date trigger still returns its date: the misfire rule decides on resume.
    await h.scheduler.resumeJob('once');
    await h.clock.advance(0);
    expect(h.named('job_executed')).toHaveLength(1);
    expect(await h.scheduler.getJob('once')).toBeUndefined();
  });
});

describe('job management', () => {
  // docs/semantics.md#job-changes
  it('rejects a second job with the same id unless replaceExisting', async () => {
    h = harness();
    await h.scheduler.addIntervalJob(() => undefined, 1, 'job');
    await expect(h.scheduler.addIntervalJob(() => undefined, 2, 'job')).rejects.toMatchObject({ code: 'CONFLICTING_ID', status: 409 });
    expect((await h.scheduler.getJob('job'))?.trigger).toMatchObject({ seconds: 1 });
    await h.scheduler.addIntervalJob(() => undefined, 2, 'job', { replaceExisting: true });
    const jobs = (await h.scheduler.getJobs()).items;
    expect(jobs).toHaveLength(1);
    expect(jobs[0]?.trigger).toMatchObject({ seconds: 2 });
  });

  // docs/semantics.md#job-changes
  it('modifyJob changes policies and emits job_modified; rescheduleJob recomputes the next run', async () => {
    h = harness();
    await h.scheduler.addIntervalJob(() => undefined, 3_600, 'job');
    const modified = await h.scheduler.modifyJob('job', { maxInstances: 3, name: 'renamed' });
    expect(modified).toMatchObject({ maxInstances: 3, name: 'renamed' });
    const rescheduled = await h.scheduler.rescheduleJob('job', { type: 'interval', seconds: 5 });
    expect(rescheduled.nextRunTime?.getTime()).toBe(REFERENCE + 5_000);
    expect(h.named('job_modified')).toHaveLength(2);
  });

  // docs/semantics.md#job-changes
  it('removeJob of an unknown id fails with JOB_NOT_FOUND; getJob returns undefined', async () => {
    h = harness();
    await expect(h.scheduler.removeJob('nope')).rejects.toMatchObject({ code: 'JOB_NOT_FOUND', status: 404 });
    expect(await h.scheduler.getJob('nope')).toBeUndefined();
  });

  // docs/semantics.md#job-changes
  it('a job removed while running finishes its run and never fires again', async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        calls++;
        await sleepOn(h.clock, 3_000);
      },
      1,
      'job',
    );
    await h.clock.advance(1_000);
    await h.scheduler.removeJob('job');
    await h.clock.advance(10_000);
    expect(calls).toBe(1);
    expect(h.named('job_executed')).toHaveLength(1);
    expect(h.named('job_removed')).toHaveLength(1);
  });

  it('a job with retries removed while its run is failing schedules no retry and logs no store error', async () => {
    h = harness();
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      async () => {
        await sleepOn(h.clock, 3_000);
        throw new Error('boom');
      },
      60,
      'job',
      { retries: { max: 2, backoffSeconds: 1 } },
    );
    await h.clock.advance(60_000);
    await h.scheduler.removeJob('job');
    await h.clock.advance(10_000);
    expect(h.named('job_error')).toHaveLength(1);
    expect(h.logger.lines.filter((l) => l.event === 'store_error')).toEqual([]);
    expect(await h.scheduler.getJob('job')).toBeUndefined();
  });

  it('lists jobs by next run time, paused last, and filters by text and state', async () => {
    h = harness();
    await h.scheduler.addIntervalJob(() => undefined, 30, 'c-late');
    await h.scheduler.addIntervalJob(() => undefined, 10, 'b-soon', { name: 'Nightly backup' });
    await h.scheduler.addIntervalJob(() => undefined, 10, 'a-paused', { paused: true });
    expect((await h.scheduler.getJobs()).items.map((j) => j.id)).toEqual(['b-soon', 'c-late', 'a-paused']);
    expect((await h.scheduler.getJobs({ q: 'BACKUP' })).items.map((j) => j.id)).toEqual(['b-soon']);
    expect((await h.scheduler.getJobs({ state: 'paused' })).items.map((j) => j.id)).toEqual(['a-paused']);
  });

  it('generates a UUID for addJob without an id and accepts a registered task by name', async () => {
    h = harness();
    const seen: unknown[] = [];
    h.scheduler.registerTask('greet', (ctx) => void seen.push(ctx.args));
    await h.scheduler.start();
    const info = await h.scheduler.addJob({ task: 'greet', args: { who: 'world' }, trigger: { type: 'interval', seconds: 1 } });
    expect(info.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(info).toMatchObject({ task: 'greet', name: 'greet', status: 'ok', args: { who: 'world' } });
    await h.clock.advance(1_000);
    expect(seen).toEqual([{ who: 'world' }]);
  });

  it('adding and removing 100 000 jobs leaves one timer at most, and none after shutdown', async () => {
    h = harness();
    await h.scheduler.start();
    for (let i = 0; i < 100_000; i++) await h.scheduler.addIntervalJob(() => undefined, 60 + (i % 600), `job-${i}`);
    expect(h.clock.pendingTimers).toBe(1);
    for (let i = 0; i < 100_000; i++) await h.scheduler.removeJob(`job-${i}`);
    expect((await h.scheduler.getJobs()).items).toHaveLength(0);
    await h.clock.advance(120_000);
    expect(h.named('job_executed')).toHaveLength(0);
    expect(h.clock.pendingTimers).toBeLessThanOrEqual(1);
    await h.scheduler.shutdown();
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('jitter', () => {
  // docs/semantics.md#jitter
  it('delays each fire by at most jitterSeconds, never early, and keeps scheduledAt nominal', async () => {
    h = harness();
    const delays: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void delays.push(h.clock.now() - ctx.scheduledAt.getTime()), 10, 'job', { jitterSeconds: 2 });
    for (let i = 0; i < 205; i++) await h.clock.advance(1_000);
    expect(delays).toHaveLength(20);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2_000);
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(h.named('job_missed')).toHaveLength(0);
  });
});

describe('clock jumps', () => {
  // docs/semantics.md#clock-jumps
  it('a wall clock jumping back does not fire a job twice; jumping forward applies the misfire rules', async () => {
    h = harness();
    const seen: number[] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), 60, 'job', { misfireGraceTime: 30 });
    await h.clock.advance(60_000);
    h.clock.jump(REFERENCE); // NTP moves the clock back a minute
    await h.clock.advance(60_000);
    expect(seen).toEqual([60_000]); // the 120 s fire is not due yet by the wall clock
    await h.clock.advance(60_000);
    expect(seen).toEqual([60_000, 120_000]);
    h.clock.jump(REFERENCE + 3_600_000); // forward an hour
    await h.clock.advance(10_000);
    expect(seen).toEqual([60_000, 120_000, 3_600_000]); // coalesced, within grace
  });

  it('a retry pending when the wall clock jumps back runs once, when the wall clock reaches its time again', async () => {
    h = harness();
    const attempts: [number, number][] = [];
    await h.scheduler.start();
    await h.scheduler.addIntervalJob(
      (ctx) => {
        attempts.push([ctx.attempt, h.clock.now() - REFERENCE]);
        if (ctx.attempt === 1) throw new Error('flaky');
      },
      3600,
      'job',
      { retries: { max: 2, backoffSeconds: 30 } },
    );
    await h.clock.advance(3_600_000); // attempt 1 fails at 1 h; the retry is due at 1 h 30 s
    h.clock.jump(REFERENCE + 3_540_000); // the wall clock goes back a minute
    await h.clock.advance(60_000); // wall clock at 1 h again: the retry is not due yet
    expect(attempts).toEqual([[1, 3_600_000]]);
    await h.clock.advance(30_000);
    expect(attempts).toEqual([
      [1, 3_600_000],
      [2, 3_630_000],
    ]);
    await h.clock.advance(60_000);
    expect(attempts).toHaveLength(2);
  });

  it('a wall clock jumping forward past several cron fires runs them as one coalesced run within grace, or records them missed past it', async () => {
    for (const [grace, outcome] of [
      [3600, 'succeeded'],
      [30, 'missed'],
    ] as const) {
      // The job is added at 00:00, which matches the expression: its first fire is then.
      h = harness();
      const seen: number[] = [];
      await h.scheduler.start();
      await h.scheduler.addCronJob((ctx) => void seen.push(ctx.scheduledAt.getTime() - REFERENCE), '*/5 * * * *', 'job', { misfireGraceTime: grace });
      await h.clock.advance(300_000); // the 00:05 fire
      h.clock.jump(REFERENCE + 1_800_000 + 60_000); // forward to 00:31: 00:10 ... 00:30 fell due
      await h.clock.advance(10_000); // the loop notices within its longest sleep (10 s)
      const records = (await h.scheduler.getRuns('job')).map((r) => ({
        scheduledAt: r.scheduledAt.getTime() - REFERENCE,
        outcome: r.outcome,
        count: r.coalesced,
        last: r.lastScheduledAt,
      }));
      // One record for the five fires 00:10-00:30, judged by the latest (as APScheduler coalesces): 60 s late.
      expect(records[0], `grace ${grace}`).toMatchObject({ scheduledAt: 1_800_000, outcome, count: 5 });
      expect(seen, `grace ${grace}`).toEqual(outcome === 'succeeded' ? [0, 300_000, 1_800_000] : [0, 300_000]);
      // The schedule goes on from the new wall time.
      await h.clock.advance(240_000); // 00:35:10
      expect(seen.at(-1), `grace ${grace}`).toBe(2_100_000);
      await h.scheduler.shutdown();
    }
  });

  it("a job far in the future (beyond setTimeout's 2^31-1 ms) does not fire early", async () => {
    h = harness();
    let calls = 0;
    await h.scheduler.start();
    await h.scheduler.addDateJob(() => void calls++, new Date(REFERENCE + 40 * 86_400_000), 'far');
    for (let day = 0; day < 39; day++) await h.clock.advance(86_400_000);
    expect(calls).toBe(0);
    await h.clock.advance(86_400_000);
    expect(calls).toBe(1);
    // 40 days of manual-clock wake-ups: 3 s on a quiet machine, past the default bound under load.
  }, 60_000);
});
