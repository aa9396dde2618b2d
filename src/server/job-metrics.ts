/**
 * Per-job Prometheus series, for the jobs the operator opts in (`metrics.jobLabels`): runs by outcome,
 * the last success, run durations, and health. A label per job multiplies series by the number of jobs,
 * so they are off by default and capped: at most `metrics.maxJobSeries` jobs get series; the next are
 * refused (one warning, and `tickwork_job_series_refused_total`) until series are freed.
 *
 * What a job id is decided to get (its series, or null: not opted in, or refused) is kept by id, so a
 * run costs one Map lookup, never a pattern match. At each scrape the health gauge lists the jobs, and
 * the series and decisions of ids no longer listed (removed jobs) are dropped: their slots are free again.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { InvalidArgumentError } from '../core/errors.js';
import type { RunOutcome } from '../core/events.js';
import { describeType } from '../core/format.js';
import { jobMatcher, type JobMatcher } from '../core/job-patterns.js';
import type { Logger } from '../core/logger.js';
import type { SchedulerService } from '../scheduler/service.js';
import { HEALTH_STATES } from '../core/health.js';

/** The per-job part of the metrics options (server config `metrics`). */
export interface MetricsOptions {
  /**
   * Which jobs get series of their own: `'none'` (the default), `'all'`, or a list of job ids and globs
   * (`*` any run of characters, `?` one: `['backup', 'report-*']`).
   */
  jobLabels?: 'none' | 'all' | string[];
  /** Most jobs with series of their own (default 1000, at most 1 000 000); beyond it, jobs are refused series. */
  maxJobSeries?: number;
}

export const DEFAULT_MAX_JOB_SERIES = 1000;
const MAX_MAX_JOB_SERIES = 1_000_000;

/** One job's series, its label children bound once. */
interface JobSeries {
  /** By outcome, made at the job's first run of that outcome. */
  readonly runs: Map<RunOutcome, Counter.Internal>;
  readonly lastSuccess: Gauge.Internal<'job'>;
  readonly duration: Histogram.Internal<'job'>;
  /** In HEALTH_STATES order. */
  readonly health: Gauge.Internal<'job' | 'state'>[];
}

/** The options checked: the matcher of opted-in jobs (null for `'none'`) and the cap. */
export function checkMetricsOptions(options: MetricsOptions): { select: JobMatcher | null; maxJobSeries: number } {
  if (typeof options !== 'object' || options === null) throw InvalidArgumentError.field('metrics', `must be an object, got ${describeType(options)}.`);
  for (const key of Object.keys(options)) {
    if (key !== 'jobLabels' && key !== 'maxJobSeries')
      throw InvalidArgumentError.field(`metrics.${key}`, 'is not a metrics option; allowed: jobLabels, maxJobSeries.');
  }
  const labels: unknown = options.jobLabels ?? 'none';
  if (typeof labels === 'string' && labels !== 'none' && labels !== 'all') {
    throw InvalidArgumentError.field('metrics.jobLabels', `must be "none", "all" or an array of job ids and glob patterns, got ${describeType(labels)}.`);
  }
  const select = labels === 'none' ? null : labels === 'all' ? () => true : jobMatcher(labels, 'metrics.jobLabels');
  const max: unknown = options.maxJobSeries ?? DEFAULT_MAX_JOB_SERIES;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > MAX_MAX_JOB_SERIES) {
    throw InvalidArgumentError.field(
      'metrics.maxJobSeries',
      `must be an integer from 1 to ${MAX_MAX_JOB_SERIES}, got ${typeof max === 'number' ? String(max) : describeType(max)}.`,
    );
  }
  return { select, maxJobSeries: max };
}

export class JobMetrics {
  private readonly runs: Counter<'job' | 'outcome'>;
  private readonly lastSuccess: Gauge<'job'>;
  private readonly duration: Histogram<'job'>;
  private readonly health: Gauge<'job' | 'state'>;
  private readonly refused: Counter;
  /** By job id: its series, or null (not opted in, or refused). */
  private readonly decided = new Map<string, JobSeries | null>();
  private count = 0;
  private warned = false;

  constructor(
    registry: Registry,
    private readonly select: JobMatcher,
    private readonly maxJobSeries: number,
    private readonly scheduler: Pick<SchedulerService, 'getJobs' | 'now'>,
    private readonly logger: Logger,
  ) {
    const registers = [registry];
    this.runs = new Counter({ name: 'tickwork_job_runs_total', help: 'Runs of each opted-in job by outcome.', labelNames: ['job', 'outcome'], registers });
    this.lastSuccess = new Gauge({
      name: 'tickwork_job_last_success_timestamp_seconds',
      help: 'When the last successful run of each opted-in job, seen by this server, finished (Unix seconds).',
      labelNames: ['job'],
      registers,
    });
    this.duration = new Histogram({
      name: 'tickwork_job_run_duration_seconds',
      help: 'Duration of settled runs of each opted-in job.',
      labelNames: ['job'],
      buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120, 600],
      registers,
    });
    const collectHealth = (): Promise<void> => this.collectHealth();
    this.health = new Gauge({
      name: 'tickwork_job_health',
      help: 'Health of each opted-in job: 1 for its current state, 0 for the others.',
      labelNames: ['job', 'state'],
      registers,
      collect: collectHealth,
    });
    this.refused = new Counter({
      name: 'tickwork_job_series_refused_total',
      help: 'Opted-in jobs refused series of their own because metrics.maxJobSeries jobs already have them.',
      registers,
    });
  }

  /** A recorded run of `jobId` (from the run observer). */
  observe(jobId: string, outcome: RunOutcome, durationMs: number | null): void {
    const series = this.seriesOf(jobId);
    if (series === null) return;
    let child = series.runs.get(outcome);
    if (child === undefined) {
      child = this.runs.labels(jobId, outcome);
      series.runs.set(outcome, child);
    }
    child.inc();
    if (durationMs !== null) series.duration.observe(durationMs / 1000);
    if (outcome === 'succeeded') series.lastSuccess.set(this.scheduler.now() / 1000);
  }

  /** The job's series, made at its first sight if it is opted in and the cap allows. */
  private seriesOf(jobId: string): JobSeries | null {
    const known = this.decided.get(jobId);
    if (known !== undefined) return known;
    let series: JobSeries | null = null;
    if (this.select(jobId)) {
      if (this.count < this.maxJobSeries) {
        series = {
          runs: new Map(),
          lastSuccess: this.lastSuccess.labels(jobId),
          duration: this.duration.labels(jobId),
          health: HEALTH_STATES.map((state) => this.health.labels(jobId, state)),
        };
        this.count++;
      } else {
        this.refuse(jobId);
      }
    }
    this.decided.set(jobId, series);
    return series;
  }

  private refuse(jobId: string): void {
    this.refused.inc();
    if (this.warned) return;
    this.warned = true;
    this.logger.warn(
      { event: 'job_series_refused', jobId, maxJobSeries: this.maxJobSeries },
      `job "${jobId}" gets no per-job metrics: ${this.maxJobSeries} jobs already have series (metrics.maxJobSeries); raise it or narrow metrics.jobLabels (warned once; tickwork_job_series_refused_total counts them)`,
    );
  }

  /** At scrape: each opted-in job's health, and the series of jobs no longer listed dropped. */
  private async collectHealth(): Promise<void> {
    const { items } = await this.scheduler.getJobs();
    const listed = new Set<string>();
    for (const job of items) {
      listed.add(job.id);
      const series = this.seriesOf(job.id);
      if (series === null) continue;
      const state = HEALTH_STATES.indexOf(job.health.state);
      series.health.forEach((child, i) => child.set(i === state ? 1 : 0));
    }
    for (const [jobId, series] of this.decided) {
      if (listed.has(jobId)) continue;
      this.decided.delete(jobId);
      if (series === null) continue;
      this.count--;
      for (const outcome of series.runs.keys()) this.runs.remove(jobId, outcome);
      this.lastSuccess.remove(jobId);
      this.duration.remove(jobId);
      for (const state of HEALTH_STATES) this.health.remove(jobId, state);
    }
  }
}
