/**
 * JSON schemas of the HTTP API, declared once: Fastify validates requests with them (unknown fields and
 * wrong types are a 400, never coerced) and @fastify/swagger publishes them at /docs. Triggers are
 * validated by the scheduler itself, which names the field and the allowed values.
 */
const jobId = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' } as const;
const seconds = { type: 'number', minimum: 0, maximum: 1e9 } as const;

const localDate = { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'A local date, YYYY-MM-DD.' } as const;
const calendarName = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' } as const;

/** A job's (or a preview's) exclusions. */
const excludeField = {
  type: ['object', 'null'],
  additionalProperties: false,
  description:
    "Fires not run (recorded excluded): local dates of named calendars, the job's own dates (in its zone), one-off skips (set by POST /jobs/:id/skip). null: none.",
  properties: {
    calendars: { type: 'array', maxItems: 1000, items: calendarName },
    dates: { type: 'array', maxItems: 1000, items: localDate },
    skip: { type: 'array', maxItems: 1000, items: { type: 'string', maxLength: 40 }, description: 'Fire times to skip once, ISO 8601.' },
    timezone: { type: 'string', minLength: 1, maxLength: 64, description: "The zone of dates; default: the job's." },
  },
} as const;

/** Policies and fields shared by POST /jobs and PATCH /jobs/:id. */
const jobFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  task: { type: 'string', minLength: 1, maxLength: 200 },
  args: { description: 'Any JSON value, passed to the task as ctx.args. Shown to admin keys only.' },
  trigger: {
    type: 'object',
    description:
      '{ type: "interval", seconds, startDate?, endDate? } | { type: "cron", expression, timezone?, startDate?, endDate? } | { type: "date", runAt }' +
      ' | { type: "calendarInterval", years?, months?, weeks?, days?, hour?, minute?, second?, timezone, startDate?, endDate? }' +
      ' | { type: "or" | "and", triggers: [trigger, ...] } (nestable)',
  },
  coalesce: { type: 'boolean' },
  maxInstances: { type: 'integer', minimum: 1, maximum: 10000 },
  misfireGraceTime: { type: ['number', 'null'], minimum: 0, maximum: 1e9 },
  paused: { type: 'boolean' },
  jitterSeconds: seconds,
  timeoutSeconds: { type: ['number', 'null'], minimum: 0.001, maximum: 1e9 },
  retries: {
    type: ['object', 'null'],
    additionalProperties: false,
    required: ['max'],
    properties: { max: { type: 'integer', minimum: 1, maximum: 100 }, backoffSeconds: seconds },
  },
  retryLost: {
    type: 'boolean',
    description: 'Retry (by retries) also a run recorded lost: its node stopped heartbeating, so it may have done its work. Default false.',
  },
  expectSuccessWithinSeconds: {
    type: ['number', 'null'],
    minimum: 1,
    maximum: 1e9,
    description: 'Health: the job is overdue when it has not succeeded for this many seconds. Default null (no such rule).',
  },
  overdueAfterMissedFires: {
    type: 'integer',
    minimum: 1,
    maximum: 1000000,
    description: 'Health: the job is overdue after this many fires in a row that did not start (missed, skipped, lost). Default 10.',
  },
  maxRuns: {
    type: ['integer', 'null'],
    minimum: 1,
    maximum: 1_000_000_000,
    description: 'Fires that may start in all (retries and manual runs do not count); after the last the job is removed. Default null: no limit.',
  },
  pauseAfterFailures: {
    type: ['integer', 'null'],
    minimum: 1,
    maximum: 1000000,
    description: 'Pause the job (by the scheduler, with a note) after this many consecutive failed fires. Default null (never).',
  },
  timezone: { type: 'string', minLength: 1, maxLength: 64 },
  exclude: excludeField,
} as const;

/** POST /jobs/:id/pause and /scheduler/pause: optional; the scheduler checks `until` (future) and `note`. */
export const pauseBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    until: { type: 'string', description: 'ISO 8601 with a zone: when the pause lifts itself. Absent: until resumed.' },
    note: { type: 'string', description: 'Why: 1-500 characters, no control characters.' },
  },
} as const;

/** POST /jobs/:id/run: optional. */
export const runNowBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    args: {
      description:
        "This run's args instead of the job's (any JSON value, checked against the task's argsSchema: 400 naming the field); the job's own args are not changed.",
    },
    note: { type: 'string', description: 'Why: 1-500 characters, no control characters. Kept on the run and in the audit entry.' },
  },
} as const;

/** POST /jobs/:id/resume: optional. */
export const resumeBody = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    catchUp: {
      type: 'string',
      enum: ['none', 'latest', 'all'],
      description: 'The fires that fell in the pause: none run (default), the latest if within grace, or each (at most maxCatchUp).',
    },
  },
} as const;

export const createJobBody = {
  type: 'object',
  additionalProperties: false,
  required: ['task', 'trigger'],
  properties: { id: jobId, replaceExisting: { type: 'boolean' }, ...jobFields },
} as const;

export const patchJobBody = {
  type: 'object',
  additionalProperties: false,
  properties: jobFields,
} as const;

export const jobParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: jobId },
} as const;

const NO_CONTROL_CHARS = '^[^\\u0000-\\u001f\\u007f]*$';

const limit = { type: 'string', pattern: '^[0-9]{1,7}$', description: '1-1000, default 50' } as const;

export const listJobsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit,
    cursor: { type: 'string', maxLength: 600, pattern: NO_CONTROL_CHARS },
    // No control characters: PostgreSQL refuses a NUL in text, and none belongs in a search.
    q: { type: 'string', maxLength: 200, pattern: NO_CONTROL_CHARS },
    state: { type: 'string', enum: ['active', 'paused', 'failing'] },
    health: {
      type: 'string',
      maxLength: 100,
      pattern: '^(ok|failing|overdue|paused|pending)(,(ok|failing|overdue|paused|pending))*$',
      description: 'Only jobs in these health states, comma-separated: ok, failing, overdue, paused, pending.',
    },
    sort: { type: 'string', enum: ['id', 'nextRunTime', 'lastRun'] },
  },
} as const;

export const listRunsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit,
    cursor: { type: 'string', maxLength: 100, description: 'nextCursor of the previous page' },
  },
} as const;

export const previewBody = {
  type: 'object',
  additionalProperties: false,
  required: ['trigger'],
  properties: {
    trigger: jobFields.trigger,
    count: { type: 'integer', minimum: 1, maximum: 1000 },
    from: { type: 'string', maxLength: 40 },
    jobId: { ...jobId, description: "The job id a cron expression's H is hashed from (needed only with H)" },
    exclude: { ...excludeField, description: 'Exclusions as a job takes them: each fire they rule out is marked `excluded`.' },
  },
} as const;

export const skipBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scheduledAt'],
  properties: { scheduledAt: { type: 'string', maxLength: 40, description: 'A future fire time of the job, ISO 8601.' } },
} as const;

export const calendarParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: calendarName },
} as const;

export const calendarBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    dates: { type: 'array', maxItems: 10000, items: localDate },
    ranges: {
      type: 'array',
      maxItems: 10000,
      items: { type: 'object', additionalProperties: false, required: ['from', 'to'], properties: { from: localDate, to: localDate } },
      description: 'Inclusive ranges of local dates.',
    },
    timezone: { type: 'string', minLength: 1, maxLength: 64, description: "The zone the dates are read in; default: the scheduler's." },
  },
} as const;

export const explainQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['at'],
  properties: {
    at: { type: 'string', maxLength: 40, description: 'The instant asked about: ISO 8601 with "Z" or an offset, e.g. 2026-03-29T02:30:00+01:00.' },
  },
} as const;
