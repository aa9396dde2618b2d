/**
 * POST /jobs/batch: creates many jobs in one request (issue #22), each answered as POST /jobs would have
 * answered it alone. Admin keys only, as every POST. The answer comes once the created jobs are committed
 * (on PostgreSQL: one INSERT, one commit, one NOTIFY for the lot).
 */
import type { FastifyInstance } from 'fastify';
import type { ErrorCode, TickworkError } from '../../core/errors.js';
import { MAX_ADD_JOBS, type AddJobSpec } from '../../scheduler/service.js';
import type { JobInfo } from '../../scheduler/job-info.js';
import { toTickworkError, validationError } from '../api-error.js';
import { batchResultSchema, createJobsBody } from '../batch-schemas.js';
import { actorFor } from '../request.js';
import { createJobBody } from '../schemas.js';

/** One item's answer: its job (201), or its error body and the status that error has. */
interface BatchItem {
  index: number;
  status: number;
  job?: JobInfo;
  error?: { code: ErrorCode; message: string };
}

function failedItem(index: number, error: TickworkError): BatchItem {
  const mapped = toTickworkError(error);
  return { index, status: mapped.status, error: mapped.toJSON() };
}

export async function jobBatchRoutes(app: FastifyInstance): Promise<void> {
  const scheduler = app.scheduler;

  app.post<{ Body: { jobs: Record<string, unknown>[] } }>(
    '/jobs/batch',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Create many jobs, answered per item',
        description: `Each item of \`jobs\` is a POST /jobs body, validated and created on its own: the answer is 200 with one result per item, its \`status\` the one POST /jobs would have answered for it alone (201 with \`job\`, else \`error\`: 400 invalid, 409 id taken or given earlier in the batch, 422 unknown task). The request as a whole is refused (400) only when it is not a batch: no \`jobs\` array, an empty one, or more than ${MAX_ADD_JOBS} items. Answered once the created jobs are committed.`,
        body: createJobsBody,
        response: { 200: batchResultSchema },
      },
    },
    async (request) => {
      // POST /jobs's own body schema, compiled once for this route by Fastify's validator (the same Ajv options).
      const validate = request.compileValidationSchema(createJobBody);
      const items = request.body.jobs;
      const results = new Array<BatchItem>(items.length);
      const specs: AddJobSpec[] = [];
      const at: number[] = [];
      items.forEach((item, index) => {
        if (validate(item)) {
          specs.push(item as unknown as AddJobSpec);
          at.push(index);
        } else results[index] = failedItem(index, validationError(validate.errors ?? [], `body.jobs.${index}`));
      });
      if (specs.length > 0) {
        const added = await scheduler.addJobs(specs, { actor: actorFor(request) });
        added.forEach((result, k) => {
          const index = at[k] as number;
          results[index] = result.ok ? { index, status: 201, job: result.job } : failedItem(index, result.error);
        });
      }
      const created = results.reduce((n, result) => (result.status === 201 ? n + 1 : n), 0);
      return { results, created, failed: results.length - created };
    },
  );
}
