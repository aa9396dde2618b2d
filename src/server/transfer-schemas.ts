/**
 * Schemas of GET /export and POST /import (job definitions as data): the request body Fastify validates
 * (each definition is then checked by the scheduler, which names the field) and the full answers.
 */
import { jobInfoSchema } from './response-schemas.js';

const p = jobInfoSchema.properties;

/** One exported definition (see scheduler/definitions.ts): no runtime state, no owner. */
const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: [
    'id',
    'name',
    'trigger',
    'coalesce',
    'maxInstances',
    'overlap',
    'misfireGraceTime',
    'jitterSeconds',
    'timeoutSeconds',
    'retries',
    'retryLost',
    'expectSuccessWithinSeconds',
    'overdueAfterMissedFires',
    'maxRuns',
    'pauseAfterFailures',
  ],
  properties: {
    id: p.id,
    name: p.name,
    task: { type: 'string', description: 'The registered task; absent for a library closure (see note).' },
    args: p.args,
    trigger: {
      type: 'object',
      required: ['type'],
      additionalProperties: true,
      description: 'The resolved trigger spec (dates as ISO strings, the cron zone resolved), as POST /jobs takes it.',
      properties: { type: { type: 'string', enum: ['interval', 'cron', 'date', 'calendarInterval', 'or', 'and'] } },
    },
    coalesce: p.coalesce,
    maxInstances: p.maxInstances,
    overlap: p.overlap,
    misfireGraceTime: p.misfireGraceTime,
    jitterSeconds: p.jitterSeconds,
    timeoutSeconds: p.timeoutSeconds,
    retries: p.retries,
    retryLost: p.retryLost,
    expectSuccessWithinSeconds: p.expectSuccessWithinSeconds,
    overdueAfterMissedFires: p.overdueAfterMissedFires,
    maxRuns: p.maxRuns,
    pauseAfterFailures: p.pauseAfterFailures,
    note: { type: 'string', description: 'Set on a library closure (no task): exported for reference, not importable.' },
  },
} as const;

export const exportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['jobs'],
  properties: { jobs: { type: 'array', items: definitionSchema } },
} as const;

export const importBody = {
  type: 'object',
  additionalProperties: false,
  required: ['jobs'],
  properties: {
    jobs: {
      type: 'array',
      maxItems: 10000,
      items: { type: 'object' },
      description: 'Job definitions as GET /export writes them; each is checked as POST /jobs checks a job (errors name jobs[i].field).',
    },
    prune: { type: 'boolean', description: 'Also remove the jobs created through the API (owner api) that jobs no longer lists. Default false.' },
    dryRun: { type: 'boolean', description: 'Answer what would change; change nothing. Default false.' },
  },
} as const;

const ids = { type: 'array', items: { type: 'string' } } as const;

export const importResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['created', 'updated', 'unchanged', 'removed'],
  properties: { created: ids, updated: ids, unchanged: ids, removed: ids },
} as const;
