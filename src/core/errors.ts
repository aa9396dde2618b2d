/**
 * Every error Tickwork throws on purpose, declared once with a stable `code` and the HTTP status the API
 * layer answers with. Messages name the field or id involved, what was expected, and how to fix it.
 */
import type { RunErrorCode } from './run-errors.js';

/** One problem with one field of an input, as reported in `details`. */
export interface ErrorDetail {
  /** Where the problem is, e.g. `options.maxInstances` or `trigger.expression`. */
  path: string;
  message: string;
}

/** The stable codes of {@link TickworkError}, with the HTTP status each maps to. */
export const ERROR_STATUS = {
  INVALID_ARGUMENT: 400,
  INVALID_TRIGGER: 400,
  BACKFILL_TOO_LARGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  JOB_NOT_FOUND: 404,
  NOTIFICATION_TARGET_NOT_FOUND: 404,
  CALENDAR_NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  CONFLICTING_ID: 409,
  CALENDAR_IN_USE: 409,
  MAX_INSTANCES_REACHED: 409,
  JOB_PAUSED: 409,
  FIRE_CLAIMED: 409,
  SCHEDULER_ALREADY_RUNNING: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TASK_NOT_REGISTERED: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  SCHEDULER_NOT_RUNNING: 503,
  STORE_UNAVAILABLE: 503,
  STORE_LOCKED: 503,
  TOO_MANY_STREAMS: 503,
  SHUTTING_DOWN: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** Base class: `code` is stable across versions, `status` is the HTTP status for the API layer. */
export class TickworkError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: ErrorDetail[] }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options?.details;
  }

  /** The JSON body the HTTP API sends: `{ code, message, details? }`. */
  toJSON(): { code: ErrorCode; message: string; details?: ErrorDetail[] } {
    return this.details === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, details: this.details };
  }
}

/** A method argument or option is missing, of the wrong type or out of range. */
export class InvalidArgumentError extends TickworkError {
  constructor(message: string, details?: ErrorDetail[]) {
    super('INVALID_ARGUMENT', message, details === undefined ? undefined : { details });
  }

  /** One field is wrong: the message and the single detail say the same thing. */
  static field(path: string, message: string): InvalidArgumentError {
    return new InvalidArgumentError(`${path}: ${message}`, [{ path, message }]);
  }
}

/** A trigger spec or cron expression cannot be used. */
export class InvalidTriggerError extends TickworkError {
  constructor(message: string, options?: { cause?: unknown; path?: string }) {
    super('INVALID_TRIGGER', message, {
      cause: options?.cause,
      details: [{ path: options?.path ?? 'trigger', message }],
    });
  }
}

export class JobNotFoundError extends TickworkError {
  readonly jobId: string;
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `No job with id "${jobId}" exists; list jobs with getJobs() to see the ids.`);
    this.jobId = jobId;
  }
}

/** No notification target with that id. */
export class NotificationTargetNotFoundError extends TickworkError {
  readonly targetId: string;
  constructor(targetId: string) {
    super('NOTIFICATION_TARGET_NOT_FOUND', `No notification target with id "${targetId}" exists; list them with GET /api/v1/notifications/targets.`);
    this.targetId = targetId;
  }
}

/** No exclusion calendar with that name. */
export class CalendarNotFoundError extends TickworkError {
  readonly calendar: string;
  constructor(name: string) {
    super('CALENDAR_NOT_FOUND', `No calendar named "${name}" exists; list them with getCalendars() or GET /api/v1/calendars.`);
    this.calendar = name;
  }
}

/** A calendar that jobs name cannot be removed: they would silently stop excluding its dates. */
export class CalendarInUseError extends TickworkError {
  readonly calendar: string;
  constructor(name: string, jobIds: readonly string[]) {
    const shown =
      jobIds
        .slice(0, 5)
        .map((id) => `"${id}"`)
        .join(', ') + (jobIds.length > 5 ? ` and ${jobIds.length - 5} more` : '');
    super('CALENDAR_IN_USE', `Calendar "${name}" is named by job(s) ${shown} in exclude.calendars; change or remove those jobs first, then remove it.`);
    this.calendar = name;
  }
}

export class ConflictingIdError extends TickworkError {
  readonly jobId: string;
  constructor(jobId: string) {
    super('CONFLICTING_ID', `A job with id "${jobId}" already exists; pass replaceExisting: true to replace it, or choose another id.`);
    this.jobId = jobId;
  }
}

export class MaxInstancesReachedError extends TickworkError {
  readonly jobId: string;
  constructor(jobId: string, maxInstances: number) {
    super(
      'MAX_INSTANCES_REACHED',
      `Job "${jobId}" already has ${maxInstances} running instance(s), its maxInstances; wait for one to finish or raise maxInstances.`,
    );
    this.jobId = jobId;
  }
}

/** A backfill's range holds more fires to re-run than maxCatchUp: nothing is run; narrow the range. */
export class BackfillTooLargeError extends TickworkError {
  readonly jobId: string;
  /** `lastFitting`: the `to` that holds the first maxCatchUp fires (null: not known, a coalesced record stood for more). */
  constructor(jobId: string, maxCatchUp: number, lastFitting: number | null) {
    const fits =
      lastFitting === null
        ? ''
        : `: with to at ${new Date(lastFitting).toISOString()} it holds the first ${maxCatchUp}, then backfill the rest from the next instant`;
    super(
      'BACKFILL_TOO_LARGE',
      `The range holds more than maxCatchUp (${maxCatchUp}) fires of job "${jobId}" to re-run; nothing was run. Narrow the range${fits}.`,
      {
        details: [
          {
            path: 'to',
            message: `more than maxCatchUp (${maxCatchUp}) fires to re-run${lastFitting === null ? '' : `; at most ${new Date(lastFitting).toISOString()} fits`}`,
          },
        ],
      },
    );
    this.jobId = jobId;
  }
}

/** A paused job is not backfilled: its fires would run while it is meant not to. */
export class JobPausedError extends TickworkError {
  readonly jobId: string;
  constructor(jobId: string, action: string) {
    super('JOB_PAUSED', `Job "${jobId}" is paused: cannot ${action}; resume it first (a dry run answers all the same).`);
    this.jobId = jobId;
  }
}

/** Another node, or another backfill, has claimed one of the fires a backfill would run: nothing was run. */
export class FireClaimedError extends TickworkError {
  readonly jobId: string;
  constructor(jobId: string) {
    super(
      'FIRE_CLAIMED',
      `Another node or another backfill has claimed some of these fires of job "${jobId}" already; nothing was run here. Ask a dry run again to see what is left to re-run.`,
    );
    this.jobId = jobId;
  }
}

export class TaskNotRegisteredError extends TickworkError {
  readonly task: string;
  constructor(task: string, message?: string) {
    super(
      'TASK_NOT_REGISTERED',
      message ?? `No task named "${task}" is registered; call scheduler.registerTask("${task}", func) before adding or running the job.`,
    );
    this.task = task;
  }
}

export class SchedulerNotRunningError extends TickworkError {
  constructor(action: string) {
    super('SCHEDULER_NOT_RUNNING', `Cannot ${action}: the scheduler is not running; call start() first.`);
  }
}

export class SchedulerAlreadyRunningError extends TickworkError {
  constructor() {
    super('SCHEDULER_ALREADY_RUNNING', 'The scheduler is already running; call shutdown() before starting it again.');
  }
}

export class StoreUnavailableError extends TickworkError {
  constructor(message: string, cause?: unknown) {
    super('STORE_UNAVAILABLE', message, { cause });
  }
}

/** The store's file is held by another process (or another store in this one): one process per file. */
export class StoreLockedError extends TickworkError {
  readonly path: string;
  constructor(path: string, message: string, cause?: unknown) {
    super('STORE_LOCKED', message, { cause });
    this.path = path;
  }
}

/** An HTTP-layer failure: authentication, authorization, body size or type, rate limits, stream limits, unknown routes. */
export class HttpError extends TickworkError {
  constructor(
    code:
      | 'UNAUTHORIZED'
      | 'FORBIDDEN'
      | 'PAYLOAD_TOO_LARGE'
      | 'UNSUPPORTED_MEDIA_TYPE'
      | 'RATE_LIMITED'
      | 'TOO_MANY_STREAMS'
      | 'SHUTTING_DOWN'
      | 'ROUTE_NOT_FOUND'
      | 'INTERNAL',
    message: string,
  ) {
    super(code, message);
  }
}

/** The error a run records when its `timeoutSeconds` elapsed. */
export class JobTimeoutError extends Error {
  readonly code = 'TIMED_OUT' satisfies RunErrorCode;
  constructor(jobId: string, timeoutSeconds: number) {
    super(`Job "${jobId}" ran longer than its timeoutSeconds (${timeoutSeconds} s); its signal was aborted.`);
    this.name = 'JobTimeoutError';
  }
}

/** The error a run records when `cancelRun` or `shutdown` aborted it. */
/** overlap 'replace': the run was cancelled to make room for a newer fire of its job (outcome cancelled). */
export class JobReplacedError extends Error {
  readonly code = 'REPLACED' satisfies RunErrorCode;
  constructor(jobId: string, replacedBy: number) {
    super(`Run of job "${jobId}" was cancelled: replaced by its fire of ${new Date(replacedBy).toISOString()} (overlap: 'replace').`);
    this.name = 'JobReplacedError';
  }
}

export class JobCancelledError extends Error {
  readonly code = 'CANCELLED' satisfies RunErrorCode;
  constructor(jobId: string, reason: string) {
    super(`Run of job "${jobId}" was cancelled: ${reason}.`);
    this.name = 'JobCancelledError';
  }
}
