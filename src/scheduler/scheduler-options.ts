/** The scheduler's constructor options, checked and with their defaults filled in. */
import type { CronCompiler } from '../cron/compiler.js';
import { CronError } from '../cron/cron-error.js';
import { systemTimeZone } from '../cron/zone.js';
import { SystemClock, type Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobPolicy } from '../core/job.js';
import { DEFAULT_JOB_POLICY, checkOptionKeys, positiveInteger, resolvePolicy } from '../core/job-options.js';
import { createDefaultLogger, type Logger } from '../core/logger.js';
import { MemoryJobStore } from '../stores/memory.js';
import type { JobStore } from '../stores/store.js';
import { checkTracingOption, type TracingOption } from './run-tracing.js';
import type { SchedulerOptions } from './scheduler-types.js';

export interface ResolvedOptions {
  store: JobStore;
  logger: Logger;
  /** The injected clock, before any shared-store offset. */
  clock: Clock;
  defaults: JobPolicy;
  timezone: string;
  maxCatchUp: number;
  maxConcurrentRuns: number;
  tracing: TracingOption;
}

const KNOWN = ['store', 'logger', 'jobDefaults', 'timezone', 'maxConcurrentRuns', 'maxCatchUp', 'clock', 'tracing'];

/** Checks the options in their documented order; `cron` validates the zone now, not at the first cron job. */
export function resolveOptions(options: SchedulerOptions, cron: CronCompiler): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw InvalidArgumentError.field('options', `must be an object, got ${describeType(options)}.`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) throw InvalidArgumentError.field(`options.${key}`, `is not a scheduler option; allowed: ${KNOWN.join(', ')}.`);
  }
  const store = options.store ?? new MemoryJobStore();
  const logger = options.logger ?? createDefaultLogger();
  const clock = options.clock ?? new SystemClock();
  if (options.jobDefaults !== undefined) checkOptionKeys(options.jobDefaults, 'jobDefaults');
  // Exclusions name calendars of the store, which is not open yet: a per-job option only.
  if (options.jobDefaults !== undefined && 'exclude' in options.jobDefaults) {
    throw InvalidArgumentError.field('jobDefaults.exclude', 'is a per-job option (its calendars must exist when the job is added); give it to each job.');
  }
  const defaults = resolvePolicy(options.jobDefaults ?? {}, DEFAULT_JOB_POLICY, 'jobDefaults');
  const timezone = options.timezone ?? systemTimeZone();
  checkZone(cron, timezone);
  const maxCatchUp = integerIn(options.maxCatchUp, 'options.maxCatchUp', 1000, 1_000_000);
  const maxConcurrentRuns = integerIn(options.maxConcurrentRuns, 'options.maxConcurrentRuns', 1000, 1_000_000);
  const tracing = checkTracingOption(options.tracing);
  return { store, logger, clock, defaults, timezone, maxCatchUp, maxConcurrentRuns, tracing };
}

/** An integer option or query field from 1 to `max`; `fallback` when absent. */
export function integerIn(value: unknown, path: string, fallback: number, max: number): number {
  return value === undefined ? fallback : positiveInteger(value, path, max);
}

/** The scheduler's default zone, checked at construction (not at the first cron job): INVALID_ARGUMENT at options.timezone. */
function checkZone(cron: CronCompiler, timezone: string): void {
  try {
    cron.zone(timezone);
  } catch (error) {
    if (error instanceof CronError) throw InvalidArgumentError.field('options.timezone', error.message);
    throw error;
  }
}
