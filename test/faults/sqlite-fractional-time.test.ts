/**
 * Fault: a fractional millisecond reaches the SQLite store. `retries.backoffSeconds: 60.0001` is valid, and a
 * retry time computed from it used to be 61000.1 ms after the failure: the STRICT INTEGER column refused it,
 * and every flush failed from then on (no history, no schedule advances saved, GET /runs 500, the loop in
 * backoff). Times are now whole milliseconds at the source, the store rounds whatever it writes, and a record
 * the database refuses is retried on its own and dropped after 5 failures instead of blocking the others.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { JobRecord } from '../../src/core/job.js';
import type { RunRecord } from '../../src/core/run.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { buildServer } from '../../src/server/app.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import type { StoredJob } from '../../src/stores/store.js';
import { captureLogger, REFERENCE } from '../helpers.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close().catch(() => undefined);
});

function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'tickwork-fraction-')), 'db.sqlite');
}

async function serverOn(path: string, clock: ManualClock) {
  const logger = captureLogger();
  const scheduler = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger, timezone: 'UTC' });
  const ticks: number[] = [];
  let flaky = 0;
  scheduler.registerTask('tick', (ctx) => void ticks.push(ctx.scheduledAt.getTime() - REFERENCE));
  scheduler.registerTask('flaky', () => {
    flaky++;
    throw new Error('flaky failed');
  });
  const app = await buildServer({ scheduler, logger: pino({ level: 'silent' }), adminKeys: [], monitorKeys: [] });
  await app.ready(); // starts the scheduler
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
  };
  cleanup.push(close);
  return { scheduler, app, logger, ticks, flakyCalls: () => flaky, close };
}

describe('a fractional millisecond on SQLite', () => {
  it('backoffSeconds 60.0001: the retry is saved at a whole ms, other jobs keep firing, history is written and served', async () => {
    const path = tempDb();
    const clock = new ManualClock(REFERENCE);
    const one = await serverOn(path, clock);
    await one.scheduler.addJob({
      id: 'flaky',
      task: 'flaky',
      retries: { max: 3, backoffSeconds: 60.0001 },
      trigger: { type: 'interval', seconds: 3600, startDate: new Date(REFERENCE + 1_000) },
    });
    await one.scheduler.addJob({ id: 'tick', task: 'tick', trigger: { type: 'interval', seconds: 1 } });

    await clock.advance(10_000);
    expect(one.flakyCalls()).toBe(1);
    // The other job fired every second: no pass failed, the loop never went into its backoff.
    expect(one.ticks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((s) => s * 1_000));
    const trouble = one.logger.lines.filter((l) => l.level === 'error' && l.event !== 'job_error');
    expect(trouble).toEqual([]);

    // History is written and served over HTTP.
    const tickRuns = await one.app.inject('/api/v1/jobs/tick/runs?limit=100');
    expect(tickRuns.statusCode).toBe(200);
    expect((tickRuns.json() as { items: unknown[] }).items).toHaveLength(10);
    const flakyRuns = await one.app.inject('/api/v1/jobs/flaky/runs');
    expect(flakyRuns.statusCode).toBe(200);
    expect((flakyRuns.json() as { items: unknown[] }).items).toMatchObject([{ outcome: 'failed', attempt: 1 }]);

    // The retry is due a whole millisecond, rounded up: 1 s + 60000.1 ms -> 61001 ms.
    const retryAt = REFERENCE + 61_001;
    expect((await one.scheduler.getJob('flaky'))?.nextRunTime).toEqual(new Date(REFERENCE + 3_601_000));
    await one.close();

    // ...and it is in the file, as integers.
    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT due_at, retry, typeof(due_at) AS t FROM jobs WHERE id = ?').get('flaky') as { due_at: number; retry: string; t: string };
    const ticksWritten = db.prepare('SELECT COUNT(*) AS n FROM runs WHERE job_id = ?').get('tick') as { n: number };
    db.close();
    expect(row).toMatchObject({ due_at: retryAt, t: 'integer' });
    expect(JSON.parse(row.retry)).toEqual({ scheduledAt: REFERENCE + 1_000, attempt: 2, at: retryAt });
    expect(ticksWritten.n).toBe(10);

    // A restart runs the saved retry at its time, and the other job goes on.
    const two = await serverOn(path, clock);
    await clock.advance(retryAt - 1 - clock.now());
    expect(two.flakyCalls()).toBe(0);
    await clock.advance(1);
    expect(two.flakyCalls()).toBe(1);
    await clock.advance(1_000);
    const after = await two.app.inject('/api/v1/jobs/flaky/runs');
    expect(after.statusCode).toBe(200);
    expect((after.json() as { items: { attempt: number; scheduledAt: string }[] }).items.map((r) => r.attempt)).toEqual([2, 1]);
    expect(two.ticks.length).toBeGreaterThanOrEqual(50);
    expect(two.logger.lines.filter((l) => l.level === 'error' && l.event !== 'job_error')).toEqual([]);
    await two.close();
  });

  it('the store rounds every time it writes: a fractional one from anywhere never fails a write', async () => {
    const path = tempDb();
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const store = new SqliteJobStore({ path });
    store.open({
      hydrate: () => {
        throw new Error('no jobs expected');
      },
      onLostRun: () => undefined,
      now: () => clock.now() + 0.25,
      logger,
      wake: () => undefined,
    });
    cleanup.push(async () => store.close());
    const scratch = new SchedulerService({ store: new SqliteJobStore({ path: tempDb() }), clock, logger: captureLogger(), timezone: 'UTC' });
    scratch.registerTask('t', () => undefined);
    await scratch.addJob({ id: 'job', task: 't', trigger: { type: 'interval', seconds: 60 } });
    const job = (scratch as unknown as { store: SqliteJobStore }).store.get('job') as JobRecord;
    cleanup.push(async () => void (await scratch.shutdown().catch(() => undefined)));

    job.nextRunTime = REFERENCE + 60_000.4;
    job.dueAt = REFERENCE + 60_000.6;
    job.jitterMs = 0.2;
    job.retry = { scheduledAt: REFERENCE + 0.5, attempt: 2, at: REFERENCE + 30_000.5 };
    expect(() => store.add(job)).not.toThrow();
    job.dueAt = REFERENCE + 30_000.7;
    expect(() => store.update(job)).not.toThrow();
    job.dueAt = REFERENCE + 30_001.2;
    store.putBack([job]);
    const running: RunRecord = {
      jobId: 'job',
      scheduledAt: REFERENCE + 0.5,
      attempt: 2,
      startedAt: REFERENCE + 30_000.9,
      finishedAt: null,
      outcome: 'running',
      latenessMs: 0.4,
      durationMs: null,
      error: null,
    };
    store.recordRun(running, job);
    store.recordRun({ ...running, outcome: 'skipped', startedAt: null, coalesced: 2, lastScheduledAt: REFERENCE + 1.5 }, job);
    expect(() => store.flush()).not.toThrow();
    running.finishedAt = REFERENCE + 30_010.5;
    running.outcome = 'succeeded';
    running.durationMs = 9.6;
    store.updateRun(running);
    expect(() => store.flush()).not.toThrow();
    store.close();

    const db = new Database(path, { readonly: true });
    const row = db.prepare('SELECT * FROM jobs').get() as Record<string, unknown>;
    const runs = db.prepare('SELECT * FROM runs ORDER BY id').all() as Record<string, unknown>[];
    db.close();
    expect(row).toMatchObject({ next_run_time: REFERENCE + 60_000, due_at: REFERENCE + 30_001, jitter_ms: 0 });
    expect(JSON.parse(String(row.retry))).toEqual({ scheduledAt: REFERENCE + 1, attempt: 2, at: REFERENCE + 30_001 });
    expect(runs).toMatchObject([
      { scheduled_at: REFERENCE + 1, started_at: REFERENCE + 30_001, finished_at: REFERENCE + 30_011, outcome: 'succeeded', duration_ms: 9.6 },
      { scheduled_at: REFERENCE + 1, last_scheduled_at: REFERENCE + 2, outcome: 'skipped' },
    ]);
    expect(logger.lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
  });

  it('a record the database refuses is retried on its own, then dropped after 5 failures; the others are written at once', async () => {
    const path = tempDb();
    const clock = new ManualClock(REFERENCE);
    const logger = captureLogger();
    const store = new SqliteJobStore({ path });
    store.open({
      hydrate: (stored: StoredJob) => {
        throw new Error(`no jobs expected, got ${stored.id}`);
      },
      onLostRun: () => undefined,
      now: () => clock.now(),
      logger,
      wake: () => undefined,
    });
    cleanup.push(async () => store.close());
    // Through a scheduler on another file, a real job record the store can hold.
    const scratch = new SchedulerService({ store: new SqliteJobStore({ path: tempDb() }), clock, logger: captureLogger(), timezone: 'UTC' });
    scratch.registerTask('t', () => undefined);
    await scratch.addJob({ id: 'job', task: 't', trigger: { type: 'interval', seconds: 60 } });
    const job = (scratch as unknown as { store: SqliteJobStore }).store.get('job') as JobRecord;
    cleanup.push(async () => void (await scratch.shutdown().catch(() => undefined)));
    store.add(job);

    const run = (scheduledAt: number): RunRecord => ({
      jobId: 'job',
      scheduledAt,
      attempt: 1,
      startedAt: scheduledAt,
      finishedAt: scheduledAt + 5,
      outcome: 'succeeded',
      latenessMs: 0,
      durationMs: 5,
      error: null,
    });
    // NaN cannot be rounded to a time: the NOT NULL column refuses it whatever the store does.
    const bad = run(Number.NaN);
    store.recordRun(run(REFERENCE + 1_000), job);
    store.recordRun(bad, job);
    store.recordRun(run(REFERENCE + 2_000), job);
    expect(() => store.flush()).not.toThrow();
    expect(store.getRuns('job', { limit: 10 }).map((r) => r.scheduledAt)).toEqual([REFERENCE + 2_000, REFERENCE + 1_000]);

    // Later records are not held up by the bad one either.
    for (let i = 3; i <= 7; i++) {
      store.recordRun(run(REFERENCE + i * 1_000), job);
      expect(() => store.flush()).not.toThrow();
    }
    expect(store.getRuns('job', { limit: 10 })).toHaveLength(7);
    const dropped = logger.lines.filter((l) => l.event === 'store_record_dropped');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ level: 'error', jobId: 'job', attempt: 1, error: { message: expect.stringMatching(/NOT NULL/) } });
    expect(dropped[0]).toHaveProperty('scheduledAt');
    // Dropped means gone: no more attempts, no more lines.
    store.flush();
    store.recordRun(run(REFERENCE + 8_000), job);
    store.flush();
    expect(logger.lines.filter((l) => l.event === 'store_record_dropped')).toHaveLength(1);
    expect(store.getRuns('job', { limit: 10 })).toHaveLength(8);
  });
});
