/** GET /audit: the audit trail, newest first (admin and monitor keys: entries hold no args). */
import type { FastifyInstance } from 'fastify';
import { auditPageSchema, auditQuery } from '../audit-schemas.js';
import { parseLimit } from '../request.js';

export async function auditRoutes(app: FastifyInstance): Promise<void> {
  const scheduler = app.scheduler;
  app.get<{ Querystring: { jobId?: string; cursor?: string; limit?: string } }>(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'The audit trail of changes to jobs and the scheduler, newest first',
        querystring: auditQuery,
        response: { 200: auditPageSchema },
      },
    },
    async (request) => {
      const { jobId, cursor } = request.query;
      return scheduler.getAudit({
        limit: parseLimit(request.query.limit),
        ...(jobId === undefined ? {} : { jobId }),
        ...(cursor === undefined ? {} : { cursor }),
      });
    },
  );
}
