/** The hydrate a store test gives its store: a stored row back as a job that runs nothing (its trigger built for its id, as the scheduler's hydrate does, so cron's H gets the same values). */
import { JobRecord } from '../../src/core/job.js';
import type { StoredJob } from '../../src/stores/store.js';
import { createTrigger, type TriggerEnvironment } from '../../src/triggers/create.js';

export function hydrateForTest(stored: StoredJob, env: TriggerEnvironment): JobRecord {
  const job = JobRecord.create(
    stored.id,
    stored.name,
    () => undefined,
    stored.task,
    stored.args,
    createTrigger(stored.trigger, { ...env, jobId: stored.id }),
    stored.policy,
    stored.paused,
    stored.nextRunTime,
    stored.dueAt,
    stored.retry,
    stored.runCount,
    stored.owner,
    stored.pause,
    stored.catchUpThrough,
  );
  job.jitterMs = stored.jitterMs;
  return job;
}
