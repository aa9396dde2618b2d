/**
 * Model-based test: seeded random sequences of adds (new ids, ids of gone jobs, replacements), removes,
 * pauses, resumes, reschedules, manual runs, pauses of the whole scheduler, blocked event loops and clock
 * advances, checked against a small reference model of the schedule. The model knows, for each job, the
 * stretches of time it was active and on which schedule (an interval grid, a `*\/s` seconds cron, or one
 * date); the scheduler must give every grid point of those stretches exactly one outcome (run, failed,
 * timed out for an async job slower than its timeoutSeconds, or skipped by maxInstances while async runs
 * hold every slot) and no other point; a manual run (runJobNow) adds
 * its instant, recorded with trigger `manual` (every other outcome with `schedule`). Points that fall while the scheduler processes nothing (paused, or its loop blocked) are
 * a backlog processed when it resumes: coalesced into one outcome (the default), or for a job with
 * `coalesce: false` one run each for the newest `maxCatchUp` and one missed record for the older; a run
 * later than the job's misfire grace (60 s, 5 s or none) is recorded missed; a backlog of a job changed
 * or removed meanwhile is dropped. An id may name several jobs over a sequence (re-added after it went, or replaced): its
 * outcomes are those of all of them.
 *
 * After every step: the scheduler holds exactly the jobs the model says are live (finished and
 * self-removed jobs included) and one cron pattern per distinct expression among them. After every
 * sequence: each job was announced added once and, once gone, removed once; no timer is left.
 *
 * On the SQLite store the sequences also restart the scheduler (a new one on the same file, at the same
 * instant): jobs, pauses and grid phases must survive it, and nothing fires twice or goes missing.
 * Job functions are registered tasks, with their behaviour in the job's args, so both stores run the
 * same jobs.
 *
 * Between two operations the clock always moves at least 1 ms, so a fire due at an operation's instant
 * (a resumed job due now) has run before the next operation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/core/clock.js';
import { ConflictingIdError, JobNotFoundError, MaxInstancesReachedError, SchedulerNotRunningError } from '../../src/core/errors.js';
import type { RunEvent } from '../../src/core/events.js';
import { SchedulerService } from '../../src/scheduler/service.js';
import { SqliteJobStore } from '../../src/stores/sqlite/store.js';
import { prng } from '../cron/prng.js';
import { REFERENCE, captureLogger, sleepOn } from '../helpers.js';

type Schedule = { kind: 'interval'; periodMs: number; anchor: number } | { kind: 'cron'; stepS: number; expression: string } | { kind: 'date'; at: number };

/**
 * What a job's function does: succeed, throw, take `ms` of (manual) time, or remove its own job at run
 * `k`, at once or from a microtask (which races the removal of a job whose end date has passed).
 */
type Body =
  | { kind: 'ok' }
  | { kind: 'throw' }
  /** Settles after `ms`; with `timeoutMs` (the job's timeoutSeconds) shorter, every run of it times out. */
  | { kind: 'async'; ms: number; timeoutMs: number | null }
  | { kind: 'selfRemove'; k: number; later: boolean };

/** The outcome of a run of the body that started (not missed, not skipped). */
function ranOutcome(body: Body): string {
  if (body.kind === 'throw') return 'failed';
  if (body.kind === 'async' && body.timeoutMs !== null && body.ms > body.timeoutMs) return 'timed_out';
  return 'succeeded';
}

interface Stretch {
  schedule: Schedule;
  from: number;
  to: number;
}

interface ModelJob {
  id: string;
  /** Unique per job (an id may be reused): what the task counts its runs by. */
  key: number;
  body: Body;
  endMs: number | null;
  schedule: Schedule;
  paused: boolean;
  stretches: Stretch[];
  /** Removed by an operation (its stretch closed then). */
  removedAt: number | null;
  /** Replaced by an add with replaceExisting (no job_removed for it). */
  replacedAt: number | null;
  /** Instants of its manual runs (runJobNow). */
  manual: number[];
  /** Its options: coalesce (the default) or run every fire of a backlog, and its misfire grace (null: none). */
  coalesce: boolean;
  graceMs: number | null;
}

const CRON_STEPS = [2, 3, 5, 7];
const INTERVALS = [1, 2, 3];

/** Grid points of a schedule in [from, min(to, end)]. */
function pointsOf(s: Schedule, from: number, to: number, end: number | null): number[] {
  const hi = end === null ? to : Math.min(to, end);
  const out: number[] = [];
  if (s.kind === 'interval') {
    const k = Math.max(0, Math.ceil((from - s.anchor) / s.periodMs));
    for (let t = s.anchor + k * s.periodMs; t <= hi; t += s.periodMs) out.push(t);
  } else if (s.kind === 'cron') {
    for (let t = Math.ceil(from / 1000) * 1000; t <= hi; t += 1000) if (((t / 1000) % 60) % s.stepS === 0) out.push(t);
  } else if (s.at >= from && s.at <= hi) {
    out.push(s.at);
  }
  return out;
}

/** A time in which the scheduler processed no fires, (from, to]: it was paused, or its event loop blocked. */
interface Gap {
  from: number;
  to: number;
}

/** One outcome a job owes: its (latest) fire time, how many fire times it stands for, when it is processed. */
interface Entry {
  at: number;
  count: number;
  processedAt: number;
  /** Processed more than the misfire grace time after `at`: recorded missed, not run. */
  missed: boolean;
  manual: boolean;
}

/**
 * The outcomes of the fire times `points` (ascending) of one job that fell in one gap, all processed at
 * its end `at`: coalesced into one run at the latest; or (no coalescing) one run each for the latest
 * `maxCatchUp`, the older ones in one missed record. A run later than the grace time is missed.
 */
function backlog(job: ModelJob, points: number[], at: number, maxCatchUp: number): Entry[] {
  const late = (p: number): boolean => job.graceMs !== null && at - p > job.graceMs;
  const latest = points[points.length - 1] as number;
  if (job.coalesce) return [{ at: latest, count: points.length, processedAt: at, missed: late(latest), manual: false }];
  const kept = points.slice(-maxCatchUp);
  const entries = kept.map((p) => ({ at: p, count: 1, processedAt: at, missed: late(p), manual: false }));
  const dropped = points.length - kept.length;
  if (dropped > 0) entries.unshift({ at: points[dropped - 1] as number, count: dropped, processedAt: at, missed: true, manual: false });
  return entries;
}

/**
 * Every outcome the job owes up to `now`, in the order they are processed: a fire on time for each grid
 * point of its stretches, except that the points that fell in a gap are a backlog processed when the gap
 * ends (none if the stretch ended first: the job was paused, changed or removed meanwhile); its manual
 * runs; all cut at its self-removal.
 */
function entriesOf(job: ModelJob, gaps: readonly Gap[], now: number, maxCatchUp: number): Entry[] {
  const entries: Entry[] = [];
  for (const s of job.stretches) {
    let pending: { gap: Gap; points: number[] } | null = null;
    const flush = (): void => {
      if (pending !== null) entries.push(...backlog(job, pending.points, pending.gap.to, maxCatchUp));
      pending = null;
    };
    for (const p of pointsOf(s.schedule, s.from, Math.min(s.to, now), job.endMs)) {
      const gap = gaps.find((g) => g.from < p && p <= g.to);
      if (pending !== null && pending.gap !== gap) flush();
      if (gap === undefined) {
        entries.push({ at: p, count: 1, processedAt: p, missed: false, manual: false });
      } else if (gap.to <= s.to) {
        pending ??= { gap, points: [] };
        pending.points.push(p);
      }
    }
    flush();
  }
  for (const t of job.manual) entries.push({ at: t, count: 1, processedAt: t, missed: false, manual: true });
  const done = entries.filter((e) => e.processedAt <= now).sort((a, b) => a.processedAt - b.processedAt || a.at - b.at);
  const body = job.body;
  if (body.kind !== 'selfRemove') return done;
  // Its k-th run removes it (a missed fire does not run).
  let runs = 0;
  const cut = done.findIndex((e) => !e.missed && ++runs === body.k);
  return cut < 0 ? done : done.slice(0, cut + 1);
}

/** Gone without an operation: its function removed it, or its last fire before its end date was processed. */
function goneByItself(job: ModelJob, gaps: readonly Gap[], now: number, maxCatchUp: number): boolean {
  const entries = entriesOf(job, gaps, now, maxCatchUp);
  if (job.body.kind === 'selfRemove' && entries.filter((e) => !e.missed).length >= job.body.k) return true;
  if (job.endMs === null || job.paused) return false;
  // An end-dated job never pauses or changes schedule here: its one stretch is open.
  const last = pointsOf(job.schedule, (job.stretches[0] as Stretch).from, job.endMs, job.endMs).at(-1);
  return last !== undefined && entries.some((e) => !e.manual && e.at === last);
}

function closeStretch(job: ModelJob, at: number): void {
  const open = job.stretches.at(-1);
  if (open !== undefined && open.to === Number.POSITIVE_INFINITY) open.to = at;
}

/** What the sequences exercised, so that a generator that stopped producing a case fails the test. */
const coverage = {
  fires: 0,
  skips: 0,
  pauses: 0,
  resumes: 0,
  reschedules: 0,
  removes: 0,
  conflicts: 0,
  selfRemoved: 0,
  ended: 0,
  dates: 0,
  timedOut: 0,
  reused: 0,
  replaced: 0,
  manual: 0,
  backlogs: 0,
  dropped: 0,
  coalesced: 0,
  misfired: 0,
  schedulerPauses: 0,
  stalls: 0,
  restarts: 0,
};

function cronPatterns(scheduler: SchedulerService): number {
  return (scheduler as unknown as { cron: { size: number } }).cron.size;
}

interface SequenceOptions {
  /** A job_submitted listener sends every fire through the general submission path instead of the fast one. */
  watchSubmissions?: boolean;
  /** Run on a SQLite file (and restart now and then) instead of the memory store. */
  sqlite?: boolean;
}

async function runSequence(seed: number, steps: number, options: SequenceOptions = {}): Promise<void> {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const clock = new ManualClock(REFERENCE + Math.floor(random() * 60_000));
  // Small, so that backlogs of jobs that do not coalesce outgrow it.
  const maxCatchUp = 2 + Math.floor(random() * 4);
  const dir = options.sqlite === true ? mkdtempSync(join(tmpdir(), 'tickwork-model-')) : null;
  const outcomes = new Map<string, { at: number; count: number; outcome: string; trigger: string }[]>();
  const announced = { added: new Map<string, number>(), removed: new Map<string, number>() };
  const runs = new Map<string, number>();
  const record = (e: RunEvent): void => {
    const list = outcomes.get(e.jobId) ?? [];
    // A coalesced run (or skip, or miss) is reported at its latest fire time, with how many it stands for.
    const last = e.lastScheduledAt === undefined ? Date.parse(e.scheduledAt) : Date.parse(e.lastScheduledAt);
    list.push({ at: last, count: e.count ?? 1, outcome: e.outcome, trigger: e.trigger });
    outcomes.set(e.jobId, list);
  };
  const count = (map: Map<string, number>, id: string): void => void map.set(id, (map.get(id) ?? 0) + 1);
  const boot = (): SchedulerService => {
    const store = dir === null ? undefined : new SqliteJobStore({ path: join(dir, 'jobs.sqlite') });
    const s = new SchedulerService({ timezone: 'UTC', clock, maxCatchUp, logger: captureLogger('error'), ...(store === undefined ? {} : { store }) });
    for (const name of ['job_executed', 'job_error', 'job_max_instances', 'job_missed', 'job_timed_out'] as const) s.on(name, record);
    s.on('job_added', (e) => count(announced.added, e.jobId));
    s.on('job_removed', (e) => count(announced.removed, e.jobId));
    if (options.watchSubmissions === true) s.on('job_submitted', () => undefined);
    // One task per behaviour; the job's args say how long (async) or at which run it removes itself.
    const counted = (ctx: { args: unknown }): number => {
      const key = String((ctx.args as { key: number }).key);
      count(runs, key);
      return runs.get(key) as number;
    };
    s.registerTask('ok', (ctx) => void counted(ctx));
    s.registerTask('throw', (ctx) => {
      counted(ctx);
      throw new Error('planned failure');
    });
    s.registerTask('async', (ctx) => {
      counted(ctx);
      return sleepOn(clock, (ctx.args as { ms: number }).ms);
    });
    s.registerTask('selfRemove', (ctx) => {
      const { k, later } = ctx.args as { k: number; later: boolean };
      if (counted(ctx) !== k) return;
      // The job may be gone by the time a deferred removal runs (its end date passed): that is fine.
      const remove = (): void =>
        void scheduler.removeJob(ctx.jobId).catch((error: unknown) => {
          if (!(error instanceof JobNotFoundError)) throw error;
        });
      if (later) queueMicrotask(remove);
      else remove();
    });
    return s;
  };
  let scheduler = boot();
  await scheduler.start();

  const jobs: ModelJob[] = [];
  /** When the scheduler processed nothing (paused, or its loop blocked): fires due then are caught up at the end. */
  const gaps: Gap[] = [];
  const isLive = (job: ModelJob, now: number): boolean => job.removedAt === null && job.replacedAt === null && !goneByItself(job, gaps, now, maxCatchUp);
  const where = (what: string): string =>
    `seed ${seed}${options.sqlite === true ? ' (SQLite)' : ''}${options.watchSubmissions === true ? ' (submissions watched)' : ''}: ${what}`;
  const newSchedule = (now: number): { schedule: Schedule; spec: { type: 'interval'; seconds: number } | { type: 'cron'; expression: string } } => {
    if (random() < 0.5) {
      const seconds = pick(INTERVALS);
      return { schedule: { kind: 'interval', periodMs: seconds * 1000, anchor: now + seconds * 1000 }, spec: { type: 'interval', seconds } };
    }
    const stepS = pick(CRON_STEPS);
    const expression = `*/${stepS} * * * * *`;
    return { schedule: { kind: 'cron', stepS, expression }, spec: { type: 'cron', expression } };
  };

  for (let step = 0; step < steps; step++) {
    const now = clock.now();
    const live = jobs.filter((j) => isLive(j, now));
    const paused = gaps.at(-1)?.to === Number.POSITIVE_INFINITY;
    const plain = live.filter((j) => j.endMs === null && j.body.kind !== 'selfRemove');
    const r = random();
    const liveIds = new Set(live.map((j) => j.id));
    const goneIds = [...new Set(jobs.map((j) => j.id))].filter((id) => !liveIds.has(id));
    if (r < 0.3 || live.length === 0) {
      // A new id, the id of a job that went (its removal must not touch the new one), or a replacement.
      const q = random();
      const reused = q < 0.2 && goneIds.length > 0 ? pick(goneIds) : null;
      const replaced = reused === null && q < 0.3 && live.length > 0 ? pick(live) : null;
      const id = reused ?? replaced?.id ?? `j${jobs.length}`;
      const key = jobs.length;
      const ended = random() < 0.25;
      const selfRemove: Body = { kind: 'selfRemove', k: 1 + Math.floor(random() * 3), later: random() < 0.5 };
      // No async jobs on SQLite: a restart waits for running jobs, which wait for a clock that is not moving.
      const ms = 1 + Math.floor(random() * 2500);
      const timeoutMs = random() < 0.3 ? pick([1_000, 2_000]) : null;
      // Never a timeout at the very instant the run settles: which comes first would be up to timer order.
      const asyncBody: Body = options.sqlite === true ? { kind: 'ok' } : { kind: 'async', ms: ms === timeoutMs ? ms + 1 : ms, timeoutMs };
      // A job that runs every fire of a backlog does only quick work here: the model does not time runs.
      const coalesce = random() < 0.7;
      const graceMs = pick([60_000, 60_000, 5_000, null]);
      const body: Body = !coalesce
        ? pick<Body>([{ kind: 'ok' }, { kind: 'throw' }])
        : ended
          ? pick<Body>([{ kind: 'ok' }, { kind: 'throw' }, selfRemove])
          : pick<Body>([{ kind: 'ok' }, { kind: 'throw' }, asyncBody, selfRemove]);
      // A one-off date job is modelled as a schedule of one point that ends there.
      const runAt = ended && random() < 0.3 ? now + 1 + Math.floor(random() * 8_000) : null;
      const { schedule, spec } = runAt === null ? newSchedule(now) : { schedule: { kind: 'date', at: runAt } as Schedule, spec: null };
      const endMs = !ended
        ? null
        : schedule.kind === 'interval'
          ? schedule.anchor + schedule.periodMs * Math.floor(random() * 4) + Math.floor(random() * schedule.periodMs)
          : schedule.kind === 'date'
            ? schedule.at
            : now + 8_000 + Math.floor(random() * 5_000);
      const trigger =
        spec === null ? { type: 'date' as const, runAt: new Date(endMs as number) } : endMs === null ? spec : { ...spec, endDate: new Date(endMs) };
      // Some async jobs may run two or three at once: a fire is skipped only when all are busy.
      const maxInstances = body.kind === 'async' && random() < 0.3 ? 2 + Math.floor(random() * 2) : 1;
      const { kind, ...rest } = body;
      const timeout = body.kind === 'async' && body.timeoutMs !== null ? { timeoutSeconds: body.timeoutMs / 1000 } : {};
      const policy = {
        ...(coalesce ? {} : { coalesce: false }),
        ...(maxInstances === 1 ? {} : { maxInstances }),
        ...timeout,
        ...(graceMs === 60_000 ? {} : { misfireGraceTime: graceMs === null ? null : graceMs / 1000 }),
      };
      await scheduler.addJob({ id, task: kind, args: { key, ...rest }, trigger, ...policy, ...(replaced === null ? {} : { replaceExisting: true }) });
      if (replaced !== null) {
        closeStretch(replaced, now);
        replaced.replacedAt = now;
        coverage.replaced++;
      }
      if (reused !== null) coverage.reused++;
      if (runAt !== null) coverage.dates++;
      jobs.push({
        id,
        key,
        body,
        endMs,
        schedule,
        paused: false,
        stretches: [{ schedule, from: now, to: Number.POSITIVE_INFINITY }],
        removedAt: null,
        replacedAt: null,
        manual: [],
        coalesce,
        graceMs,
      });
    } else if (r < 0.35) {
      const target = pick(live);
      await expect(
        scheduler.addJob({ id: target.id, task: 'ok', trigger: { type: 'interval', seconds: 1 } }),
        where(`re-adding ${target.id}`),
      ).rejects.toBeInstanceOf(ConflictingIdError);
      coverage.conflicts++;
    } else if (r < 0.5) {
      // Any id ever added: one whose jobs are all gone must be reported missing.
      const id = pick(jobs).id;
      const target = live.find((j) => j.id === id);
      if (target !== undefined) {
        await scheduler.removeJob(id);
        coverage.removes++;
        closeStretch(target, now);
        target.removedAt = now;
      } else {
        await expect(scheduler.removeJob(id), where(`removing gone ${id}`)).rejects.toBeInstanceOf(JobNotFoundError);
      }
    } else if (r < 0.6 && plain.length > 0) {
      const target = pick(plain);
      await scheduler.pauseJob(target.id);
      coverage.pauses++;
      closeStretch(target, now);
      target.paused = true;
    } else if (r < 0.7 && plain.length > 0) {
      const target = pick(plain);
      await scheduler.resumeJob(target.id);
      if (target.paused) coverage.resumes++;
      if (target.paused) target.stretches.push({ schedule: target.schedule, from: now, to: Number.POSITIVE_INFINITY });
      target.paused = false;
    } else if (r < 0.8 && plain.length > 0) {
      const target = pick(plain);
      const { schedule, spec } = newSchedule(now);
      await scheduler.rescheduleJob(target.id, spec);
      coverage.reschedules++;
      closeStretch(target, now);
      target.schedule = schedule;
      if (!target.paused) target.stretches.push({ schedule, from: now, to: Number.POSITIVE_INFINITY });
    } else if (r < 0.83) {
      // A manual run: refused only while an async run holds the job's one instance, or the scheduler is paused.
      const target = pick(live);
      const ran = await scheduler.runJobNow(target.id).then(
        () => true,
        (error: unknown) => {
          if (paused) {
            expect(error, where(`runJobNow of ${target.id} while paused`)).toBeInstanceOf(SchedulerNotRunningError);
          } else {
            expect(error, where(`runJobNow of ${target.id}`)).toBeInstanceOf(MaxInstancesReachedError);
            expect(target.body.kind, where(`runJobNow refused for ${target.id}`)).toBe('async');
          }
          return false;
        },
      );
      expect(ran && paused, where(`runJobNow of ${target.id} ran while paused`)).toBe(false);
      if (ran) {
        target.manual.push(now);
        coverage.manual++;
      }
    } else if (r < 0.86) {
      // The whole scheduler paused or resumed: fires due meanwhile run once (coalesced) at resume, or are
      // recorded missed if that is more than the grace time after them.
      if (paused) {
        await scheduler.resume();
        (gaps.at(-1) as Gap).to = now;
      } else {
        await scheduler.pause();
        gaps.push({ from: now, to: Number.POSITIVE_INFINITY });
        coverage.schedulerPauses++;
      }
    } else if (r < 0.895 && !paused) {
      // The event loop blocked (a long synchronous task, a suspended VM): sometimes past the grace time.
      const ms = 1 + Math.floor(random() * (random() < 0.6 ? 10_000 : 120_000));
      gaps.push({ from: now, to: now + ms });
      clock.stall(ms);
      coverage.stalls++;
    } else if (r < 0.915 && dir !== null) {
      // A restart starts running: it ends a pause.
      await scheduler.shutdown({ wait: true });
      scheduler = boot();
      await scheduler.start();
      if (paused) (gaps.at(-1) as Gap).to = now;
      coverage.restarts++;
    } else {
      await clock.advance(1 + Math.floor(random() * 3_000));
    }
    await clock.advance(1);

    const t = clock.now();
    const expectedIds = jobs
      .filter((j) => isLive(j, t))
      .map((j) => j.id)
      .sort();
    expect((await scheduler.getJobs()).items.map((j) => j.id).sort(), where(`live jobs after step ${step}`)).toEqual(expectedIds);
    const expressions = new Set(jobs.filter((j) => isLive(j, t) && j.schedule.kind === 'cron').map((j) => (j.schedule as { expression: string }).expression));
    expect(cronPatterns(scheduler), where(`cron patterns after step ${step}`)).toBe(expressions.size);
  }

  // Wind down: let async runs finish, then compare every job's outcomes with the points it owed.
  const end = clock.now();
  for (const job of jobs) closeStretch(job, end);
  await scheduler.pause();
  await clock.advance(3_000);
  const byTime = (a: [number, number, boolean], b: [number, number, boolean]): number => a[0] - b[0] || a[1] - b[1] || Number(a[2]) - Number(b[2]);
  for (const id of new Set(jobs.map((j) => j.id))) {
    const all = jobs.filter((j) => j.id === id);
    const got = outcomes.get(id) ?? [];
    const async = all.some((j) => j.body.kind === 'async');
    const allowed = new Set(all.flatMap((j) => (j.body.kind === 'async' ? ['skipped', ranOutcome(j.body)] : [ranOutcome(j.body)])));
    const bodies = JSON.stringify(all.map((j) => j.body));
    // An async run reports when it settles, after the skips of points it overlapped: compare in time order,
    // as [latest fire time, fire times it stands for, missed]. A stretch due while an async run holds the
    // job's instance is skipped, not missed.
    const expected = all
      .flatMap((j) => entriesOf(j, gaps, end, maxCatchUp))
      .map((e): [number, number, boolean] => [e.at, e.count, e.missed])
      .sort(byTime);
    const observed = got
      .map((o): [number, number, boolean] => [
        o.at,
        o.count,
        o.outcome === 'missed' || (async && o.outcome === 'skipped' && expected.some((e) => e[0] === o.at && e[2])),
      ])
      .sort(byTime);
    expect(observed, where(`fire times of ${id} (${bodies})`)).toEqual(expected);
    // Provenance: the manual runs are the ones recorded `manual`; every other outcome is the schedule's.
    const manualOwed = all
      .flatMap((j) => entriesOf(j, gaps, end, maxCatchUp))
      .filter((e) => e.manual)
      .map((e) => e.at)
      .sort((a, b) => a - b);
    const manualSeen = got
      .filter((o) => o.trigger === 'manual')
      .map((o) => o.at)
      .sort((a, b) => a - b);
    expect(manualSeen, where(`manual runs of ${id}`)).toEqual(manualOwed);
    expect(
      got.filter((o) => o.trigger !== 'manual' && o.trigger !== 'schedule'),
      where(`triggers of ${id}`),
    ).toEqual([]);
    expect(
      got.filter((o) => o.outcome !== 'missed' && !allowed.has(o.outcome)),
      where(`outcomes of ${id}`),
    ).toEqual([]);
    expect(announced.added.get(id), where(`job_added of ${id}`)).toBe(all.length);
    const removed = all.filter((j) => j.replacedAt === null && !isLive(j, end)).length;
    expect(announced.removed.get(id) ?? 0, where(`job_removed of ${id}`)).toBe(removed);
    coverage.fires += got.length;
    coverage.skips += got.filter((o) => o.outcome === 'skipped').length;
    coverage.timedOut += got.filter((o) => o.outcome === 'timed_out').length;
    coverage.coalesced += got.filter((o) => o.count > 1 && o.outcome !== 'missed').length;
    coverage.dropped += got.filter((o) => o.outcome === 'missed' && all.every((j) => !j.coalesce)).length;
    coverage.backlogs += all
      .filter((j) => !j.coalesce)
      .flatMap((j) => entriesOf(j, gaps, end, maxCatchUp))
      .filter((e) => e.processedAt > e.at).length;
    coverage.misfired += got.filter((o) => o.outcome === 'missed').length;
    for (const job of all) {
      if (job.removedAt === null && job.replacedAt === null && goneByItself(job, gaps, end, maxCatchUp))
        coverage[job.body.kind === 'selfRemove' ? 'selfRemoved' : 'ended']++;
    }
  }
  for (const job of jobs.filter((j) => isLive(j, end))) await scheduler.removeJob(job.id);
  expect(cronPatterns(scheduler), where('cron patterns after removing every job')).toBe(0);
  await scheduler.shutdown({ wait: true });
  expect(clock.pendingTimers, where('timers after shutdown')).toBe(0);
  if (dir !== null) rmSync(dir, { recursive: true, force: true });
}

describe('scheduler against a reference model (seeded random sequences)', () => {
  it('fires exactly the owed points, keeps exactly the live jobs, announces each add and removal once', async () => {
    for (let seed = 1; seed <= 300; seed++) await runSequence(seed, 40);
    for (const [what, count] of Object.entries(coverage)) if (what !== 'restarts') expect(count, `sequences exercised ${what}`).toBeGreaterThan(20);
  }, 60_000);

  it('does the same when every fire goes through the submission path (a job_submitted listener)', async () => {
    for (let seed = 1001; seed <= 1150; seed++) await runSequence(seed, 40, { watchSubmissions: true });
  }, 60_000);

  it('does the same on SQLite, across restarts on the same file', async () => {
    const before = coverage.restarts;
    for (let seed = 2001; seed <= 2080; seed++) await runSequence(seed, 40, { sqlite: true });
    expect(coverage.restarts - before, 'sequences exercised restarts').toBeGreaterThan(20);
  }, 120_000);
});
