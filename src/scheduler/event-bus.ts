/**
 * The emitter of the scheduler's events: it calls listeners and writes each event as a structured JSON
 * log line (`{"event":"job_executed",...}`) at the event's level.
 */
import type { Logger, LogLevel } from '../core/logger.js';
import { EVENT_NAMES, type Listener, type SchedulerEventMap, type SchedulerEventName } from '../core/events.js';

/** The log level of each event's JSON line. */
const EVENT_LEVEL: Record<SchedulerEventName, LogLevel> = {
  scheduler_started: 'info',
  scheduler_stopped: 'info',
  scheduler_paused: 'info',
  scheduler_resumed: 'info',
  job_added: 'info',
  job_modified: 'info',
  job_removed: 'info',
  job_submitted: 'debug',
  job_executed: 'info',
  job_error: 'error',
  job_missed: 'warn',
  job_max_instances: 'warn',
  job_timed_out: 'warn',
  job_cancelled: 'info',
  job_lost: 'warn',
  job_retry_scheduled: 'info',
  job_load_error: 'error',
  job_excluded: 'info',
};

const EVENT_MESSAGE: Record<SchedulerEventName, string> = {
  scheduler_started: 'scheduler started',
  scheduler_stopped: 'scheduler stopped',
  scheduler_paused: 'scheduler paused',
  scheduler_resumed: 'scheduler resumed',
  job_added: 'job added',
  job_modified: 'job modified',
  job_removed: 'job removed',
  job_submitted: 'job submitted',
  job_executed: 'job executed',
  job_error: 'job failed',
  job_missed: 'job run missed: later than its misfireGraceTime',
  job_max_instances: 'job run skipped: maxInstances reached',
  job_timed_out: 'job run timed out',
  job_cancelled: 'job run cancelled',
  job_lost: 'job run lost',
  job_retry_scheduled: 'job retry scheduled',
  job_load_error: 'stored job cannot be loaded',
  job_excluded: 'job fire excluded: not run (an exclusion calendar, date or skip)',
};

/**
 * Emits typed events to listeners and to the logger. A listener that throws or rejects is logged and
 * otherwise ignored: it must never break the scheduler loop.
 */
export class EventBus {
  private readonly listeners = new Map<SchedulerEventName, Set<Listener<never>>>();
  private readonly enabled: Record<LogLevel, boolean> = { debug: true, info: true, warn: true, error: true };
  /** Between beginPass and endPass: the table above answers isLevelEnabled. */
  private inPass = false;
  /** Outside passes: pino's `levelVal` the table was made for (NaN: none yet). */
  private tableLevelVal = Number.NaN;
  /** During a pass: 1 for each event (by EVENT_ID) that a listener or the log would see. */
  private readonly passWants = new Uint8Array(EVENT_NAMES.length);

  constructor(private readonly logger: Logger) {}

  on<K extends SchedulerEventName>(name: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(name);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    if (this.inPass) this.fillPassWants(); // a job may listen from inside a pass
    return () => this.off(name, listener);
  }

  off<K extends SchedulerEventName>(name: K, listener: Listener<K>): void {
    const set = this.listeners.get(name);
    if (set === undefined) return;
    set.delete(listener as Listener<never>);
    if (set.size === 0) this.listeners.delete(name);
    if (this.inPass) this.fillPassWants();
  }

  /**
   * Whether anybody would see this event: a listener, or a logger with its level enabled. The hot path asks
   * first so that a payload (ISO strings, objects) is only built when it will be used.
   */
  wants(name: SchedulerEventName): boolean {
    return (this.listeners.size !== 0 && this.listeners.has(name)) || this.levelEnabled(EVENT_LEVEL[name]);
  }

  /** wants(), by EVENT_ID: in a pass, a read of the table made at its start. */
  wantsAt(id: number): boolean {
    return this.inPass ? this.passWants[id] === 1 : this.wants(EVENT_NAMES[id] as SchedulerEventName);
  }

  /**
   * During a loop pass, isLevelEnabled is answered from a table made at the start of the pass: asking
   * pino (two getters and a lookup) cost more than the rest of the check, and a pass asks two or three
   * times per fire. A level changed meanwhile (a job may change it) counts from the next pass. Outside
   * passes the table is kept while pino's `levelVal` stays the same. (Listening for pino's level-change was
   * tried: a child logger never hears its parent's change, and every scheduler left a listener on a shared
   * logger.)
   */
  beginPass(): void {
    this.fillTable(Number.NaN); // made for the pass, not for a level value
    this.fillPassWants();
    this.inPass = true;
  }

  endPass(): void {
    this.inPass = false;
  }

  private levelEnabled(level: LogLevel): boolean {
    if (this.inPass) return this.enabled[level];
    // Outside passes (adds, removals, async settles): pino's effective numeric level, read through the
    // prototype chain, so a child follows its parent. A logger without one is asked every time.
    const current = (this.logger as { levelVal?: unknown }).levelVal;
    if (typeof current !== 'number') return isLevelEnabled(this.logger, level);
    if (current !== this.tableLevelVal) this.fillTable(current);
    return this.enabled[level];
  }

  private fillTable(levelVal: number): void {
    for (const l of LOG_LEVELS) this.enabled[l] = isLevelEnabled(this.logger, l);
    this.tableLevelVal = levelVal;
  }

  private fillPassWants(): void {
    for (let id = 0; id < EVENT_NAMES.length; id++) {
      const name = EVENT_NAMES[id] as SchedulerEventName;
      this.passWants[id] = this.listeners.has(name) || this.enabled[EVENT_LEVEL[name]] ? 1 : 0;
    }
  }

  emit<K extends SchedulerEventName>(name: K, payload: SchedulerEventMap[K], extraLog?: Record<string, unknown>): void {
    const level = EVENT_LEVEL[name];
    if (this.levelEnabled(level)) {
      this.logger[level]({ event: name, ...payload, ...extraLog }, EVENT_MESSAGE[name]);
    }
    const set = this.listeners.get(name);
    if (set === undefined) return;
    for (const listener of set) {
      try {
        const result = (listener as Listener<K>)(payload, name);
        if (isPromiseLike(result)) {
          result.then(undefined, (error: unknown) => this.listenerFailed(name, error));
        }
      } catch (error) {
        this.listenerFailed(name, error);
      }
    }
  }

  private listenerFailed(name: SchedulerEventName, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.logger.error(
      { event: 'listener_error', listenerOf: name, error: { message: err.message, stack: err.stack } },
      `a listener of ${name} threw; the scheduler goes on`,
    );
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** pino's value of each level Tickwork logs at. */
const LEVEL_VALUE: Readonly<Record<LogLevel, number>> = { debug: 20, info: 30, warn: 40, error: 50 };

/** pino's level values by name (a logger's `level` may be a name or a value); `silent` is above all. */
const PINO_LEVEL_VALUES: Readonly<Record<string, number>> = { trace: 10, ...LEVEL_VALUE, fatal: 60, silent: Number.POSITIVE_INFINITY };

/**
 * Asks the logger's isLevelEnabled; a logger without one (many pino-compatible wrappers) is judged by its
 * pino-style `level` (a name or a value), or else taken to write every level. Without the `level` fallback
 * every `info` payload of every fire was built and then dropped by a wrapper at `warn`.
 */
function isLevelEnabled(logger: Logger, level: LogLevel): boolean {
  if (logger.isLevelEnabled !== undefined) return logger.isLevelEnabled(level);
  const own = (logger as { level?: unknown }).level;
  const threshold = typeof own === 'number' ? own : typeof own === 'string' ? PINO_LEVEL_VALUES[own] : undefined;
  return threshold === undefined || Number.isNaN(threshold) || LEVEL_VALUE[level] >= threshold;
}

export function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
