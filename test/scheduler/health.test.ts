/**
 * Job health (docs/semantics.md#job-health) with the manual clock: each state, each overdue rule, the
 * order in which they win, and the `health` filter of getJobs.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobInfo } from '../../src/scheduler/job-info.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { deferred, harness, REFERENCE, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

const health = async (id: string): Promise<Record<string, unknown>> => {
  const job = await h.scheduler.getJob(id);
  if (job === undefined) throw new Error(`no job ${id}`);
  return job.health as unknown as Record<string, unknown>;
};

/** A job function that fails while `failing.on` is true. */
function flaky(failing: { on: boolean }): () => void {
  return () => {
    if (failing.on) throw Object.assign(new Error('backup target unreachable'), { code: 'E_TARGET' });
  };
}

const stores: [string, () => SqliteJobStore | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', () => new SqliteJobStore({ path: ':memory:' })],
];

describe.each(stores)('job health (%s store)', (_name, store) => {
  const make = (): Harness => {
    const s = store();
    return harness(s === undefined ? {} : { store: s });
  };
  /** An interval job through a registered task, so that it works on a persistent store too. */
  const every = async (func: () => unknown, seconds: number, id: string, options: Record<string, unknown> = {}): Promise<JobInfo> => {
    h.scheduler.registerTask(id, func);
    return h.scheduler.addJob({ id, task: id, trigger: { type: 'interval', seconds }, ...options });
  };

  it('is pending before the first fire, ok after a success, failing with a count, and ok again after a recovery', async () => {
    h = make();
    await h.scheduler.start();
    const failing = { on: false };
    const added = await every(flaky(failing), 10, 'backup');
    expect(added.health).toMatchObject({ state: 'pending', consecutiveFailures: 0, lastSuccessAt: null, lastFailureAt: null });
    await h.clock.advance(10_000);
    expect(await health('backup')).toMatchObject({ state: 'ok', consecutiveFailures: 0, lastSuccessAt: new Date(REFERENCE + 10_000) });
    failing.on = true;
    await h.clock.advance(10_000);
    await h.clock.advance(10_000);
    expect(await health('backup')).toMatchObject({
      state: 'failing',
      consecutiveFailures: 2,
      since: new Date(REFERENCE + 20_000),
      lastSuccessAt: new Date(REFERENCE + 10_000),
      lastFailureAt: new Date(REFERENCE + 30_000),
      reason: 'the last 2 fires failed: E_TARGET: backup target unreachable',
    });
    failing.on = false;
    await h.clock.advance(10_000);
    expect(await health('backup')).toMatchObject({ state: 'ok', consecutiveFailures: 0, lastFailureAt: new Date(REFERENCE + 30_000) });
  });

  it('counts a timed-out run as a failure', async () => {
    h = make();
    await h.scheduler.start();
    await every(() => new Promise(() => undefined), 60, 'hangs', { timeoutSeconds: 5 });
    await h.clock.advance(65_000);
    expect(await health('hangs')).toMatchObject({
      state: 'failing',
      consecutiveFailures: 1,
      reason: expect.stringMatching(/^the last run failed: TIMED_OUT: /),
    });
  });

  it('is overdue after overdueAfterMissedFires fires skipped behind a hung run, and says so', async () => {
    h = make();
    await h.scheduler.start();
    const hung = deferred();
    await every(() => hung.promise, 1, 'report', { overdueAfterMissedFires: 3 });
    await h.clock.advance(1_000); // starts and hangs
    await h.clock.advance(2_000); // two fires skipped
    expect(await health('report')).toMatchObject({ state: 'pending' });
    await h.clock.advance(1_000); // the third
    expect(await health('report')).toMatchObject({
      state: 'overdue',
      since: new Date(REFERENCE + 2_000),
      reason: '3 fires in a row did not start (missed, skipped behind a running instance, or lost)',
    });
    hung.resolve();
    await h.clock.advance(1_000);
    expect(await health('report')).toMatchObject({ state: 'ok' });
  });

  it('is overdue when its due time passes its grace with no run: the scheduler is not running (or stuck)', async () => {
    h = make();
    await every(() => undefined, 60, 'tick', { misfireGraceTime: 30 });
    await h.clock.advance(60_000 + 30_000 + 1_000);
    expect(await health('tick')).toMatchObject({ state: 'pending' });
    await h.clock.advance(1);
    expect(await health('tick')).toMatchObject({
      state: 'overdue',
      since: new Date(REFERENCE + 91_000),
      reason: expect.stringMatching(/^the fire due at 2026-01-01T00:01:00.000Z has no run recorded after its misfire grace/),
    });
    // Started, the scheduler records the miss and the job is due again in the future: not overdue.
    await h.scheduler.start();
    await h.clock.advance(0);
    expect(await health('tick')).toMatchObject({ state: 'pending', reason: 'no run has finished yet' });
  });

  it('is overdue without a success for expectSuccessWithinSeconds, and ok once one comes', async () => {
    h = make();
    await h.scheduler.start();
    const failing = { on: true };
    await every(flaky(failing), 3600, 'nightly', { expectSuccessWithinSeconds: 2 * 3600 });
    await h.clock.advance(3 * 3600_000);
    expect(await health('nightly')).toMatchObject({ state: 'failing', consecutiveFailures: 3 });
    await h.clock.advance(1);
    // Fires at 1 h, 2 h, 3 h all failed; the oldest record (1 h) + 2 h is past: overdue wins over failing.
    expect(await health('nightly')).toMatchObject({
      state: 'overdue',
      consecutiveFailures: 3,
      since: new Date(REFERENCE + 3 * 3600_000),
      reason: 'expected a success within 7200 s: no success recorded',
    });
    failing.on = false;
    await h.clock.advance(3600_000 - 1);
    expect(await health('nightly')).toMatchObject({ state: 'ok' });
  });

  it('is paused when the job or the scheduler is paused, which wins over overdue and failing', async () => {
    h = make();
    await h.scheduler.start();
    await every(flaky({ on: true }), 1, 'p', { overdueAfterMissedFires: 1 });
    await h.clock.advance(1_000);
    expect(await health('p')).toMatchObject({ state: 'failing' });
    await h.scheduler.pauseJob('p');
    expect(await health('p')).toMatchObject({ state: 'paused', reason: 'the job is paused by the library', consecutiveFailures: 1 });
    await h.scheduler.resumeJob('p');
    await h.scheduler.pause();
    expect(await health('p')).toMatchObject({ state: 'paused', reason: 'the scheduler is paused by the library' });
  });

  it('filters getJobs by health, with paging', async () => {
    h = make();
    await h.scheduler.start();
    for (const id of ['a', 'b', 'c', 'd']) await every(flaky({ on: id !== 'd' }), 1, id);
    await every(() => undefined, 3600, 'later');
    await h.clock.advance(1_000);
    const failing = await h.scheduler.getJobs({ health: ['failing'], sort: 'id', limit: 2 });
    expect(failing.items.map((j) => j.id)).toEqual(['a', 'b']);
    expect(failing.nextCursor).not.toBeNull();
    const rest = await h.scheduler.getJobs({ health: ['failing'], sort: 'id', limit: 2, cursor: failing.nextCursor as string });
    expect(rest.items.map((j) => j.id)).toEqual(['c']);
    expect(rest.nextCursor).toBeNull();
    const other = await h.scheduler.getJobs({ health: ['ok', 'pending'], sort: 'id' });
    expect(other.items.map((j) => [j.id, j.health.state])).toEqual([
      ['d', 'ok'],
      ['later', 'pending'],
    ]);
    await expect(h.scheduler.getJobs({ health: ['broken' as 'ok'] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: [{ path: 'query.health[0]' }],
    });
    await expect(h.scheduler.getJobs({ health: [] })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'query.health' }] });
  });
});

describe('job health across a restart (SQLite file)', () => {
  it('keeps failing after a restart (it is read from the history), and is overdue when the task is not registered', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-health-')), 'jobs.db');
    h = harness({ store: new SqliteJobStore({ path }) });
    h.scheduler.registerTask('broken', () => {
      throw new Error('no disk');
    });
    await h.scheduler.start();
    await h.scheduler.addJob({ id: 'b', task: 'broken', trigger: { type: 'interval', seconds: 60 } });
    await h.clock.advance(60_000);
    await h.scheduler.shutdown();
    h = harness({ store: new SqliteJobStore({ path }), start: REFERENCE + 60_000 });
    h.scheduler.registerTask('broken', () => undefined);
    await h.scheduler.start();
    expect(await health('b')).toMatchObject({ state: 'failing', consecutiveFailures: 1, reason: 'the last run failed: no disk' });
    await h.scheduler.shutdown();
    h = harness({ store: new SqliteJobStore({ path }), start: REFERENCE + 60_000 });
    await h.scheduler.start();
    expect(await health('b')).toMatchObject({ state: 'overdue', reason: 'its task "broken" is not registered in this process; it never runs here' });
  });
});
