/**
 * Reads HealthFacts from the store in batches and turns them into JobHealth (health.ts). A store
 * without a fold of its own (JobStore.healthFacts is optional) is read through getRuns.
 */
import type { Clock } from '../core/clock.js';
import { NO_HEALTH_FACTS, type HealthFacts, type JobHealth } from '../core/health.js';
import type { JobRecord } from '../core/job.js';
import type { PauseState } from '../core/pause.js';
import { healthFactsOf } from '../stores/health-facts.js';
import type { JobStore } from '../stores/store.js';
import { computeHealth, isStuck, type HealthContext } from './health.js';

/** Jobs per store query (a page of the API is at most 1000). */
const BATCH = 500;
/** How much history the getRuns fallback folds: the most a store keeps per job (retention's bound). */
const FALLBACK_RUNS = 1000;

/** The health of a live job without history that is not due yet (see `fresh`). */
const FRESH: JobHealth = Object.freeze({
  state: 'pending',
  since: null,
  consecutiveFailures: 0,
  lastSuccessAt: null,
  lastFailureAt: null,
  reason: 'not due yet: no run recorded',
});

export class HealthReader {
  constructor(
    private readonly store: JobStore,
    private readonly clock: Clock,
    /** The scheduler's pause, null while it is not paused. */
    private readonly schedulerPause: () => PauseState | null,
  ) {}

  /** The facts of each job, by id. */
  async facts(jobIds: readonly string[]): Promise<Map<string, HealthFacts>> {
    const all = new Map<string, HealthFacts>();
    for (let i = 0; i < jobIds.length; i += BATCH) {
      const ids = jobIds.slice(i, i + BATCH);
      if (this.store.healthFacts !== undefined) {
        for (const [id, facts] of await this.store.healthFacts(ids)) all.set(id, facts);
      } else {
        for (const id of ids) all.set(id, healthFactsOf(await this.store.getRuns(id, { limit: FALLBACK_RUNS })));
      }
    }
    return all;
  }

  /** Each job's health, in the order given. */
  async healthOf(jobs: readonly JobRecord[]): Promise<JobHealth[]> {
    const facts = await this.facts(jobs.map((job) => job.id));
    const context = this.context();
    return jobs.map((job) => computeHealth(job, facts.get(job.id) as HealthFacts, context));
  }

  async healthOfOne(job: JobRecord): Promise<JobHealth> {
    return (await this.healthOf([job]))[0] as JobHealth;
  }

  private context(): HealthContext {
    const pause = this.schedulerPause();
    return { now: this.clock.now(), schedulerPaused: pause !== null, schedulerPause: pause };
  }

  /**
   * A job just added (at `now`): it has no history, so no store read. The common case (a live job, not
   * due yet) shares one frozen answer: an add of a million jobs builds no health object each.
   */
  fresh(job: JobRecord, now: number = this.clock.now()): JobHealth {
    const pause = this.schedulerPause();
    if (!job.paused && pause === null && job.func !== null && !isStuck(job, NO_HEALTH_FACTS, now)) return FRESH;
    return computeHealth(job, NO_HEALTH_FACTS, { now, schedulerPaused: pause !== null, schedulerPause: pause });
  }
}
