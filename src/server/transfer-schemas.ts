/**
 * Schemas of GET /export and POST /import (job definitions as data): the request body Fastify validates
 * (each definition is then checked by the scheduler, which names the field) and the full answers.
 */
import { policySchemaProperties } from '../core/policy-fields.js';
import { jobInfoSchema } from './response-schemas.js';

const p = jobInfoSchema.properties;

/** One exported definition (see scheduler/definitions.ts): no runtime state, no owner. */
const policies = policySchemaProperties(p);

const definitionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'trigger', ...policies.required],
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
    ...policies.properties,
    exclude: {
      type: 'object',
      additionalProperties: false,
      required: ['calendars', 'dates', 'timezone'],
      description: "The job's exclusions (one-off skips are not part of a definition; an import keeps the job's).",
      properties: { calendars: p.exclude.properties.calendars, dates: p.exclude.properties.dates, timezone: p.exclude.properties.timezone },
    },
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
