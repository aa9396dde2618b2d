/**
 * Prometheus metrics for GET /api/v1/metrics, in a registry of this server's own (never prom-client's
 * global one, so two servers in one process do not mix): runs by outcome, run duration, fire lateness,
 * jobs, running runs.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunEvent, SchedulerEventName } from '../core/events.js';
import type { SchedulerService } from '../scheduler/service.js';

const RUN_EVENTS: SchedulerEventName[] = ['job_executed', 'job_error', 'job_missed', 'job_max_instances', 'job_timed_out', 'job_cancelled', 'job_lost'];

export function createMetrics(scheduler: SchedulerService): { registry: Registry; close: () => void } {
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
  const offs = RUN_EVENTS.map((name) =>
    scheduler.on(name, (payload) => {
      const run = payload as RunEvent;
      runs.inc({ outcome: run.outcome });
      if (run.durationMs !== null) duration.observe(run.durationMs / 1000);
      if (run.latenessMs !== null && run.outcome !== 'missed' && run.outcome !== 'skipped') lateness.observe(run.latenessMs / 1000);
    }),
  );
  return { registry, close: () => offs.forEach((off) => off()) };
}
