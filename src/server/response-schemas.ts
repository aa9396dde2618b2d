/**
 * JSON schemas of the API's answers, as /docs/json publishes them. Fastify serializes a route's answer
 * with fast-json-stringify from these, which drops any field a schema does not declare: a field added
 * to JobInfo, Run or an answer must be added here too (test/server/conformance.ts fails on a dropped
 * field). Closed shapes say `additionalProperties: false`; `args` stays any JSON.
 */
import { ERROR_STATUS } from '../core/errors.js';
import { RUN_TRIGGERS } from '../core/run.js';

const nullableNumber = { type: ['number', 'null'] } as const;
/** Date.toISOString: UTC with milliseconds; a year past 9999 (a far preview) is written `+010315-...`. */
const DATE_NOTE = 'ISO 8601 UTC with milliseconds; a year past 9999 is written with a sign and six digits (+010315-11-21T17:46:40.000Z).';
const dateTime = { type: 'string', format: 'date-time', description: DATE_NOTE } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time', description: DATE_NOTE } as const;

/** `{ error: { code, message, details? } }`: every error answer of the API, whatever its status. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  additionalProperties: false,
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      additionalProperties: false,
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', enum: Object.keys(ERROR_STATUS), description: 'Stable across versions: branch on it, not on the message.' },
        message: { type: 'string', description: 'What was wrong and how to fix it.' },
        details: {
          type: 'array',
          description: 'One entry per wrong field, e.g. { path: "body.args.url", message: "..." }.',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

/** Who made a change: an API caller (its role, how it was admitted, its key's index), the library, the config reconcile or the scheduler (core/actor.ts). */
const actorSchema = {
  anyOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['role', 'via'],
      properties: {
        role: { type: 'string', enum: ['admin', 'monitor'] },
        via: { type: 'string', enum: ['key', 'loopback'] },
        keyIndex: { type: 'integer', minimum: 0, description: "The key's index in its list (absent in loopback mode)." },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['by'],
      properties: { by: { type: 'string', enum: ['library', 'config', 'scheduler'] } },
    },
  ],
} as const;

/** The Run shape: one attempt of one fire. */
export const runSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'jobId', 'scheduledAt', 'attempt', 'startedAt', 'finishedAt', 'outcome', 'latenessMs', 'durationMs', 'error', 'trigger', 'actor'],
  properties: {
    id: { type: 'string', description: '<jobId>@<scheduledAt ISO>, with #<attempt> after the first attempt.' },
    jobId: { type: 'string' },
    scheduledAt: dateTime,
    attempt: { type: 'integer', minimum: 1 },
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    outcome: {
      type: 'string',
      enum: ['running', 'succeeded', 'failed', 'missed', 'skipped', 'lost', 'timed_out', 'cancelled', 'excluded', 'paused'],
      description:
        'excluded: a fire an exclusion ruled out. paused: one record for the fires a pause kept from running (coalesced of them, through lastScheduledAt).',
    },
    latenessMs: nullableNumber,
    durationMs: nullableNumber,
    error: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
    output: { type: 'string', description: 'The last 4096 characters the task returned or printed (admin keys only).' },
    coalesced: { type: 'integer', description: 'How many due fires this run stood for (coalesce).' },
    lastScheduledAt: dateTime,
    node: { type: 'string' },
    traceId: { type: 'string', description: "The trace id of the run's OpenTelemetry span (tickwork.run), when the run was traced." },
    trigger: {
      type: 'string',
      enum: [...RUN_TRIGGERS],
      description: "What started the run (not the job's trigger, its schedule): schedule, manual (run now), retry (an attempt after the first) or backfill.",
    },
    actor: { ...actorSchema, description: 'Who started the run: the API caller of a manual run, the library, or the scheduler (schedule, retries).' },
    note: { type: 'string', description: "A manual run's note." },
  },
} as const;

const dateText = { type: 'string', description: 'ISO 8601 with Z or an offset.' } as const;

/** A resolved trigger as JobInfo shows it: every date an ISO string, the cron zone resolved. */
export const triggerInfoSchema = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'seconds', 'startDate', 'description'],
      properties: { type: { const: 'interval' }, seconds: { type: 'number' }, startDate: dateText, endDate: dateText, description: { type: 'string' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'expression', 'timezone', 'description'],
      properties: {
        type: { const: 'cron' },
        expression: { type: 'string' },
        timezone: { type: 'string' },
        startDate: dateText,
        endDate: dateText,
        description: { type: 'string' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'runAt', 'description'],
      properties: { type: { const: 'date' }, runAt: dateText, description: { type: 'string' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'hour', 'minute', 'second', 'timezone', 'startDate', 'description'],
      properties: {
        type: { const: 'calendarInterval' },
        years: { type: 'integer' },
        months: { type: 'integer' },
        weeks: { type: 'integer' },
        days: { type: 'integer' },
        hour: { type: 'integer' },
        minute: { type: 'integer' },
        second: { type: 'integer' },
        timezone: { type: 'string' },
        startDate: { type: 'string', description: 'YYYY-MM-DD: the first fire day, in the zone.' },
        endDate: dateText,
        description: { type: 'string' },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['type', 'triggers', 'description'],
      properties: {
        type: { type: 'string', enum: ['or', 'and'] },
        // Each child is a resolved trigger spec (any of the above, without its description), nested up to 4 deep.
        triggers: { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'The resolved triggers of an "or" or "and".' },
        description: { type: 'string' },
      },
    },
  ],
} as const;

/** JobInfo.pause and the scheduler status' pause: who paused, since when, until when and why; null when not paused. */
export const pauseSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  required: ['since', 'until', 'note', 'by'],
  properties: {
    since: dateTime,
    until: { ...nullableDateTime, description: `When the pause lifts itself; null: until resumed. ${DATE_NOTE}` },
    note: { type: ['string', 'null'], description: 'Why, as the pauser wrote it (at most 500 characters).' },
    by: actorSchema,
  },
} as const;

/** The JobInfo shape. `args` is any JSON and only present for admin keys. */
export const jobInfoSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'name',
    'trigger',
    'nextRunTime',
    'paused',
    'pause',
    'coalesce',
    'maxInstances',
    'overlap',
    'waitingFire',
    'misfireGraceTime',
    'jitterSeconds',
    'timeoutSeconds',
    'retries',
    'retryLost',
    'expectSuccessWithinSeconds',
    'overdueAfterMissedFires',
    'maxRuns',
    'pauseAfterFailures',
    'runningInstances',
    'status',
    'health',
    'owner',
  ],
  properties: {
    id: { type: 'string' },
    owner: {
      type: 'string',
      enum: ['config', 'api', 'library'],
      description: 'Who created the job; an import or a config reconcile with prune removes only jobs its own kind owns.',
    },
    name: { type: 'string' },
    task: { type: 'string', description: 'The registered task the job runs (absent for a library closure).' },
    args: { description: 'Any JSON value, passed to the task as ctx.args. Shown to admin keys only.' },
    trigger: triggerInfoSchema,
    timezone: { type: 'string', description: 'The zone of a cron trigger.' },
    nextRunTime: nullableDateTime,
    paused: { type: 'boolean' },
    pause: pauseSchema,
    coalesce: { type: 'boolean' },
    maxInstances: { type: 'integer' },
    overlap: {
      type: 'string',
      enum: ['skip', 'queue', 'replace'],
      description: 'What a fire does when maxInstances runs are going: skip, queue (one waits) or replace (the oldest is cancelled).',
    },
    waitingFire: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['scheduledAt'],
      description: "overlap 'queue': the fire waiting for a free instance (its nominal time); null when none waits.",
      properties: { scheduledAt: dateTime },
    },
    misfireGraceTime: nullableNumber,
    jitterSeconds: { type: 'number' },
    timeoutSeconds: nullableNumber,
    retries: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['max', 'backoffSeconds'],
      properties: { max: { type: 'integer' }, backoffSeconds: { type: 'number' } },
    },
    retryLost: { type: 'boolean' },
    expectSuccessWithinSeconds: { ...nullableNumber, description: 'Health: overdue without a success for this many seconds (null: no such rule).' },
    overdueAfterMissedFires: { type: 'integer', description: 'Health: overdue after this many fires in a row that did not start.' },
    maxRuns: { type: ['integer', 'null'], description: 'Fires that may start in all; null: no limit.' },
    remainingRuns: { type: 'integer', description: 'With maxRuns: the fires that may still start.' },
    pauseAfterFailures: { type: ['integer', 'null'], description: 'Paused by the scheduler after this many consecutive failed fires; null: never.' },
    exclude: {
      type: 'object',
      additionalProperties: false,
      required: ['calendars', 'dates', 'timezone', 'skip'],
      description: 'Exclusions, when the job has any: fires they rule out are recorded excluded, not run.',
      properties: {
        calendars: { type: 'array', items: { type: 'string' } },
        dates: { type: 'array', items: { type: 'string' }, description: 'Local dates (YYYY-MM-DD) in timezone.' },
        timezone: { type: 'string' },
        skip: { type: 'array', items: dateTime, description: 'One-off skips still ahead.' },
      },
    },
    runningInstances: { type: 'integer' },
    status: { type: 'string', enum: ['ok', 'task_not_registered', 'load_error'] },
    statusReason: { type: 'string', description: 'Why the stored job cannot be loaded, when status is load_error.' },
    lastRun: runSchema,
    health: {
      type: 'object',
      additionalProperties: false,
      required: ['state', 'since', 'consecutiveFailures', 'lastSuccessAt', 'lastFailureAt', 'reason'],
      properties: {
        state: { type: 'string', enum: ['ok', 'failing', 'overdue', 'paused', 'pending'] },
        since: nullableDateTime,
        consecutiveFailures: { type: 'integer', minimum: 0 },
        lastSuccessAt: nullableDateTime,
        lastFailureAt: nullableDateTime,
        reason: { type: 'string' },
      },
    },
  },
} as const;

const cursor = { type: ['string', 'null'], description: 'Pass as `cursor` for the next page; null on the last page.' } as const;

export const jobPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: jobInfoSchema }, nextCursor: cursor },
} as const;

export const runPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: { items: { type: 'array', items: runSchema }, nextCursor: cursor },
} as const;

/** POST /jobs/:id/resume when the trigger has no further fire time: the job is gone. */
export const removedSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['removed', 'message'],
  properties: { removed: { const: true }, message: { type: 'string' } },
} as const;

export const cancelledSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['cancelled'],
  properties: {
    cancelled: {
      type: 'integer',
      minimum: 0,
      description: 'How many running runs of the job were told to stop (on PostgreSQL: on every node, running or claimed).',
    },
  },
} as const;

export const healthSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { const: 'ok' } },
} as const;

const readiness = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'scheduler', 'store'],
  properties: {
    status: { type: 'string', enum: ['ready', 'unavailable'] },
    scheduler: { type: 'string', enum: ['running', 'paused', 'stopped'] },
    store: { type: 'string', enum: ['ok', 'unavailable'] },
    error: { type: 'string', description: 'Why not ready: the store does not answer, or jobs are overdue.' },
    overdueJobs: {
      type: 'array',
      items: { type: 'string' },
      description: 'With ready.failOnOverdue: up to 10 overdue job ids (the answer is then 503).',
    },
  },
} as const;

export const readySchema = readiness;
/** GET /ready answers 503 with the readiness body, or with the error body when the request itself fails. */
export const notReadySchema = { anyOf: [readiness, { $ref: 'Error#' }] } as const;

export const whoamiSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['role', 'via'],
  properties: {
    role: { type: 'string', enum: ['admin', 'monitor'] },
    via: { type: 'string', enum: ['key', 'loopback'] },
    keyIndex: { type: 'integer', minimum: 0, description: "The key's index in its list (absent in loopback mode)." },
  },
} as const;

export const schedulerStatusSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['state', 'pause', 'jobs', 'runningRuns', 'timezone', 'maxConcurrentRuns'],
  properties: {
    state: { type: 'string', enum: ['stopped', 'running', 'paused', 'stopping'] },
    pause: { ...pauseSchema, description: "The whole scheduler's pause while its state is paused; null otherwise." },
    jobs: { type: 'integer', minimum: 0 },
    runningRuns: { type: 'integer', minimum: 0 },
    timezone: { type: 'string' },
    maxConcurrentRuns: { type: 'integer' },
  },
} as const;

export const taskListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string' },
          argsSchema: {
            type: 'object',
            additionalProperties: true,
            description: "The JSON Schema a job's args are checked against, when the task declares one.",
          },
        },
      },
    },
  },
} as const;

export const previewSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at'],
        properties: {
          at: dateTime,
          dst: { type: 'string', enum: ['shifted', 'repeated'], description: 'A DST rule moved this fire: out of a spring gap, or a second occurrence.' },
          excluded: { type: 'string', description: 'With exclude: why this fire would not run: "calendar <name>", "date" or "skip".' },
        },
      },
    },
  },
} as const;

/** An exclusion calendar. */
export const calendarSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'dates', 'ranges', 'timezone'],
  properties: {
    name: { type: 'string' },
    dates: { type: 'array', items: { type: 'string' }, description: 'Excluded local dates, YYYY-MM-DD.' },
    ranges: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: { type: 'string' }, to: { type: 'string' } } },
      description: 'Excluded inclusive ranges of local dates.',
    },
    timezone: { type: 'string' },
  },
} as const;

export const calendarListSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items'],
  properties: { items: { type: 'array', items: calendarSchema } },
} as const;

const fireTimeSchema = {
  type: ['object', 'null'],
  required: ['at'],
  properties: { at: dateTime, dst: { type: 'string', enum: ['shifted', 'repeated'] } },
} as const;

/** GET /jobs/:id/explain: the verdict on the fire nearest to `at` and what it rests on (src/core/explain.ts). */
export const explanationSchema = {
  type: 'object',
  required: ['verdict', 'scheduledAt', 'evidence'],
  properties: {
    verdict: { type: 'string', enum: ['ran', 'missed', 'skipped', 'coalesced', 'lost', 'paused', 'not_scheduled', 'pending', 'pruned', 'excluded'] },
    scheduledAt: { ...nullableDateTime, description: 'The fire explained; null when no fire of the trigger is near `at`.' },
    evidence: {
      type: 'object',
      required: ['reason', 'at', 'now', 'fireBefore', 'fireAfter'],
      properties: {
        reason: { type: 'string', description: 'The verdict in words.' },
        at: dateTime,
        now: dateTime,
        fireBefore: fireTimeSchema,
        fireAfter: fireTimeSchema,
        run: { ...runSchema, description: 'The record the verdict rests on (never with its output).' },
        attempts: { type: 'integer' },
        latenessMs: nullableNumber,
        misfireGraceSeconds: nullableNumber,
        maxInstances: { type: 'integer' },
        heldBy: { ...runSchema, type: ['object', 'null'], description: 'skipped: the run that held the slot (null: not in the kept history).' },
        fires: { type: 'integer', description: 'How many fires the record stands for.' },
        node: { type: ['string', 'null'] },
        lostAt: nullableDateTime,
        pause: {
          type: 'object',
          required: ['scope', 'since', 'by'],
          properties: { scope: { type: 'string', enum: ['job', 'scheduler'] }, since: nullableDateTime, by: { type: ['string', 'null'] } },
        },
        oldestKept: nullableDateTime,
      },
    },
  },
} as const;
