/**
 * Pauses that explain themselves (docs/semantics.md#pause-and-resume), on the manual clock: who, since,
 * until and why in JobInfo and health; a pause with `until` lifts itself; the resume policies; the one
 * `paused` record for the fires a pause kept from running; auto-pause after n failed fires; validation.
 * Run on the memory and SQLite stores (the SQLite restart case is at the end).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Run } from '../../src/core/run.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, harness, REFERENCE, until, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

const at = (seconds: number): Date => new Date(REFERENCE + seconds * 1000);
const iso = (seconds: number): string => at(seconds).toISOString();

const stores: [string, () => SqliteJobStore | undefined][] = [
  ['memory', () => undefined],
  ['sqlite', () => new SqliteJobStore({ path: ':memory:' })],
];

describe.each(stores)('pauses (%s store)', (_name, store) => {
  const make = (options: { maxCatchUp?: number } = {}): Harness => {
    const s = store();
    return harness(s === undefined ? options : { ...options, store: s });
  };
  /** Fire times (seconds after REFERENCE) of the runs of `id` with `outcome`, oldest first. */
  const ran = async (id: string, outcome = 'succeeded'): Promise<number[]> =>
    (await h.scheduler.getRuns(id, { limit: 100 }))
      .filter((run) => run.outcome === outcome)
      .map((run) => (run.scheduledAt.getTime() - REFERENCE) / 1000)
      .sort((a, b) => a - b);
  const pausedRecords = async (id: string): Promise<Run[]> => (await h.scheduler.getRuns(id, { limit: 100 })).filter((run) => run.outcome === 'paused');
  /** A job every 10 s through a registered task (so that it works on a persistent store too). */
  const every10 = async (id: string, options: Record<string, unknown> = {}, func: () => unknown = () => undefined): Promise<void> => {
    h.scheduler.registerTask(id, func);
    await h.scheduler.addJob({ id, task: id, trigger: { type: 'interval', seconds: 10 }, ...options });
  };

  it('a pause and a resume at the instant of a fire that already ran do not run that fire again (each policy)', async () => {
    h = make();
    await h.scheduler.start();
    for (const catchUp of ['none', 'latest', 'all'] as const) await every10(`j-${catchUp}`);
    await h.clock.advance(30_000);
    for (const catchUp of ['none', 'latest', 'all'] as const) {
      expect(await ran(`j-${catchUp}`)).toEqual([10, 20, 30]);
      await h.scheduler.pauseJob(`j-${catchUp}`);
      const resumed = await h.scheduler.resumeJob(`j-${catchUp}`, { catchUp });
      expect(resumed?.nextRunTime).toEqual(at(40));
    }
    await h.clock.advance(10_000);
    for (const catchUp of ['none', 'latest', 'all'] as const) {
      const runs = await h.scheduler.getRuns(`j-${catchUp}`, { limit: 100 });
      expect(new Set(runs.map((run) => run.id)).size, catchUp).toBe(runs.length);
      expect(await ran(`j-${catchUp}`), catchUp).toEqual([10, 20, 30, 40]);
    }
  });

  it('shows who paused, since and until when and why, in JobInfo and health; a pause with until lifts itself then', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.clock.advance(10_000);
    const paused = await h.scheduler.pauseJob('j', { until: iso(60), note: 'database maintenance' });
    expect(paused.paused).toBe(true);
    expect(paused.pause).toEqual({ since: at(10), until: at(60), note: 'database maintenance', by: { by: 'library' } });
    expect(paused.health).toMatchObject({
      state: 'paused',
      since: at(10),
      reason: `the job is paused by the library until ${iso(60)}: database maintenance`,
    });
    expect(paused.nextRunTime).toBeNull();
    await h.clock.advance(49_999);
    expect((await h.scheduler.getJob('j'))?.paused).toBe(true);
    await h.clock.advance(1);
    const lifted = await h.scheduler.getJob('j');
    expect(lifted).toMatchObject({ paused: false, pause: null });
    // Goes on from its end: the fire at 60 s is that instant's, and runs.
    expect(await ran('j')).toEqual([10, 60]);
    const [record] = await pausedRecords('j');
    expect(record).toMatchObject({ scheduledAt: at(20), lastScheduledAt: at(50), coalesced: 4, startedAt: null, error: { code: 'PAUSED' } });
    expect(h.named('job_modified').length).toBeGreaterThanOrEqual(2);
    await h.clock.advance(10_000);
    expect(await ran('j')).toEqual([10, 60, 70]);
  });

  it('pausing a paused job replaces its end and note and keeps its since; resume lifts a timed pause early', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.scheduler.pauseJob('j', { until: iso(100) });
    await h.clock.advance(5_000);
    const again = await h.scheduler.pauseJob('j', { note: 'until further notice' });
    expect(again.pause).toEqual({ since: at(0), until: null, note: 'until further notice', by: { by: 'library' } });
    await h.clock.advance(200_000);
    expect((await h.scheduler.getJob('j'))?.paused).toBe(true);
    expect(await ran('j')).toEqual([]);
    const resumed = await h.scheduler.resumeJob('j');
    expect(resumed).toMatchObject({ paused: false, pause: null, nextRunTime: at(210) });
  });

  it('resume with catchUp none (the default) runs none of the fires of the pause and records them as one paused record', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(35_000);
    const resumed = await h.scheduler.resumeJob('j');
    expect(resumed?.nextRunTime).toEqual(at(50));
    await h.clock.advance(0);
    expect(await ran('j')).toEqual([10]);
    expect(await pausedRecords('j')).toEqual([expect.objectContaining({ scheduledAt: at(20), lastScheduledAt: at(40), coalesced: 3 })]);
    await h.clock.advance(5_000);
    expect(await ran('j')).toEqual([10, 50]);
  });

  it('resume with catchUp latest runs the newest fire of the pause when within grace, the rest recorded paused', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(35_000);
    await h.scheduler.resumeJob('j', { catchUp: 'latest' });
    await h.clock.advance(0);
    expect(await ran('j')).toEqual([10, 40]);
    expect(await pausedRecords('j')).toEqual([expect.objectContaining({ scheduledAt: at(20), lastScheduledAt: at(30), coalesced: 2 })]);
    await h.clock.advance(5_000);
    expect(await ran('j')).toEqual([10, 40, 50]);
  });

  it('resume with catchUp latest runs nothing when the newest fire is past the misfire grace', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j', { misfireGraceTime: 1 });
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(35_000);
    await h.scheduler.resumeJob('j', { catchUp: 'latest' });
    await h.clock.advance(0);
    expect(await ran('j')).toEqual([10]);
    expect(await ran('j', 'missed')).toEqual([]);
    expect(await pausedRecords('j')).toEqual([expect.objectContaining({ scheduledAt: at(20), lastScheduledAt: at(40), coalesced: 3 })]);
  });

  it('resume with catchUp all runs each fire of the pause in order, however late and even for a coalescing job', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j', { misfireGraceTime: 1, coalesce: true });
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(35_000);
    await h.scheduler.resumeJob('j', { catchUp: 'all' });
    await h.clock.advance(0);
    expect(await ran('j')).toEqual([10, 20, 30, 40]);
    expect(await pausedRecords('j')).toEqual([]);
    await h.clock.advance(5_000);
    expect(await ran('j')).toEqual([10, 20, 30, 40, 50]);
  });

  it('resume with catchUp all counts each catch-up toward maxRuns (however late), and the limit still holds', async () => {
    h = make();
    await h.scheduler.start();
    const fired: number[] = [];
    await every10('j', { misfireGraceTime: 1, maxRuns: 3 }, () => {
      fired.push(h.clock.now());
    });
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(35_000);
    expect((await h.scheduler.getJob('j'))?.remainingRuns).toBe(2);
    await h.scheduler.resumeJob('j', { catchUp: 'all' });
    await h.clock.advance(0);
    await h.clock.advance(30_000);
    // The fire of 10 s and two of the pause (20 s, 30 s): three in all, then the job is done and removed.
    expect(fired).toHaveLength(3);
    expect(await h.scheduler.getJob('j')).toBeUndefined();
  });

  it('resume with catchUp all runs at most maxCatchUp fires, the older ones recorded paused', async () => {
    h = make({ maxCatchUp: 2 });
    await h.scheduler.start();
    await every10('j');
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(55_000);
    await h.scheduler.resumeJob('j', { catchUp: 'all' });
    await h.clock.advance(0);
    expect(await ran('j')).toEqual([10, 50, 60]);
    expect(await pausedRecords('j')).toEqual([expect.objectContaining({ scheduledAt: at(20), lastScheduledAt: at(40), coalesced: 3 })]);
  });

  it('a paused record is neither started nor not started for health: a failing job stays failing, no fire counts as missed', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j', { overdueAfterMissedFires: 2 }, () => {
      throw new Error('down');
    });
    await h.clock.advance(10_000);
    await h.scheduler.pauseJob('j');
    await h.clock.advance(100_000);
    const resumed = await h.scheduler.resumeJob('j');
    expect(resumed?.health).toMatchObject({ state: 'failing', consecutiveFailures: 1 });
    expect((await pausedRecords('j'))[0]?.coalesced).toBe(9); // 20 s to 100 s; the fire at 110 s is the resumed job's first
  });

  it('pauses a job after pauseAfterFailures consecutive failed fires, by the scheduler, with a note saying so', async () => {
    h = make();
    await h.scheduler.start();
    const failing = { on: true };
    await every10('j', { pauseAfterFailures: 3, retries: { max: 1, backoffSeconds: 1 } }, () => {
      if (failing.on) throw new Error('target unreachable');
    });
    // Each fire fails twice (its retry too): one failed fire each, as health counts them.
    for (let i = 0; i < 2; i++) await h.clock.advance(10_000);
    expect((await h.scheduler.getJob('j'))?.paused).toBe(false);
    await h.clock.advance(10_000);
    await h.clock.advance(1_000);
    await until(async () => (await h.scheduler.getJob('j'))?.paused === true, 5_000, 'the auto-pause');
    const job = await h.scheduler.getJob('j');
    expect(job?.pause).toEqual({
      since: expect.any(Date),
      until: null,
      note: 'paused after 3 consecutive failed fires (pauseAfterFailures: 3)',
      by: { by: 'scheduler' },
    });
    expect(job?.health).toMatchObject({ state: 'paused', consecutiveFailures: 3 });
    expect(job?.pauseAfterFailures).toBe(3);
    expect(h.logger.lines.some((line) => line.event === 'job_auto_paused')).toBe(true);
    // Runs no more until resumed.
    await h.clock.advance(60_000);
    expect(await ran('j', 'failed')).toHaveLength(6);
  });

  it('does not pause a job whose failures are interrupted by a success', async () => {
    h = make();
    await h.scheduler.start();
    let n = 0;
    await every10('j', { pauseAfterFailures: 2 }, () => {
      n++;
      if (n % 2 === 1) throw new Error('every other fire fails');
    });
    for (let i = 0; i < 6; i++) await h.clock.advance(10_000);
    expect((await h.scheduler.getJob('j'))?.paused).toBe(false);
  });

  it('pauses the whole scheduler until a time with a note; status answers the pause; it lifts itself', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.scheduler.pause({ until: iso(30), note: 'deploy' });
    expect((await h.scheduler.status()).pause).toEqual({ since: at(0), until: at(30), note: 'deploy', by: { by: 'library' } });
    expect((await h.scheduler.getJob('j'))?.health).toMatchObject({
      state: 'paused',
      since: at(0),
      reason: `the scheduler is paused by the library until ${iso(30)}: deploy`,
    });
    await h.clock.advance(29_999);
    expect(h.scheduler.isPaused).toBe(true);
    await h.clock.advance(1);
    expect(h.scheduler.isPaused).toBe(false);
    expect((await h.scheduler.status()).pause).toBeNull();
    expect(h.clock.pendingTimers).toBeGreaterThan(0);
  });

  it('refuses a pause whose end is not in the future, a note too long or with control characters, unknown options, an unknown catch-up', async () => {
    h = make();
    await h.scheduler.start();
    await every10('j');
    await h.clock.advance(10_000);
    const refused = async (call: Promise<unknown>, path: string, words: RegExp): Promise<void> => {
      const error = (await call.then(
        () => null,
        (e: unknown) => e,
      )) as { code?: string; details?: { path: string; message: string }[] } | null;
      expect(error?.code).toBe('INVALID_ARGUMENT');
      expect(error?.details?.[0]?.path).toBe(path);
      expect(error?.details?.[0]?.message).toMatch(words);
    };
    await refused(h.scheduler.pauseJob('j', { until: iso(10) }), 'options.until', /must be in the future/);
    await refused(h.scheduler.pauseJob('j', { until: iso(5) }), 'options.until', /must be in the future/);
    await refused(h.scheduler.pauseJob('j', { until: '2026-01-02 00:00' }), 'options.until', /ISO 8601/);
    await refused(h.scheduler.pauseJob('j', { note: 'x'.repeat(501) }), 'options.note', /1-500 characters.*501/);
    await refused(h.scheduler.pauseJob('j', { note: 'two\nlines' }), 'options.note', /control character/);
    await refused(h.scheduler.pauseJob('j', { note: 'bell\u0007' }), 'options.note', /control character/);
    await refused(h.scheduler.pauseJob('j', { note: '' }), 'options.note', /1-500/);
    await refused(h.scheduler.pauseJob('j', { reason: 'x' } as never), 'options.reason', /allowed: until, note/);
    await refused(h.scheduler.pause({ until: iso(1) }), 'options.until', /must be in the future/);
    await refused(h.scheduler.resumeJob('j', { catchUp: 'some' as never }), 'options.catchUp', /none, latest, all/);
    await refused(
      h.scheduler.addJob({ id: 'k', task: 'j', trigger: { type: 'interval', seconds: 1 }, pauseAfterFailures: 0 }),
      'options.pauseAfterFailures',
      /integer from 1/,
    );
    // Nothing changed.
    expect(await h.scheduler.getJob('j')).toMatchObject({ paused: false, pause: null });
    expect(h.scheduler.isPaused).toBe(false);
  });
});

describe('pauses on a SQLite file across a restart', () => {
  it('keeps who paused, since, until and why, and lifts the pause at its end after the restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-pause-')), 'jobs.db');
    const clock = new ManualClock(REFERENCE);
    const open = (): SchedulerService => {
      const scheduler = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger(), timezone: 'UTC' });
      scheduler.registerTask('t', () => undefined);
      return scheduler;
    };
    const first = open();
    await first.start();
    await first.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 10 } });
    await clock.advance(10_000);
    await first.pauseJob('j', { until: iso(60), note: 'vendor outage' }, { actor: { role: 'admin', via: 'key', keyIndex: 1 } });
    await first.shutdown();
    await clock.advance(20_000);
    const second = open();
    try {
      await second.start();
      const job = await second.getJob('j');
      expect(job?.pause).toEqual({ since: at(10), until: at(60), note: 'vendor outage', by: { role: 'admin', via: 'key', keyIndex: 1 } });
      expect(job?.health.reason).toBe(`the job is paused by an admin API caller (key 1) until ${iso(60)}: vendor outage`);
      await clock.advance(30_000);
      expect(await second.getJob('j')).toMatchObject({ paused: false, pause: null });
      const runs = await second.getRuns('j', { limit: 10 });
      expect(runs.map((run) => [run.outcome, (run.scheduledAt.getTime() - REFERENCE) / 1000])).toEqual([
        ['succeeded', 60],
        ['paused', 20],
        ['succeeded', 10],
      ]);
    } finally {
      await second.shutdown();
    }
    // And the lift was written: a third process finds the job unpaused.
    const third = open();
    await third.start();
    expect(await third.getJob('j')).toMatchObject({ paused: false, pause: null });
    await third.shutdown();
  });

  it('lifts a pause whose end passed while no process ran, at the first pass after the restart', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tickwork-pause-')), 'jobs.db');
    const clock = new ManualClock(REFERENCE);
    const open = (): SchedulerService => {
      const scheduler = new SchedulerService({ store: new SqliteJobStore({ path }), clock, logger: captureLogger(), timezone: 'UTC' });
      scheduler.registerTask('t', () => undefined);
      return scheduler;
    };
    const first = open();
    await first.start();
    await first.addJob({ id: 'j', task: 't', trigger: { type: 'interval', seconds: 10 } });
    await first.pauseJob('j', { until: iso(30) });
    await first.shutdown();
    await clock.advance(45_000);
    const second = open();
    try {
      await second.start();
      await clock.advance(0);
      expect(await second.getJob('j')).toMatchObject({ paused: false, pause: null, nextRunTime: at(50) });
      const runs = await second.getRuns('j', { limit: 10 });
      // Lifted at 45 s: the fires from 10 s to 40 s were the pause's; none ran.
      expect(runs.map((run) => [run.outcome, run.scheduledAt, run.lastScheduledAt, run.coalesced])).toEqual([['paused', at(10), at(40), 4]]);
    } finally {
      await second.shutdown();
    }
  });
});
