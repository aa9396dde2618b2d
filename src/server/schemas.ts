/**
 * JSON schemas of the HTTP API, declared once: Fastify validates requests with them (unknown fields and
 * wrong types are a 400, never coerced) and @fastify/swagger publishes them at /docs. Triggers are
 * validated by the scheduler itself, which names the field and the allowed values.
 */
const jobId = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' } as const;
const seconds = { type: 'number', minimum: 0, maximum: 1e9 } as const;

/** Policies and fields shared by POST /jobs and PATCH /jobs/:id. */
const jobFields = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  task: { type: 'string', minLength: 1, maxLength: 200 },
  args: { description: 'Any JSON value, passed to the task as ctx.args. Shown to admin keys only.' },
  trigger: {
    type: 'object',
    description:
      '{ type: "interval", seconds, startDate?, endDate? } | { type: "cron", expression, timezone?, startDate?, endDate? } | { type: "date", runAt }',
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
  timezone: { type: 'string', minLength: 1, maxLength: 64 },
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
  },
} as const;

export const errorResponse = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
} as const;

const nullableNumber = { type: ['number', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

/** The Run shape (responses): declared so that fast-json-stringify serializes it and /docs shows it. */
export const runSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    jobId: { type: 'string' },
    scheduledAt: dateTime,
    attempt: { type: 'integer' },
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    outcome: { type: 'string', enum: ['running', 'succeeded', 'failed', 'missed', 'skipped', 'lost', 'timed_out', 'cancelled'] },
    latenessMs: nullableNumber,
    durationMs: nullableNumber,
    error: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    output: { type: 'string' },
    coalesced: { type: 'integer' },
    lastScheduledAt: dateTime,
    node: { type: 'string' },
    traceId: { type: 'string', description: "The trace id of the run's OpenTelemetry span (tickwork.run), when the run was traced." },
  },
} as const;

/** The JobInfo shape (responses). `args` is any JSON and only present for admin keys. */
export const jobInfoSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    task: { type: 'string' },
    args: {},
    trigger: {
      type: 'object',
      properties: {
        type: { type: 'string', enum: ['interval', 'cron', 'date'] },
        seconds: { type: 'number' },
        expression: { type: 'string' },
        timezone: { type: 'string' },
        startDate: { type: 'string' },
        endDate: { type: 'string' },
        runAt: { type: 'string' },
        description: { type: 'string' },
      },
    },
    timezone: { type: 'string' },
    nextRunTime: nullableDateTime,
    paused: { type: 'boolean' },
    coalesce: { type: 'boolean' },
    maxInstances: { type: 'integer' },
    misfireGraceTime: nullableNumber,
    jitterSeconds: { type: 'number' },
    timeoutSeconds: nullableNumber,
    retries: { type: ['object', 'null'], properties: { max: { type: 'integer' }, backoffSeconds: { type: 'number' } } },
    retryLost: { type: 'boolean' },
    runningInstances: { type: 'integer' },
    status: { type: 'string', enum: ['ok', 'task_not_registered', 'load_error'] },
    statusReason: { type: 'string', description: 'Why the stored job cannot be loaded, when status is load_error.' },
    lastRun: runSchema,
  },
} as const;

export const jobPageSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: jobInfoSchema }, nextCursor: { type: ['string', 'null'] } },
} as const;

export const runPageSchema = {
  type: 'object',
  properties: { items: { type: 'array', items: runSchema }, nextCursor: { type: ['string', 'null'] } },
} as const;
