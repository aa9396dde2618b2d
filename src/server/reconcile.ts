/**
 * Config jobs are reconciled by id at every start: created if missing, updated if their definition
 * changed (a changed trigger recomputes the next run), left alone otherwise. A pause set over the API
 * survives (the config's `paused` only applies when the job is created); stored jobs absent from the
 * config are kept. A date job whose time is past its grace is skipped with a warning (`config_job_skipped`):
 * a one-shot job that already ran was removed, and must not be re-created nor fail the start.
 */
import type { Logger } from '../core/logger.js';
import type { AddJobSpec, SchedulerService } from '../scheduler/service.js';
import type { JobInfo } from '../scheduler/job-info.js';
import { createTrigger } from '../triggers/create.js';
import { CronCompiler } from '../cron/compiler.js';
import { InvalidTriggerError } from '../core/errors.js';
import type { CalendarInput, JobExcludeInput } from '../core/exclusion.js';

type ConfigJob = Omit<AddJobSpec, 'func'> & { id: string; task: string };

const POLICY_FIELDS = ['coalesce', 'maxInstances', 'misfireGraceTime', 'jitterSeconds', 'timeoutSeconds', 'retries', 'retryLost', 'maxRuns'] as const;

/**
 * Config calendars (`calendars: { [name]: { dates, ranges, timezone } }`) are created or replaced at every
 * start, before the jobs (which may name them); calendars created over the API and not in the config stay.
 */
export async function reconcileCalendars(scheduler: SchedulerService, calendars: Readonly<Record<string, CalendarInput>>, logger: Logger): Promise<void> {
  for (const [name, spec] of Object.entries(calendars)) {
    const { created } = await scheduler.putCalendarReporting(name, spec);
    logger.info(
      { event: created ? 'config_calendar_created' : 'config_calendar_updated', calendar: name },
      `config calendar ${created ? 'created' : 'updated'}`,
    );
  }
}

export async function reconcileJobs(scheduler: SchedulerService, jobs: readonly ConfigJob[], logger: Logger): Promise<void> {
  for (const spec of jobs) {
    const existing = await scheduler.getJob(spec.id);
    if (existing === undefined) {
      try {
        await scheduler.addJob(spec);
      } catch (error) {
        // A one-shot date job that ran (and was removed) is past at the next start: skipped, not a failed start.
        if (!isPastDate(error)) throw error;
        logger.warn({ event: 'config_job_skipped', jobId: spec.id, reason: (error as Error).message }, 'config date job skipped: its time has passed');
        continue;
      }
      logger.info({ event: 'config_job_created', jobId: spec.id }, 'config job created');
      continue;
    }
    const changes = differences(existing, spec, scheduler.defaultTimezone);
    if (Object.keys(changes).length === 0) continue;
    await scheduler.updateJob(spec.id, changes as never);
    logger.info({ event: 'config_job_updated', jobId: spec.id, fields: Object.keys(changes) }, 'config job updated');
  }
}

function differences(existing: JobInfo, spec: ConfigJob, defaultTimezone: string): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  if (spec.task !== existing.task) changes.task = spec.task;
  if (spec.name !== undefined && spec.name !== existing.name) changes.name = spec.name;
  if (JSON.stringify(spec.args) !== JSON.stringify(existing.args)) changes.args = spec.args;
  for (const field of POLICY_FIELDS) {
    if (spec[field] !== undefined && JSON.stringify(spec[field]) !== JSON.stringify(existing[field])) changes[field] = spec[field];
  }
  if (spec.exclude !== undefined && excludeChanged(spec.exclude, existing)) {
    // The one-off skips set over the API are kept.
    changes.exclude = spec.exclude === null ? null : { ...spec.exclude, skip: existing.exclude?.skip ?? [] };
  }
  // Compare triggers in resolved form.
  const wanted = { ...spec.trigger, ...(spec.timezone === undefined || spec.trigger.type !== 'cron' ? {} : { timezone: spec.timezone }) };
  const { description: _d, ...current } = existing.trigger;
  const resolved = createTrigger(wanted, { nowMs: 0, defaultTimezone, compiler: new CronCompiler(), jobId: spec.id }).toSpec();
  if (JSON.stringify(withoutFreePhase(wanted, resolved)) !== JSON.stringify(withoutFreePhase(wanted, current))) changes.trigger = wanted;
  return changes;
}

/**
 * A resolved spec made comparable with the wanted one: keys sorted, and the startDate of an interval or
 * calendarInterval that the wanted spec leaves out dropped (its start was resolved when the job was added,
 * and it keeps that phase), at any depth of an or/and.
 */
function withoutFreePhase(wanted: unknown, resolved: unknown): unknown {
  if (typeof resolved !== 'object' || resolved === null || typeof wanted !== 'object' || wanted === null) return resolved;
  const w = wanted as Record<string, unknown>;
  const out = { ...(resolved as Record<string, unknown>) };
  if ((w.type === 'interval' || w.type === 'calendarInterval') && w.startDate === undefined) delete out.startDate;
  if (Array.isArray(out.triggers) && Array.isArray(w.triggers)) {
    const children = w.triggers as unknown[];
    out.triggers = out.triggers.map((child: unknown, i: number) => withoutFreePhase(children[i], child));
  }
  return sortKeys(out);
}

/** Whether the configured exclude differs from the job's (calendars and dates as sets; the zone when given). */
function excludeChanged(wanted: JobExcludeInput | null, existing: JobInfo): boolean {
  const current = existing.exclude;
  if (wanted === null || current === undefined) return (wanted === null) !== (current === undefined);
  const same = (a: readonly string[] | undefined, b: readonly string[]): boolean =>
    JSON.stringify([...new Set(a ?? [])].sort()) === JSON.stringify([...b].sort());
  return (
    !same(wanted.calendars, current.calendars) || !same(wanted.dates, current.dates) || (wanted.timezone !== undefined && wanted.timezone !== current.timezone)
  );
}

/** The refusal of a date trigger already past its misfire grace (job-factory.ts). */
function isPastDate(error: unknown): boolean {
  return error instanceof InvalidTriggerError && error.details?.[0]?.path === 'trigger.runAt';
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
