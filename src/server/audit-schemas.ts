/** Schemas of GET /audit: its query and its full answer (see core/audit.ts). */
import { AUDIT_ACTIONS } from '../core/audit.js';
import { policySchemaProperties } from '../core/policy-fields.js';
import { jobInfoSchema } from './response-schemas.js';

const p = jobInfoSchema.properties;

export const auditQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    jobId: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$', description: "Only this job's entries." },
    cursor: { type: 'string', pattern: '^[0-9]{1,15}$', description: 'The nextCursor of the previous page.' },
    limit: { type: 'string', pattern: '^[0-9]{1,7}$', description: '1-1000, default 50' },
  },
} as const;

/** A job as an entry shows it: its definition without args, and its pause. */
const policies = policySchemaProperties(p);

const auditJobSchema = {
  type: ['object', 'null'],
  additionalProperties: false,
  // The policy fields are not required: an entry written before an option existed does not have it.
  required: ['id', 'name', 'trigger', 'paused'],
  properties: {
    id: p.id,
    name: p.name,
    task: p.task,
    trigger: { type: 'object', required: ['type'], additionalProperties: true, properties: { type: { type: 'string' } } },
    paused: p.paused,
    ...policies.properties,
    exclude: p.exclude,
    run: {
      type: 'object',
      additionalProperties: false,
      description: 'job.run only, when the manual run was given them: its note, and its own args with their secrets redacted.',
      properties: { args: { description: 'Any JSON value; secret fields, header values and URL userinfo are [redacted].' }, note: { type: 'string' } },
    },
    backfill: {
      type: 'object',
      additionalProperties: false,
      required: ['from', 'to', 'only', 'fires'],
      description: 'Only in a job.backfilled entry: the range, the outcomes asked for, and how many fires were re-run.',
      properties: {
        from: { type: 'string', format: 'date-time' },
        to: { type: 'string', format: 'date-time' },
        only: { type: 'array', items: { type: 'string' } },
        fires: { type: 'integer', minimum: 1 },
      },
    },
  },
} as const;

const actorSchema = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['role', 'via'],
      description: 'An API caller (never its key).',
      properties: { role: { type: 'string', enum: ['admin', 'monitor'] }, via: { type: 'string', enum: ['key', 'loopback'] }, keyIndex: { type: 'integer' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['by'],
      description: 'The library, the config reconcile, or the scheduler itself (an automatic change).',
      properties: { by: { type: 'string', enum: ['library', 'config', 'scheduler'] } },
    },
  ],
} as const;

export const auditPageSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['items', 'nextCursor'],
  properties: {
    items: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['at', 'actor', 'action', 'jobId', 'before', 'after'],
        properties: {
          at: { type: 'string', format: 'date-time' },
          actor: actorSchema,
          action: { type: 'string', enum: [...AUDIT_ACTIONS] },
          jobId: { type: ['string', 'null'] },
          before: auditJobSchema,
          after: auditJobSchema,
        },
      },
    },
    nextCursor: { type: ['string', 'null'], description: 'Pass as `cursor` for the next (older) page; null on the last page.' },
  },
} as const;
