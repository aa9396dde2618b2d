/** Schemas of POST /jobs/batch: many jobs created in one request, answered per item (see routes/job-batch.ts). */
import { MAX_ADD_JOBS } from '../scheduler/add-jobs.js';
import { errorSchema, jobInfoSchema } from './response-schemas.js';

/**
 * The items are any objects here: each is validated against POST /jobs's body schema on its own, so an
 * invalid item fails alone (400 in its result) instead of failing the whole request.
 */
export const createJobsBody = {
  type: 'object',
  additionalProperties: false,
  required: ['jobs'],
  properties: {
    jobs: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_ADD_JOBS,
      description: `1 to ${MAX_ADD_JOBS} jobs, each a POST /jobs body ({ id?, task, trigger, ...options }), validated on its own: an invalid item fails alone with status 400 in its result.`,
      items: { type: 'object' },
    },
  },
} as const;

const batchItemSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['index', 'status'],
  properties: {
    index: { type: 'integer', minimum: 0, description: "The item's position in the request's jobs." },
    status: {
      type: 'integer',
      description:
        'The status POST /jobs would have answered for this item alone: 201 created, 400 invalid, 409 id taken (or given earlier in the batch), 422 unknown task, 503 store unavailable.',
    },
    job: { ...jobInfoSchema, description: 'The created job (status 201).' },
    error: { ...errorSchema.properties.error, description: "The item's error, as POST /jobs would have answered it (any other status)." },
  },
} as const;

export const batchResultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['results', 'created', 'failed'],
  properties: {
    results: { type: 'array', items: batchItemSchema, description: 'One per item, in request order.' },
    created: { type: 'integer', minimum: 0, description: 'Items created (status 201).' },
    failed: { type: 'integer', minimum: 0, description: 'Items not created.' },
  },
} as const;
