/**
 * Turning a trigger spec (the plain object used in code and over HTTP) into a Trigger, with validation
 * that names the field and what is allowed. Nothing is acquired unless the whole spec is valid. The
 * calendar-interval spec's fields are checked in calendar-spec.ts.
 */
import type { CronCompiler, SharedPattern } from '../cron/compiler.js';
import { CronError } from '../cron/cron-error.js';
import type { TimeZone } from '../cron/zone.js';
import { InvalidTriggerError } from '../core/errors.js';
import { CronTrigger } from './cron.js';
import { DateTrigger } from './date.js';
import { parseDateInput, parseOptionalDate } from './date-input.js';
import { describeType } from '../core/format.js';
import { IntervalTrigger } from './interval.js';
import { CALENDAR_INTERVAL_FIELDS, createCalendarInterval } from './calendar-spec.js';
import { AndTrigger, MAX_COMBINED, MAX_COMBINED_DEPTH, OrTrigger } from './combined.js';
import type { Trigger } from '../core/trigger.js';

/** What creating a trigger needs from its surroundings. */
export interface TriggerEnvironment {
  /** "Now": anchors an interval without a startDate (first fire one period later). */
  nowMs: number;
  /** Zone for cron specs without one. */
  defaultTimezone: string;
  compiler: CronCompiler;
  /** The id of the job the trigger is for: what a cron expression's `H` hashes. Absent: `H` is refused. */
  jobId?: string;
}

/** Smallest interval: 1 ms. Largest: about 317 years, far beyond any real schedule. */
export const MIN_INTERVAL_SECONDS = 0.001;
export const MAX_INTERVAL_SECONDS = 1e10;

const ALLOWED_FIELDS: Record<string, readonly string[]> = {
  interval: ['type', 'seconds', 'startDate', 'endDate'],
  cron: ['type', 'expression', 'timezone', 'startDate', 'endDate'],
  date: ['type', 'runAt'],
  calendarInterval: ['type', ...CALENDAR_INTERVAL_FIELDS],
  or: ['type', 'triggers'],
  and: ['type', 'triggers'],
};

const TYPES = 'one of "interval", "cron", "date", "calendarInterval", "or", "and"';

export function createTrigger(spec: unknown, env: TriggerEnvironment, path = 'trigger'): Trigger {
  return createAt(spec, env, path, 0);
}

/** createTrigger at nesting `depth` (0 for the top of a spec). */
function createAt(spec: unknown, env: TriggerEnvironment, path: string, depth: number): Trigger {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new InvalidTriggerError(`${path} must be an object such as { type: "interval", seconds: 60 }, got ${describeType(spec)}.`, { path });
  }
  const s = spec as Record<string, unknown>;
  const type = s.type;
  if (typeof type !== 'string' || !Object.hasOwn(ALLOWED_FIELDS, type)) {
    throw new InvalidTriggerError(`${path}.type must be ${TYPES}, got ${describeType(type)}.`, { path: `${path}.type` });
  }
  const allowed = ALLOWED_FIELDS[type] ?? [];
  for (const key of Object.keys(s)) {
    if (!allowed.includes(key)) {
      throw new InvalidTriggerError(`${path}.${key} is not a field of a ${type} trigger; allowed: ${allowed.join(', ')}.`, { path: `${path}.${key}` });
    }
  }
  if (type === 'date') return new DateTrigger(parseDateInput(s.runAt, `${path}.runAt`));
  if (type === 'or' || type === 'and') return createCombined(type, s.triggers, env, path, depth);
  if (type === 'calendarInterval') {
    const zone = zoneOf(s.timezone, env, path, false);
    return createCalendarInterval(s, zone, env.nowMs, path);
  }

  const startMs = parseOptionalDate(s.startDate as never, `${path}.startDate`);
  const endMs = parseOptionalDate(s.endDate as never, `${path}.endDate`);
  if (startMs !== null && endMs !== null && startMs > endMs) {
    throw new InvalidTriggerError(
      `${path}.startDate (${new Date(startMs).toISOString()}) is after ${path}.endDate (${new Date(endMs).toISOString()}); the start must come first.`,
      { path: `${path}.startDate` },
    );
  }

  if (type === 'interval') {
    const seconds = s.seconds;
    if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < MIN_INTERVAL_SECONDS || seconds > MAX_INTERVAL_SECONDS) {
      throw new InvalidTriggerError(
        `${path}.seconds must be a finite number from ${MIN_INTERVAL_SECONDS} to ${MAX_INTERVAL_SECONDS}, got ${describeType(seconds) === 'number' ? String(seconds) : describeType(seconds)}.`,
        { path: `${path}.seconds` },
      );
    }
    const anchor = startMs ?? env.nowMs + Math.round(seconds * 1000);
    return IntervalTrigger.create(seconds, anchor, endMs);
  }

  const expression = s.expression;
  if (typeof expression !== 'string') {
    throw new InvalidTriggerError(`${path}.expression must be a cron string such as "*/15 * * * *", got ${describeType(expression)}.`, {
      path: `${path}.expression`,
    });
  }
  const zone = zoneOf(s.timezone, env, path, true);
  // The cron engine's CronError becomes the API's InvalidTriggerError naming the spec field.
  let shared: SharedPattern;
  try {
    shared = env.compiler.share(expression, env.jobId);
  } catch (error) {
    throw toTriggerError(path, error);
  }
  return startMs === null && endMs === null
    ? CronTrigger.boundless(env.compiler, shared, zone)
    : CronTrigger.create(env.compiler, shared, zone, startMs, endMs);
}

/** The zone of `<path>.timezone`: the environment's default when absent and `optional`. */
function zoneOf(value: unknown, env: TriggerEnvironment, path: string, optional: boolean): TimeZone {
  if (value === undefined && optional) return zoneNamed(env.defaultTimezone, env, path);
  if (typeof value !== 'string') {
    throw new InvalidTriggerError(`${path}.timezone must be an IANA zone name such as "Europe/Berlin", got ${describeType(value)}.`, {
      path: `${path}.timezone`,
    });
  }
  return zoneNamed(value, env, path);
}

function zoneNamed(name: string, env: TriggerEnvironment, path: string): TimeZone {
  try {
    return env.compiler.zone(name);
  } catch (error) {
    throw toTriggerError(path, error);
  }
}

/**
 * An `or` or `and` of 1 to MAX_COMBINED triggers, nested at most MAX_COMBINED_DEPTH deep. The triggers
 * made before a later one fails are disposed: nothing stays acquired unless the whole spec is valid.
 */
function createCombined(type: 'or' | 'and', list: unknown, env: TriggerEnvironment, path: string, depth: number): Trigger {
  if (depth >= MAX_COMBINED_DEPTH) {
    throw new InvalidTriggerError(`${path} nests "or"/"and" triggers more than ${MAX_COMBINED_DEPTH} deep; flatten it.`, { path });
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_COMBINED) {
    throw new InvalidTriggerError(`${path}.triggers must be an array of 1 to ${MAX_COMBINED} trigger specs, got ${describeType(list)}.`, {
      path: `${path}.triggers`,
    });
  }
  const triggers: Trigger[] = [];
  try {
    list.forEach((child, i) => triggers.push(createAt(child, env, `${path}.triggers[${i}]`, depth + 1)));
  } catch (error) {
    for (const trigger of triggers) trigger.dispose();
    throw error;
  }
  return type === 'or' ? new OrTrigger(triggers) : new AndTrigger(triggers);
}

/** A CronError as the InvalidTriggerError naming `<path>.expression` or `<path>.timezone`; other errors as they are. */
function toTriggerError(path: string, error: unknown): unknown {
  return error instanceof CronError ? new InvalidTriggerError(error.message, { path: `${path}.${error.kind}`, cause: error }) : error;
}
