/**
 * Job definitions as data: GET /export and POST /import. Not under /jobs/, where they would shadow jobs
 * named `export` or `import`. Both are admin-only: definitions hold args, which may hold credentials.
 */
import type { FastifyInstance } from 'fastify';
import type { ImportRequest } from '../../scheduler/import-jobs.js';
import { errorResponses } from '../openapi.js';
import { actorFor } from '../request.js';
import { exportSchema, importBody, importResultSchema } from '../transfer-schemas.js';

export async function transferRoutes(app: FastifyInstance): Promise<void> {
  const scheduler = app.scheduler;

  app.get(
    '/export',
    {
      config: { access: 'write' },
      schema: {
        tags: ['jobs'],
        summary: "Every job's definition (admin keys only: definitions hold args)",
        description: 'No runtime state and no owner; POST /import takes the answer as it is. A library closure is listed with a note and is not importable.',
        response: { 200: exportSchema },
      },
    },
    async () => scheduler.exportJobs(),
  );

  app.post<{ Body: ImportRequest }>(
    '/import',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Upsert job definitions by id',
        description:
          'Answers the ids created, updated (definition differs), unchanged and removed (prune: jobs owned by the API no longer listed). Everything is checked before anything changes; owners and pauses are kept.',
        body: importBody,
        response: { 200: importResultSchema, ...errorResponses(422) },
      },
    },
    async (request) => scheduler.importJobs(request.body, { actor: actorFor(request) }),
  );
}
