/** Shared test fixtures: a manual clock, a capturing logger, and a scheduler wired to both. */
import { ManualClock } from '../src/core/clock.js';
import type { SchedulerEventName, SchedulerEventMap } from '../src/core/events.js';
import type { Logger } from '../src/core/logger.js';
import { SchedulerService, type SchedulerOptions } from '../src/scheduler/service.js';

/** 2026-01-01T00:00:00Z: every fake clock starts here unless a test needs another instant. */
export const REFERENCE = Date.UTC(2026, 0, 1);

export interface LogLine extends Record<string, unknown> {
  level: string;
  msg?: string;
}

/** A pino-like logger that keeps every line in memory. */
export function captureLogger(level: 'debug' | 'info' | 'warn' | 'error' = 'debug'): Logger & { lines: LogLine[] } {
  const order = ['debug', 'info', 'warn', 'error'];
  const lines: LogLine[] = [];
  const make = (bindings: Record<string, unknown>): Logger & { lines: LogLine[] } => {
    const write =
      (lvl: string) =>
      (objOrMsg: Record<string, unknown> | string, message?: string): void => {
        const obj = typeof objOrMsg === 'string' ? {} : objOrMsg;
        const msg = typeof objOrMsg === 'string' ? objOrMsg : message;
        if (order.indexOf(lvl) >= order.indexOf(level)) lines.push({ ...bindings, ...obj, level: lvl, ...(msg === undefined ? {} : { msg }) });
      };
    return {
      lines,
      debug: write('debug'),
      info: write('info'),
      warn: write('warn'),
      error: write('error'),
      child: (more) => make({ ...bindings, ...more }),
      isLevelEnabled: (lvl) => order.indexOf(lvl) >= order.indexOf(level),
    };
  };
  return make({});
}

export interface Harness {
  scheduler: SchedulerService;
  clock: ManualClock;
  logger: ReturnType<typeof captureLogger>;
  /** Every event, in order, as [name, payload]. */
  events: [SchedulerEventName, unknown][];
  named<K extends SchedulerEventName>(name: K): SchedulerEventMap[K][];
}

const ALL_EVENTS: SchedulerEventName[] = [
  'scheduler_started',
  'scheduler_stopped',
  'scheduler_paused',
  'scheduler_resumed',
  'job_added',
  'job_modified',
  'job_removed',
  'job_submitted',
  'job_executed',
  'job_error',
  'job_missed',
  'job_max_instances',
  'job_timed_out',
  'job_cancelled',
  'job_lost',
  'job_retry_scheduled',
  'job_load_error',
  'job_excluded',
];

/**
 * `fastPath`: nobody listens for or logs `job_submitted`, as in production, so that on-time fires take the
 * executor's fast path (no Submission) instead of the submission queue that a job_submitted listener forces.
 */
export function harness(options: Omit<SchedulerOptions, 'clock' | 'logger'> & { start?: number; fastPath?: boolean } = {}): Harness {
  const { start, fastPath, ...rest } = options;
  const clock = new ManualClock(start ?? REFERENCE);
  const logger = captureLogger(fastPath === true ? 'info' : 'debug');
  const scheduler = new SchedulerService({ timezone: 'UTC', ...rest, clock, logger });
  const events: [SchedulerEventName, unknown][] = [];
  for (const name of ALL_EVENTS) {
    if (fastPath === true && name === 'job_submitted') continue;
    scheduler.on(name, (payload) => void events.push([name, payload]));
  }
  return {
    scheduler,
    clock,
    logger,
    events,
    named: <K extends SchedulerEventName>(name: K) => events.filter(([n]) => n === name).map(([, p]) => p as SchedulerEventMap[K]),
  };
}

/** A promise with its resolve function exposed, for jobs that finish when a test says so. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A job body that completes only when the manual clock has advanced `ms`. */
export function sleepOn(clock: ManualClock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const handle = clock.setTimer(resolve, ms);
    signal?.addEventListener('abort', () => {
      clock.clearTimer(handle);
      reject(signal.reason);
    });
  });
}

/** A real-time pause, for tests against real processes and databases (never on a manual clock). */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits, in real time, until `condition` holds; fails naming `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
