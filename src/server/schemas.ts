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
