// One adapter per scheduler, all with the same small surface, so that worker.mjs runs every
// workload the same way:
//   await create()                          -> adapter, with the scheduler started
//   add.interval(id, seconds, onFire, keep) -> schedule a fixed-period job
//   add.cron(id, expr, zone, onFire, keep)  -> schedule a cron job (the floor: daily `M H * * *` only)
//   remove(id)                              -> unschedule (only for jobs added with keep = true)
//   shutdown()
// onFire(idealMs) is called on each fire with the ideal (scheduled) time in ms, or with the time
// the adapter derives for it when the library does not say (see `idealSource`). `keep` asks the
// adapter to remember the library's handle for a later remove(): only churn does, so that
// handles the harness holds never count in the memory figures of the other workloads.
//
// Where a library has no interval trigger, it is emulated with cron and `emulation` says how.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { URL, fileURLToPath, pathToFileURL } from 'node:url';
import { FloorScheduler } from './floor.mjs';

const require = createRequire(import.meta.url);
const TICKWORK_DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));

/** Thrown when a scheduler cannot run a case at all; reported as "failed: <message>". */
export class UnsupportedError extends Error {}

/**
 * Daily cron at the UTC time of day of `atMs` (with seconds): a 24 h interval for a cron-only
 * library. Called with a time just past, so that the first fire is about 24 h away.
 */
export function dailyAtUtc(atMs) {
  const d = new Date(atMs);
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`;
}

/**
 * For libraries that give no ideal time: the k-th fire of a job is due at anchor + k * period.
 * The anchor is the registration time (intervals) or the whole second it falls in (cron every
 * second, whose first fire is the next whole second).
 */
function countingIdeal(anchor, periodMs, onFire) {
  let k = 0;
  return () => {
    onFire(anchor + ++k * periodMs);
  };
}

/**
 * Callbacks built once per onFire and shared by every job that uses it, so that idle memory
 * figures count the scheduler's per-job state, not a closure the harness made per job.
 */
function sharedWrappers() {
  const cache = new Map();
  return (onFire, tag, make) => {
    let byTag = cache.get(onFire);
    if (byTag === undefined) cache.set(onFire, (byTag = new Map()));
    let fn = byTag.get(tag);
    if (fn === undefined) byTag.set(tag, (fn = make(onFire)));
    return fn;
  };
}

/** A started floor, with the adds `addsOf(floor)` makes for it. */
function floorAdapter(addsOf) {
  const s = new FloorScheduler();
  s.start();
  return {
    idealSource: 'scheduled time passed by the floor',
    emulation: {},
    add: addsOf(s),
    remove(id) {
      s.remove(id);
    },
    shutdown() {
      s.shutdown();
    },
  };
}

async function createFloor() {
  return floorAdapter((s) => ({
    interval(id, seconds, onFire) {
      s.addInterval(id, seconds, onFire);
    },
    cron(id, expr, zone, onFire) {
      s.addDailyCron(id, expr, zone, onFire);
    },
  }));
}

/**
 * The floor behind an async API: each add answers a resolved promise of its job, nothing more. What an
 * add that returns a promise costs a caller by itself (an await each, or a million promises held and
 * awaited together), so that Tickwork's figures can be read apart from it (issue #22).
 */
async function createFloorAsync() {
  return floorAdapter((s) => ({
    interval: (id, seconds, onFire) => Promise.resolve(s.addInterval(id, seconds, onFire)),
    cron: (id, expr, zone, onFire) => Promise.resolve(s.addDailyCron(id, expr, zone, onFire)),
  }));
}

async function createTickwork() {
  const tw = await importTickwork();
  if (typeof tw.SchedulerService !== 'function') throw new UnsupportedError('tickwork: dist/index.js exports no SchedulerService');
  const { pino } = await import('pino');
  const s = new tw.SchedulerService({ logger: pino({ level: 'warn' }) });
  await s.start();
  const shared = sharedWrappers();
  const wrap = (onFire) =>
    shared(onFire, 'ctx', (f) => (ctx) => {
      f(ctx.scheduledAtMs);
    });
  return {
    idealSource: 'ctx.scheduledAtMs',
    emulation: {},
    add: {
      interval(id, seconds, onFire) {
        return s.addIntervalJob(wrap(onFire), seconds, id);
      },
      cron(id, expr, zone, onFire) {
        return s.addCronJob(wrap(onFire), expr, id, { timezone: zone });
      },
    },
    // addJobs (worker.mjs --bulk): the same jobs as addJob specs, added a chunk of specs per call.
    bulk:
      typeof s.addJobs !== 'function'
        ? undefined
        : {
            interval: (id, seconds, onFire) => ({ id, func: wrap(onFire), trigger: { type: 'interval', seconds } }),
            cron: (id, expr, zone, onFire) => ({ id, func: wrap(onFire), trigger: { type: 'cron', expression: expr, timezone: zone } }),
            add: (specs) => s.addJobs(specs),
          },
    remove(id) {
      return s.removeJob(id);
    },
    shutdown() {
      return s.shutdown({ wait: false });
    },
  };
}

async function createToad() {
  const { ToadScheduler, SimpleIntervalJob, CronJob, Task } = require('toad-scheduler');
  const s = new ToadScheduler();
  const shared = sharedWrappers();
  const noIdeal = (onFire) =>
    shared(onFire, 'none', (f) => () => {
      f(NaN);
    });
  return {
    idealSource: 'registration time + k * period (per-job counter)',
    emulation: {},
    add: {
      interval(id, seconds, onFire) {
        // Only a 1 s job fires within the benchmark; longer ones share one callback.
        const handler = seconds === 1 ? countingIdeal(Date.now(), 1000, onFire) : noIdeal(onFire);
        s.addSimpleIntervalJob(new SimpleIntervalJob({ seconds }, new Task(id, handler), { id }));
      },
      cron(id, expr, zone, onFire) {
        // Cron jobs in the benchmark never fire (they are far in the future): no ideal time needed.
        s.addCronJob(new CronJob({ cronExpression: expr, timezone: zone }, new Task(id, noIdeal(onFire)), { id }));
      },
    },
    remove(id) {
      s.removeById(id);
    },
    shutdown() {
      s.stop();
    },
  };
}

async function createCroner() {
  const { Cron } = await import('croner');
  const handles = new Map();
  const shared = sharedWrappers();
  const noIdeal = (onFire) =>
    shared(onFire, 'none', (f) => () => {
      f(NaN);
    });
  let interval24h;
  return {
    idealSource: 'next whole second after registration + k * 1 s (per-job counter)',
    emulation: {
      'interval-1s': 'cron "* * * * * *" (fires on whole seconds)',
      interval: '24 h interval as a daily cron at the registration time of day (UTC)',
    },
    add: {
      interval(id, seconds, onFire, keep) {
        let job;
        if (seconds === 1) {
          const now = Date.now();
          const handler = countingIdeal(now - (now % 1000), 1000, onFire);
          job = new Cron('* * * * * *', handler);
        } else if (seconds === 86_400) {
          interval24h ??= dailyAtUtc(Date.now() - 1000);
          job = new Cron(interval24h, { timezone: 'Etc/UTC' }, noIdeal(onFire));
        } else {
          throw new UnsupportedError(`croner adapter: no emulation for a ${seconds} s interval`);
        }
        if (keep) handles.set(id, job);
      },
      cron(id, expr, zone, onFire, keep) {
        const job = new Cron(expr, { timezone: zone }, noIdeal(onFire));
        if (keep) handles.set(id, job);
      },
    },
    remove(id) {
      handles.get(id).stop();
      handles.delete(id);
    },
    shutdown() {
      for (const h of handles.values()) h.stop();
    },
  };
}

async function createNodeSchedule() {
  const schedule = require('node-schedule');
  const shared = sharedWrappers();
  const withFireDate = (onFire) =>
    shared(onFire, 'fireDate', (f) => (fireDate) => {
      f(fireDate.getTime());
    });
  let interval24h;
  return {
    idealSource: 'fireDate passed by node-schedule',
    emulation: {
      'interval-1s': 'cron "* * * * * *" (fires on whole seconds)',
      interval: '24 h interval as a daily cron at the registration time of day (UTC)',
    },
    add: {
      interval(id, seconds, onFire) {
        let rule;
        if (seconds === 1) rule = '* * * * * *';
        else if (seconds === 86_400) rule = { rule: (interval24h ??= dailyAtUtc(Date.now() - 1000)), tz: 'Etc/UTC' };
        else throw new UnsupportedError(`node-schedule adapter: no emulation for a ${seconds} s interval`);
        const job = schedule.scheduleJob(id, rule, withFireDate(onFire));
        if (job === null) throw new Error(`node-schedule refused job ${id}`);
      },
      cron(id, expr, zone, onFire) {
        const job = schedule.scheduleJob(id, { rule: expr, tz: zone }, withFireDate(onFire));
        if (job === null) throw new Error(`node-schedule refused job ${id}`);
      },
    },
    // Named jobs are kept by node-schedule itself, so no handle is needed.
    remove(id) {
      if (!schedule.cancelJob(id)) throw new Error(`node-schedule: cancelJob(${id}) failed`);
    },
    shutdown() {
      return schedule.gracefulShutdown();
    },
  };
}

async function createNodeCron() {
  const cron = (await import('node-cron')).default;
  const handles = new Map();
  const shared = sharedWrappers();
  const withDate = (onFire) =>
    shared(onFire, 'date', (f) => (ctx) => {
      f(ctx.date.getTime());
    });
  const noIdeal = (onFire) =>
    shared(onFire, 'none', (f) => () => {
      f(NaN);
    });
  let interval24h;
  const options = (name, timezone) => ({ name, timezone, suppressMissedWarning: true });
  return {
    idealSource: 'ctx.date passed by node-cron',
    emulation: {
      'interval-1s': 'cron "* * * * * *" (fires on whole seconds)',
      interval: '24 h interval as a daily cron at the registration time of day (UTC)',
    },
    add: {
      interval(id, seconds, onFire, keep) {
        let task;
        if (seconds === 1) {
          task = cron.schedule('* * * * * *', withDate(onFire), options(id, undefined));
        } else if (seconds === 86_400) {
          task = cron.schedule((interval24h ??= dailyAtUtc(Date.now() - 1000)), noIdeal(onFire), options(id, 'Etc/UTC'));
        } else {
          throw new UnsupportedError(`node-cron adapter: no emulation for a ${seconds} s interval`);
        }
        if (keep) handles.set(id, task);
      },
      cron(id, expr, zone, onFire, keep) {
        const task = cron.schedule(expr, noIdeal(onFire), options(id, zone));
        if (keep) handles.set(id, task);
      },
    },
    remove(id) {
      handles.get(id).destroy();
      handles.delete(id);
    },
    shutdown() {
      return cron.shutdown?.(0);
    },
  };
}

export const SCHEDULERS = {
  floor: createFloor,
  'floor-async': createFloorAsync,
  tickwork: createTickwork,
  'toad-scheduler': createToad,
  croner: createCroner,
  'node-schedule': createNodeSchedule,
  'node-cron': createNodeCron,
};

/** Tickwork's module, or an UnsupportedError saying why it cannot be used. */
export async function importTickwork() {
  if (!existsSync(TICKWORK_DIST)) throw new UnsupportedError('tickwork not built (dist/index.js missing; run npm run build)');
  return import(pathToFileURL(TICKWORK_DIST).href);
}
