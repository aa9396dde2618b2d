/**
 * Reads HealthFacts from the store in batches and turns them into JobHealth (health.ts). A store
 * without a fold of its own (JobStore.healthFacts is optional) is read through getRuns.
 */
import type { Clock } from '../core/clock.js';
import type { HealthFacts, JobHealth } from '../core/health.js';
import type { JobRecord } from '../core/job.js';
import { healthFactsOf } from '../stores/health-facts.js';
import type { JobStore } from '../stores/store.js';
import { computeHealth } from './health.js';

/** Jobs per store query (a page of the API is at most 1000). */
const BATCH = 500;
/** How much history the getRuns fallback folds: the most a store keeps per job (retention's bound). */
const FALLBACK_RUNS = 1000;

export class HealthReader {
  constructor(
    private readonly store: JobStore,
    private readonly clock: Clock,
    private readonly schedulerPaused: () => boolean,
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
    const context = { now: this.clock.now(), schedulerPaused: this.schedulerPaused() };
    return jobs.map((job) => computeHealth(job, facts.get(job.id) as HealthFacts, context));
  }

  async healthOfOne(job: JobRecord): Promise<JobHealth> {
    return (await this.healthOf([job]))[0] as JobHealth;
  }

  /** A job that has no history (just added): no store read. */
  fresh(job: JobRecord, facts: HealthFacts): JobHealth {
    return computeHealth(job, facts, { now: this.clock.now(), schedulerPaused: this.schedulerPaused() });
  }
}
