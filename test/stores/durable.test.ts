/** A scheduler on the SQLite store: restarts keep jobs and phase; downtime follows the job's rules. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';

function scheduler(path: string, clock: ManualClock, register = true): { s: SchedulerService; calls: number[]; logger: ReturnType<typeof captureLogger> } {
  const logger = captureLogger();
  const s = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger, timezone: 'UTC' });
  const calls: number[] = [];
  if (register) s.registerTask('tick', (ctx) => void calls.push(ctx.scheduledAt.getTime() - REFERENCE));
  return { s, calls, logger };
}

describe('scheduler on SQLite', () => {
  it('a 1 s job with coalesce down for 5 s runs once on start, on its original phase', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const one = scheduler(path, clock);
    await one.s.start();
    await one.s.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await clock.advance(2_000);
    expect(one.calls).toEqual([1_000, 2_000]);
    await one.s.shutdown();
    clock.stall(5_500); // down for 5.5 s
    const two = scheduler(path, clock);
    await two.s.start();
    await clock.advance(0);
    expect(two.calls).toEqual([7_000]); // once, for the latest missed fire
    const [run] = await two.s.getRuns('tick', { limit: 1 });
    expect(run?.coalesced).toBe(5);
    await clock.advance(1_000);
    expect(two.calls).toEqual([7_000, 8_000]); // still on the k * 1 s grid from the first start
    await two.s.shutdown();
  });

  it('a cron job with H keeps its hashed time across a restart, and runs at it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const one = scheduler(path, clock);
    await one.s.start();
    // backup: minute 28, hour 4 (test/cron/hash.test.ts).
    await one.s.addJob({ id: 'backup', task: 'tick', trigger: { type: 'cron', expression: 'H H(0-5) * * *' } });
    const before = await one.s.getJob('backup');
    expect(before?.nextRunTime?.toISOString()).toBe('2026-01-01T04:28:00.000Z');
    expect(before?.trigger.description).toBe('at 04:28 every day, UTC');
    await one.s.shutdown();
    const two = scheduler(path, clock);
    await two.s.start();
    expect(await two.s.getJob('backup')).toEqual(before);
    await clock.advance(2 * 86_400_000);
    expect(two.calls).toEqual([(4 * 60 + 28) * 60_000, 86_400_000 + (4 * 60 + 28) * 60_000]);
    await two.s.shutdown();
  });

  it('without coalescing, missed fires within grace run in order and older ones are recorded missed', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const one = scheduler(path, clock);
    await one.s.start();
    await one.s.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 10 }, coalesce: false, misfireGraceTime: 25 });
    await one.s.shutdown();
    clock.stall(60_000);
    const two = scheduler(path, clock);
    await two.s.start();
    await clock.advance(0);
    expect(two.calls).toEqual([40_000, 50_000, 60_000]);
    const runs = await two.s.getRuns('tick', { limit: 10 });
    expect(runs.filter((r) => r.outcome === 'missed')).toHaveLength(3);
    await two.s.shutdown();
  });

  it('keeps a stored job whose task is not registered, reports it, and runs it once registered', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const one = scheduler(path, clock);
    await one.s.start();
    await one.s.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 60 } });
    await one.s.shutdown();
    const two = scheduler(path, clock, false);
    const loadErrors: unknown[] = [];
    two.s.on('job_load_error', (e) => void loadErrors.push(e));
    await two.s.start();
    expect(loadErrors).toEqual([expect.objectContaining({ jobId: 'tick', code: 'TASK_NOT_REGISTERED' })]);
    expect((await two.s.getJob('tick'))?.status).toBe('task_not_registered');
    two.s.registerTask('tick', (ctx) => void two.calls.push(ctx.scheduledAt.getTime() - REFERENCE));
    await clock.advance(60_000);
    expect(two.calls).toEqual([60_000]);
    expect((await two.s.getJob('tick'))?.status).toBe('ok');
    await two.s.shutdown();
  });

  // docs/semantics.md#unregistered-tasks
  it('a job whose task is not registered waits for it: nothing is consumed or deleted, and it runs (coalesced, within grace) once the task is registered, across a restart too', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const one = scheduler(path, clock);
    await one.s.start();
    await one.s.addJob({ id: 'once', task: 'tick', trigger: { type: 'date', runAt: new Date(REFERENCE + 30_000) }, misfireGraceTime: 3600 });
    await one.s.addJob({ id: 'every', task: 'tick', trigger: { type: 'interval', seconds: 10 } });
    await one.s.shutdown();

    const two = scheduler(path, clock, false);
    const removed: string[] = [];
    two.s.on('job_removed', (e) => void removed.push(e.jobId));
    await two.s.start();
    await clock.advance(60_000); // the date passes, six interval fires fall due: none can run
    expect(removed).toEqual([]);
    expect(await two.s.getJob('once')).toMatchObject({ status: 'task_not_registered', nextRunTime: new Date(REFERENCE + 30_000) });
    expect(await two.s.getJob('every')).toMatchObject({ status: 'task_not_registered', nextRunTime: new Date(REFERENCE + 10_000) });
    // Reported once per job, not on every pass.
    expect(two.logger.lines.filter((l) => l.event === 'job_not_run')).toHaveLength(2);
    await two.s.shutdown();

    // A restart still without the task: still waiting, nothing spins.
    const three = scheduler(path, clock, false);
    await three.s.start();
    await clock.advance(60_000);
    expect((await three.s.getJob('once'))?.nextRunTime).toEqual(new Date(REFERENCE + 30_000));
    three.s.registerTask('tick', (ctx) => void three.calls.push(ctx.scheduledAt.getTime() - REFERENCE));
    await clock.advance(1);
    // The date job runs, 90 s late but within its grace; the interval's backlog is one coalesced run.
    expect(three.calls.sort((a, b) => a - b)).toEqual([30_000, 120_000]);
    expect(await three.s.getJob('once')).toBeUndefined();
    await clock.advance(10_000);
    expect(three.calls.sort((a, b) => a - b)).toEqual([30_000, 120_000, 130_000]);
    await three.s.shutdown();
  });

  it('refuses a closure in a persistent store with a message that says to register it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const { s } = scheduler(path, new ManualClock(REFERENCE));
    await expect(s.addIntervalJob(() => undefined, 1, 'closure')).rejects.toMatchObject({
      code: 'TASK_NOT_REGISTERED',
      message: expect.stringMatching(/registerTask/),
    });
    const registered = (): void => undefined;
    s.registerTask('registered', registered);
    await expect(s.addIntervalJob(registered, 1, 'ok')).resolves.toMatchObject({ task: 'registered' });
  });
  it('a paused job stored with a past due time (a row edited by hand) stays paused and does not spin the loop', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-durable-')), 'db.sqlite');
    const clock = new ManualClock(REFERENCE);
    const one = scheduler(path, clock);
    await one.s.start();
    await one.s.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 1 } });
    await one.s.pauseJob('tick');
    await one.s.shutdown();
    const db = new Database(path);
    db.prepare('UPDATE jobs SET next_run_time = ?, due_at = ? WHERE id = ?').run(REFERENCE - 5_000, REFERENCE - 5_000, 'tick');
    db.close();
    const two = scheduler(path, clock);
    // Count the loop's passes: a job due forever would make each pass start the next at once. Past a
    // bound the pass fails instead, so that a regression fails this test rather than hanging it.
    const store = (two.s as unknown as { store: SqliteJobStore }).store;
    const fireDue = store.fireDue.bind(store);
    let passes = 0;
    store.fireDue = (now, limit, fire) => {
      if (++passes > 100) throw new Error('the loop is spinning');
      return fireDue(now, limit, fire);
    };
    await two.s.start();
    await clock.advance(3_000);
    expect(passes).toBeLessThan(10);
    expect(two.calls).toEqual([]);
    expect(await two.s.getJob('tick')).toMatchObject({ paused: true, nextRunTime: null });
    await two.s.resumeJob('tick');
    await clock.advance(1_000);
    expect(two.calls).toEqual([3_000, 4_000]); // back on its grid, from now (3 s is on it)
    await two.s.shutdown();
  });
});
