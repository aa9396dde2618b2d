/**
 * Prometheus metrics for GET /api/v1/metrics, in a registry of this server's own (never prom-client's
 * global one, so two servers in one process do not mix): runs by outcome, run duration, fire lateness,
 * jobs, running runs; and, for the jobs the operator opts in, series per job (job-metrics.ts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunOutcome } from '../core/events.js';
import { createDefaultLogger, type Logger } from '../core/logger.js';
import type { SchedulerService } from '../scheduler/service.js';
import { JobMetrics, checkMetricsOptions, type MetricsOptions } from './job-metrics.js';

export type { MetricsOptions } from './job-metrics.js';

/**
 * The registry of one server; `options` (checked here: INVALID_ARGUMENT at `metrics.*`) opts jobs in to
 * series of their own; `logger` gets the warning when the cap refuses a job series.
 */
export function createMetrics(
  scheduler: SchedulerService,
  options: MetricsOptions = {},
  logger: Logger = createDefaultLogger(),
): { registry: Registry; close: () => void } {
  const { select, maxJobSeries } = checkMetricsOptions(options);
  const registry = new Registry();
  const runs = new Counter({ name: 'tickwork_runs_total', help: 'Runs by outcome.', labelNames: ['outcome'], registers: [registry] });
  const duration = new Histogram({
    name: 'tickwork_run_duration_seconds',
    help: 'Duration of settled runs.',
    registers: [registry],
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120, 600],
  });
  const lateness = new Histogram({
    name: 'tickwork_fire_lateness_seconds',
    help: 'How late runs started after their due time.',
    registers: [registry],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 10, 60],
  });
  new Gauge({
    name: 'tickwork_jobs',
    help: 'Jobs in the store.',
    registers: [registry],
    async collect() {
      this.set((await scheduler.status()).jobs);
    },
  });
  new Gauge({
    name: 'tickwork_running_runs',
    help: 'Runs in flight or waiting for a concurrency slot.',
    registers: [registry],
    async collect() {
      this.set((await scheduler.status()).runningRuns);
    },
  });
  // Counted through observeRuns, not event listeners: a listener makes every fire build its event
  // payload (about 1 µs per fire at 100 000 jobs, more than the rest of the fire path); an observer
  // gets plain values. The labelled children are bound once.
  const byOutcome = new Map<RunOutcome, Counter.Internal>();
  const global = (outcome: RunOutcome, durationMs: number | null, latenessMs: number | null): void => {
    let child = byOutcome.get(outcome);
    if (child === undefined) {
      child = runs.labels(outcome);
      byOutcome.set(outcome, child);
    }
    child.inc();
    if (durationMs !== null) duration.observe(durationMs / 1000);
    if (latenessMs !== null && outcome !== 'missed' && outcome !== 'skipped') lateness.observe(latenessMs / 1000);
  };
  // Without opted-in jobs (the default) the observer is the global one alone: nothing per job.
  if (select === null) return { registry, close: scheduler.observeRuns(global) };
  const perJob = new JobMetrics(registry, select, maxJobSeries, scheduler, logger);
  const off = scheduler.observeRuns((outcome, durationMs, latenessMs, jobId) => {
    global(outcome, durationMs, latenessMs);
    perJob.observe(jobId, outcome, durationMs);
  });
  return { registry, close: off };
}
