/**
 * `@Cron`, `@Interval` and `@Timeout` with `@nestjs/schedule`'s signatures (milliseconds for `@Interval` and
 * `@Timeout`), plus Tickwork's own job options under `tickwork`. They need nothing from Nest: each stores
 * its schedule on the method function itself (under a symbol, as Nest's `SetMetadata` stores its metadata
 * on the function), and TickworkModule finds the decorated methods of providers and controllers at
 * bootstrap. So `tickwork/nestjs` imports in a project without Nest installed.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import type { JobOptions } from '../core/job.js';

/** Tickwork's job options a decorator may set (the id, trigger and zone come from the decorator itself). */
export type DecoratedJobOptions = Omit<JobOptions, 'replaceExisting' | 'paused' | 'timezone'>;

/** `@Cron`'s options: `@nestjs/schedule`'s, plus `tickwork`. */
export interface CronOptions {
  /** The job id (and SchedulerRegistry name in `@nestjs/schedule`). Default: `<Provider>.<method>`. */
  name?: string;
  /** IANA zone the expression is read in. Default: the scheduler's `timezone`. */
  timeZone?: string;
  /** One run at a time: maxInstances 1; a fire meanwhile is skipped unless `tickwork.overlap` says queue or replace. */
  waitForCompletion?: boolean;
  /** Add the job paused: it exists (resumeJob starts it) but does not fire. */
  disabled?: boolean;
  /** Tickwork's own job options: misfireGraceTime, coalesce, maxInstances, retries, timeoutSeconds, args ... */
  tickwork?: DecoratedJobOptions;
}

/**
 * A method decorator both for TypeScript's `experimentalDecorators` (Nest's setting) and for standard
 * decorators, so it type-checks under either.
 */
export type ScheduleDecorator = MethodDecorator & ((method: (...args: never[]) => unknown, context: ClassMethodDecoratorContext) => void);

/** A decorated method's schedule, as TickworkModule reads it. */
export type ScheduleMetadata =
  | { kind: 'cron'; cronTime: string | Date; options: CronOptions }
  | { kind: 'interval'; name: string | undefined; ms: number }
  | { kind: 'timeout'; name: string | undefined; ms: number };

/** Where the schedule is kept on the method function (a registered symbol: one per realm, whatever copy of Tickwork). */
export const SCHEDULE_METADATA: unique symbol = Symbol.for('tickwork.nestjs.schedule') as never;

const CRON_OPTION_KEYS = ['name', 'timeZone', 'waitForCompletion', 'disabled', 'tickwork'];
/** `@nestjs/schedule` options with no Tickwork meaning: refused with the way to say it here. */
const REFUSED_CRON_OPTIONS: Record<string, string> = {
  utcOffset: 'is not supported; give an IANA zone in timeZone instead (e.g. "Etc/GMT-2" for UTC+2).',
  unrefTimeout: 'is not supported: the scheduler keeps no timer alive once it is shut down (close the app).',
  threshold: 'is not supported; use tickwork.misfireGraceTime (seconds a late fire may still run).',
};

/** The schedule stored on a method, or undefined. */
export function scheduleOf(method: unknown): ScheduleMetadata | undefined {
  if (typeof method !== 'function') return undefined;
  return (method as unknown as Record<symbol, ScheduleMetadata | undefined>)[SCHEDULE_METADATA];
}

/**
 * Runs the method on a cron expression (5 fields, or 6 with seconds first as `@nestjs/schedule`'s
 * `CronExpression` values) or, given a Date, once at that instant.
 */
export function Cron(cronTime: string | Date, options: CronOptions = {}): ScheduleDecorator {
  if (typeof cronTime !== 'string' && !(cronTime instanceof Date && !Number.isNaN(cronTime.getTime()))) {
    throw InvalidArgumentError.field('cronTime', `@Cron needs a cron expression or a valid Date, got ${describeType(cronTime)}.`);
  }
  checkCronOptions(options);
  return decorator('@Cron', { kind: 'cron', cronTime, options });
}

/** Runs the method every `ms` milliseconds, first one period after the scheduler starts. */
export function Interval(ms: number): ScheduleDecorator;
/** Runs the method every `ms` milliseconds as the job `name`. */
export function Interval(name: string, ms: number): ScheduleDecorator;
export function Interval(nameOrMs: string | number, maybeMs?: number): ScheduleDecorator {
  const [name, ms] = nameAndMs('@Interval', nameOrMs, maybeMs);
  return decorator('@Interval', { kind: 'interval', name, ms });
}

/** Runs the method once, `ms` milliseconds after the scheduler starts. */
export function Timeout(ms: number): ScheduleDecorator;
/** Runs the method once, `ms` milliseconds after the scheduler starts, as the job `name`. */
export function Timeout(name: string, ms: number): ScheduleDecorator;
export function Timeout(nameOrMs: string | number, maybeMs?: number): ScheduleDecorator {
  const [name, ms] = nameAndMs('@Timeout', nameOrMs, maybeMs);
  return decorator('@Timeout', { kind: 'timeout', name, ms });
}

function nameAndMs(which: string, nameOrMs: string | number, maybeMs: number | undefined): [string | undefined, number] {
  const [name, ms] = typeof nameOrMs === 'string' ? [nameOrMs, maybeMs] : [undefined, nameOrMs];
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 1) {
    throw InvalidArgumentError.field('ms', `${which} needs a number of milliseconds, at least 1, got ${describeType(ms)}.`);
  }
  return [name, ms];
}

function checkCronOptions(options: CronOptions): void {
  if (typeof options !== 'object' || options === null)
    throw InvalidArgumentError.field('options', `@Cron options must be an object, got ${describeType(options)}.`);
  for (const key of Object.keys(options)) {
    const refused = REFUSED_CRON_OPTIONS[key];
    if (refused !== undefined) throw InvalidArgumentError.field(`options.${key}`, refused);
    if (!CRON_OPTION_KEYS.includes(key)) throw InvalidArgumentError.field(`options.${key}`, `is not a @Cron option; allowed: ${CRON_OPTION_KEYS.join(', ')}.`);
  }
  for (const key of ['waitForCompletion', 'disabled'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'boolean') {
      throw InvalidArgumentError.field(`options.${key}`, `must be true or false, got ${describeType(options[key])}.`);
    }
  }
  for (const key of ['name', 'timeZone'] as const) {
    if (options[key] !== undefined && typeof options[key] !== 'string')
      throw InvalidArgumentError.field(`options.${key}`, `must be a string, got ${describeType(options[key])}.`);
  }
  if (options.tickwork !== undefined && (typeof options.tickwork !== 'object' || options.tickwork === null)) {
    throw InvalidArgumentError.field('options.tickwork', `must be an object of job options, got ${describeType(options.tickwork)}.`);
  }
}

/**
 * A method decorator for TypeScript's `experimentalDecorators` (what Nest uses: target, key, descriptor)
 * and for standard decorators (method, context), storing the schedule on the method function.
 */
function decorator(which: string, schedule: ScheduleMetadata): ScheduleDecorator {
  return ((...args: unknown[]) => {
    const standard = typeof args[0] === 'function' && typeof args[1] === 'object' && args[1] !== null && (args[1] as { kind?: unknown }).kind === 'method';
    const method = standard ? args[0] : (args[2] as PropertyDescriptor | undefined)?.value;
    if (typeof method !== 'function') throw InvalidArgumentError.field('decorator', `${which} decorates methods only.`);
    if (scheduleOf(method) !== undefined) {
      throw InvalidArgumentError.field(
        'decorator',
        `${which}: a method carries one schedule decorator (@Cron, @Interval or @Timeout); use a second method for a second schedule.`,
      );
    }
    Object.defineProperty(method, SCHEDULE_METADATA, { value: schedule, enumerable: false });
    return undefined;
  }) as ScheduleDecorator;
}
