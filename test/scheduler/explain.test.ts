/**
 * explain (docs/semantics.md#explain) with the manual clock: every verdict on the memory and SQLite
 * stores, a DST-moved fire (Europe/Berlin spring forward), a coalesced fire, and the validation of its
 * arguments. `lost` needs a process that dies holding a run, so it is tested on an SQLite file only.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import type { Explanation } from '../../src/core/explain.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { captureLogger, harness, REFERENCE, type Harness } from '../helpers.js';

let h: Harness;

afterEach(async () => {
  if (h?.scheduler.isRunning) await h.scheduler.shutdown({ wait: false });
});

const at = (ms: number): Date => new Date(REFERENCE + ms);
const explain = (id: string, ms: number): Promise<Explanation> => h.scheduler.explain(id, at(ms));
const never = (): Promise<never> => new Promise(() => undefined);

describe.each([
  ['memory', (keep?: number) => (keep === undefined ? undefined : new MemoryJobStore({ maxRunsPerJob: keep }))],
  ['sqlite', (keep?: number) => new SqliteJobStore({ path: ':memory:', ...(keep === undefined ? {} : { maxRunsPerJob: keep }) })],
] as const)('explain (%s store)', (_name, store) => {
  const make = (options: Parameters<typeof harness>[0] = {}, keep?: number): Harness => {
    const s = store(keep);
    return harness({ ...options, ...(s === undefined ? {} : { store: s }) });
  };
  /** An interval job through a registered task, so that it works on a persistent store too. */
  const every = async (func: () => unknown, seconds: number, id: string, options: Record<string, unknown> = {}) => {
    h.scheduler.registerTask(id, func);
    return h.scheduler.addJob({ id, task: id, trigger: { type: 'interval', seconds }, ...options });
  };

  // docs/semantics.md#explain
  it('ran: names the run, its outcome, attempts and lateness, for a time within a minute of the fire', async () => {
    h = make();
    await h.scheduler.start();
    let calls = 0;
    await every(
      () => {
        calls++;
        if (calls === 2) throw Object.assign(new Error('flaky'), { code: 'E_FLAKY' });
      },
      600,
      'report',
      { retries: { max: 2, backoffSeconds: 5 } },
    );
    await h.clock.advance(600_000);
    await h.clock.advance(600_000 + 5_000);
    const first = await explain('report', 600_000 + 30_000);
    expect(first).toMatchObject({ verdict: 'ran', scheduledAt: at(600_000), evidence: { attempts: 1, latenessMs: 0 } });
    expect(first.evidence.run).toMatchObject({ id: `report@${at(600_000).toISOString()}`, outcome: 'succeeded' });
    expect(first.evidence.fireBefore).toEqual({ at: at(600_000) });
    expect(first.evidence.fireAfter).toEqual({ at: at(1_200_000) });
    const retried = await explain('report', 1_200_000);
    expect(retried).toMatchObject({ verdict: 'ran', evidence: { attempts: 2, latenessMs: 0 } });
    expect(retried.evidence.run).toMatchObject({ id: `report@${at(1_200_000).toISOString()}#2`, outcome: 'succeeded', attempt: 2 });
    expect(retried.evidence.reason).toBe('it ran: succeeded after 2 attempts, started 0 ms after it was due');
  });

  it('ran: a run still running, and a failed one with its error', async () => {
    h = make();
    await h.scheduler.start();
    await every(never, 60, 'hangs');
    await every(
      () => {
        throw Object.assign(new Error('disk full'), { code: 'ENOSPC' });
      },
      60,
      'fails',
    );
    await h.clock.advance(60_000);
    expect(await explain('hangs', 60_000)).toMatchObject({ verdict: 'ran', evidence: { run: { outcome: 'running' } } });
    const failed = await explain('fails', 60_000);
    expect(failed).toMatchObject({ verdict: 'ran', evidence: { run: { outcome: 'failed', error: { code: 'ENOSPC' } } } });
    expect(failed.evidence.reason).toContain('failed: ENOSPC: disk full');
  });

  it('missed: a run that would have started past its grace, with its lateness against the grace', async () => {
    h = make();
    await h.scheduler.start();
    await every(() => undefined, 10, 'tight', { misfireGraceTime: 1 });
    // The process was blocked: the clock jumps 5 s past the fire before any timer runs.
    h.clock.stall(15_000);
    await h.clock.advance(0);
    const missed = await explain('tight', 10_000);
    expect(missed).toMatchObject({ verdict: 'missed', scheduledAt: at(10_000), evidence: { latenessMs: 5_000, misfireGraceSeconds: 1 } });
    expect(missed.evidence.run).toMatchObject({ outcome: 'missed' });
    expect(missed.evidence.reason).toBe('missed: it would have started 5000 ms after it was due, past its misfire grace of 1 s');
  });

  it('missed: past its grace with no run recorded at all (the scheduler is stuck), pending within it', async () => {
    h = make();
    await every(() => undefined, 60, 'stuck');
    // Never started: nothing processes the fire at 60 s.
    await h.clock.advance(70_000);
    expect(await explain('stuck', 60_000)).toMatchObject({ verdict: 'pending', scheduledAt: at(60_000) });
    await h.clock.advance(60_000);
    const missed = await explain('stuck', 60_000);
    expect(missed).toMatchObject({ verdict: 'missed', evidence: { latenessMs: 70_000, misfireGraceSeconds: 60 } });
    expect(missed.evidence.reason).toContain('the scheduler, its store or every node is stuck');
  });

  it('skipped: names maxInstances and the run that held the slot', async () => {
    h = make();
    await h.scheduler.start();
    await every(never, 60, 'slow');
    await h.clock.advance(60_000);
    await h.clock.advance(60_000);
    await h.clock.advance(60_000);
    const skipped = await explain('slow', 180_000);
    expect(skipped).toMatchObject({ verdict: 'skipped', scheduledAt: at(180_000), evidence: { maxInstances: 1 } });
    expect(skipped.evidence.run).toMatchObject({ outcome: 'skipped' });
    expect(skipped.evidence.heldBy).toMatchObject({ id: `slow@${at(60_000).toISOString()}`, outcome: 'running' });
    expect(skipped.evidence.reason).toContain(`the run of ${at(60_000).toISOString()} held the slot`);
  });

  it('coalesced: a fire folded into a later run, which stood for how many fires', async () => {
    h = make();
    await h.scheduler.start();
    await every(() => undefined, 10, 'tick', { misfireGraceTime: null });
    // Blocked for 35 s: the fires at 10, 20 and 30 s are due at once, and run once, for 30 s.
    h.clock.stall(35_000);
    await h.clock.advance(0);
    for (const fire of [10_000, 20_000]) {
      const folded = await explain('tick', fire);
      expect(folded).toMatchObject({ verdict: 'coalesced', scheduledAt: at(fire), evidence: { fires: 3 } });
      expect(folded.evidence.run).toMatchObject({ id: `tick@${at(30_000).toISOString()}`, outcome: 'succeeded', coalesced: 3 });
    }
    expect(await explain('tick', 30_000)).toMatchObject({ verdict: 'ran', evidence: { fires: 3, latenessMs: 5_000 } });
  });

  it('paused: a fire after the job was paused (the pause now, or the paused record once resumed), and the scheduler paused', async () => {
    h = make();
    await h.scheduler.start();
    await every(() => undefined, 60, 'quiet');
    await h.clock.advance(60_000);
    await h.scheduler.pauseJob('quiet', { note: 'maintenance' });
    await h.clock.advance(180_000);
    const paused = await explain('quiet', 120_000);
    expect(paused).toMatchObject({ verdict: 'paused', scheduledAt: at(120_000), evidence: { pause: { scope: 'job', since: at(60_000), by: 'the library' } } });
    expect(paused.evidence.reason).toContain('the job is paused');
    // The fire before the pause still tells its own story.
    expect(await explain('quiet', 60_000)).toMatchObject({ verdict: 'ran' });
    await h.scheduler.resumeJob('quiet');
    // Resumed: the fires of the pause have their `paused` record, which answers for each of them.
    for (const fire of [120_000, 180_000]) {
      const recorded = await explain('quiet', fire);
      expect(recorded).toMatchObject({ verdict: 'paused', scheduledAt: at(fire), evidence: { run: { outcome: 'paused' }, pause: { scope: 'job' } } });
      expect(recorded.evidence.reason).toContain('the job was paused then');
    }
    await h.scheduler.pause();
    await h.clock.advance(120_000);
    expect(await explain('quiet', 300_000)).toMatchObject({
      verdict: 'paused',
      evidence: { pause: { scope: 'scheduler', since: at(240_000), by: 'the library' } },
    });
  });

  it('not_scheduled: between fires, before the start date and after the end date, with the nearest fires', async () => {
    h = make();
    await h.scheduler.start();
    h.scheduler.registerTask('t', () => undefined);
    await h.scheduler.addJob({ id: 'window', task: 't', trigger: { type: 'interval', seconds: 600, startDate: at(600_000), endDate: at(1_800_000) } });
    const between = await explain('window', 900_000);
    expect(between).toMatchObject({ verdict: 'not_scheduled', scheduledAt: null });
    expect(between.evidence.fireBefore).toEqual({ at: at(600_000) });
    expect(between.evidence.fireAfter).toEqual({ at: at(1_200_000) });
    expect(between.evidence.reason).toContain('is not a fire time of "every 10 minutes"');
    const early = await explain('window', 0);
    expect(early.evidence).toMatchObject({ fireBefore: null, fireAfter: { at: at(600_000) } });
    expect(early.evidence.reason).toContain("is before the trigger's start date");
    const late = await explain('window', 3_600_000);
    expect(late.evidence).toMatchObject({ fireBefore: { at: at(1_800_000) }, fireAfter: null });
    expect(late.evidence.reason).toContain("is after the trigger's end date");
  });

  it('paused: a fire of a past pause answers from the paused record its resume wrote (no gap in the history)', async () => {
    h = make();
    await h.scheduler.start();
    await every(() => undefined, 60, 'gap');
    await h.clock.advance(60_000);
    await h.scheduler.pauseJob('gap');
    await h.clock.advance(150_000);
    await h.scheduler.resumeJob('gap');
    await h.clock.advance(60_000);
    const gap = await explain('gap', 120_000);
    expect(gap).toMatchObject({ verdict: 'paused', scheduledAt: at(120_000), evidence: { run: { outcome: 'paused', error: { code: 'PAUSED' } } } });
    expect(gap.evidence.reason).toContain('the job was paused then');
  });

  it('pending: a fire in the future; ties between two fires go to the earlier', async () => {
    h = make();
    await h.scheduler.start();
    await every(() => undefined, 60, 'later');
    expect(await explain('later', 120_000)).toMatchObject({ verdict: 'pending', scheduledAt: at(120_000) });
    // 30 s from the fires at 60 s and 120 s: the earlier one.
    expect(await explain('later', 90_000)).toMatchObject({ scheduledAt: at(60_000) });
  });

  it('pruned: a fire older than the oldest record kept', async () => {
    h = make({}, 3);
    await h.scheduler.start();
    await every(() => undefined, 60, 'short');
    for (let i = 0; i < 8; i++) await h.clock.advance(60_000);
    const oldest = (await h.scheduler.getRuns('short', { limit: 100 })).at(-1);
    expect(oldest?.scheduledAt.getTime()).toBeGreaterThan(REFERENCE + 60_000);
    const pruned = await explain('short', 60_000);
    expect(pruned).toMatchObject({ verdict: 'pruned', scheduledAt: at(60_000), evidence: { oldestKept: oldest?.scheduledAt } });
  });

  it('a DST-moved fire: Europe/Berlin 02:30 on the spring-forward day ran at 03:00 CEST, marked shifted', async () => {
    // 2026-03-29: at 02:00 CET the clocks go to 03:00 CEST; 02:30 does not exist that day.
    h = make({ start: Date.UTC(2026, 2, 28, 12) });
    await h.scheduler.start();
    h.scheduler.registerTask('t', () => undefined);
    await h.scheduler.addJob({ id: 'nightly', task: 't', trigger: { type: 'cron', expression: '30 2 * * *', timezone: 'Europe/Berlin' } });
    await h.clock.advance(14 * 3_600_000);
    const shifted = Date.UTC(2026, 2, 29, 1); // 03:00 CEST
    const ran = await h.scheduler.explain('nightly', new Date(shifted));
    expect(ran).toMatchObject({ verdict: 'ran', scheduledAt: new Date(shifted) });
    expect(ran.evidence.fireBefore).toEqual({ at: new Date(shifted), dst: 'shifted' });
    expect(ran.evidence.reason).toContain('a DST rule moved this fire (shifted out of a gap in local time)');
    // "Why not at 02:30?", asked in local winter time: no such fire; the nearest is the shifted one.
    const asked = await h.scheduler.explain('nightly', '2026-03-29T02:30:00+01:00');
    expect(asked).toMatchObject({ verdict: 'not_scheduled', scheduledAt: null });
    expect(asked.evidence.fireBefore).toEqual({ at: new Date(shifted), dst: 'shifted' });
    expect(asked.evidence.fireAfter).toEqual({ at: new Date(Date.UTC(2026, 2, 30, 0, 30)) });
    expect(asked.evidence.reason).toContain('(shifted by DST out of a gap)');
  });

  it('refuses a bad `at` with INVALID_ARGUMENT naming it, and an unknown job with JOB_NOT_FOUND', async () => {
    h = make();
    await every(() => undefined, 60, 'known');
    for (const bad of ['2026-01-01T00:00:00', 'yesterday', 42, new Date(Number.NaN)]) {
      await expect(h.scheduler.explain('known', bad as string)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', details: [{ path: 'at' }] });
    }
    await expect(h.scheduler.explain('nope', at(0))).rejects.toMatchObject({ code: 'JOB_NOT_FOUND' });
  });
});

// docs/semantics.md#explain
it('lost: names the run whose process died and when it was declared lost (SQLite file, a restart)', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'tickwork-explain-')), 'jobs.db');
  const clock = new ManualClock(REFERENCE);
  const firstStore = new SqliteJobStore({ path });
  const first = new SchedulerService({ timezone: 'UTC', clock, logger: captureLogger('error'), store: firstStore });
  first.registerTask('t', never);
  await first.addJob({ id: 'dies', task: 't', trigger: { type: 'interval', seconds: 60 } });
  await first.start();
  await clock.advance(60_000);
  // The process dies holding the run: its store lets the file go without settling anything.
  firstStore.close();
  await clock.advance(30_000);
  const second = new SchedulerService({
    timezone: 'UTC',
    clock: new ManualClock(clock.now()),
    logger: captureLogger('error'),
    store: new SqliteJobStore({ path }),
  });
  second.registerTask('t', () => undefined);
  const lost = await second.explain('dies', new Date(REFERENCE + 60_000));
  expect(lost).toMatchObject({ verdict: 'lost', scheduledAt: new Date(REFERENCE + 60_000), evidence: { node: null, lostAt: new Date(REFERENCE + 90_000) } });
  expect(lost.evidence.run).toMatchObject({ outcome: 'lost' });
  expect(lost.evidence.reason).toContain('its process died');
  await first.shutdown({ wait: false }).catch(() => undefined);
});
