/**
 * Config jobs are reconciled by id at every start: created if missing, updated if their definition
 * changed (a changed trigger recomputes the next run), left alone otherwise. A pause set over the API
 * survives (the config's `paused` only applies when the job is created). Stored jobs absent from the
 * config are kept, unless `prune` is set: then the jobs the config created (owner `config`) that it no
 * longer lists are removed; jobs created through the API or the library never are. A date job whose time
 * is past its grace is skipped with a warning (`config_job_skipped`): a one-shot job that already ran was
 * removed, and must not be re-created nor fail the start. Every change is made as `{ by: 'config' }`.
 */
import type { Logger } from '../core/logger.js';
import type { MutationContext } from '../core/actor.js';
import type { AddJobSpec, SchedulerService } from '../scheduler/service.js';
import { definitionChanges } from '../scheduler/definitions.js';
import { InvalidTriggerError } from '../core/errors.js';
import type { CalendarInput } from '../core/exclusion.js';

type ConfigJob = Omit<AddJobSpec, 'func'> & { id: string; task: string };

export interface ReconcileOptions {
  /** Remove the config-owned jobs the config no longer lists (default false: they are kept). */
  prune?: boolean;
}

const CONFIG: MutationContext = Object.freeze({ actor: Object.freeze({ by: 'config' as const }) });

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

export async function reconcileJobs(scheduler: SchedulerService, jobs: readonly ConfigJob[], logger: Logger, options: ReconcileOptions = {}): Promise<void> {
  for (const spec of jobs) {
    const existing = await scheduler.getJob(spec.id);
    if (existing === undefined) {
      try {
        await scheduler.addJob(spec, CONFIG);
      } catch (error) {
        // A one-shot date job that ran (and was removed) is past at the next start: skipped, not a failed start.
        if (!isPastDate(error)) throw error;
        logger.warn({ event: 'config_job_skipped', jobId: spec.id, reason: (error as Error).message }, 'config date job skipped: its time has passed');
        continue;
      }
      logger.info({ event: 'config_job_created', jobId: spec.id }, 'config job created');
      continue;
    }
    const changes = definitionChanges(existing, spec, scheduler.defaultTimezone);
    if (Object.keys(changes).length === 0) continue;
    await scheduler.updateJob(spec.id, changes as never, CONFIG);
    logger.info({ event: 'config_job_updated', jobId: spec.id, fields: Object.keys(changes) }, 'config job updated');
  }
  if (options.prune === true) await pruneConfigJobs(scheduler, jobs, logger);
}

/** Removes the config-owned jobs the config no longer lists. */
async function pruneConfigJobs(scheduler: SchedulerService, jobs: readonly ConfigJob[], logger: Logger): Promise<void> {
  const listed = new Set(jobs.map((job) => job.id));
  for (const job of (await scheduler.getJobs()).items) {
    if (job.owner !== 'config' || listed.has(job.id)) continue;
    await scheduler.removeJob(job.id, CONFIG);
    logger.info({ event: 'config_job_removed', jobId: job.id }, 'config job removed: no longer in the config (prune)');
  }
}

/** The refusal of a date trigger already past its misfire grace (job-factory.ts). */
function isPastDate(error: unknown): boolean {
  return error instanceof InvalidTriggerError && error.details?.[0]?.path === 'trigger.runAt';
}
