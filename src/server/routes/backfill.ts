/**
 * POST /jobs/:id/backfill: re-runs the fires of a past range whose recorded outcome was a gap (see
 * docs/semantics.md#backfill). Admin keys only, as every POST: it starts runs.
 */
import type { FastifyInstance } from 'fastify';
import type { BackfillOptions } from '../../core/backfill.js';
import { backfillBody, backfillResultSchema } from '../backfill-schemas.js';
import { errorResponses } from '../openapi.js';
import { actorFor } from '../request.js';
import { jobParams } from '../schemas.js';

export async function backfillRoutes(app: FastifyInstance): Promise<void> {
  const scheduler = app.scheduler;

  app.post<{ Params: { id: string }; Body: BackfillOptions }>(
    '/jobs/:id/backfill',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Re-run the missed (or lost, failed, skipped, cancelled) fires of a past range',
        description:
          'Each fire whose recorded outcome is in `only` (default missed) runs again under its original scheduled time, as its next attempt (run id `#n`, the same Idempotency-Key), oldest first, as one submission. A fire with a successful attempt, or running now, is never re-run. More than maxCatchUp fires: 400 BACKFILL_TOO_LARGE, nothing run. A paused job: 409 JOB_PAUSED (a dry run answers). `dryRun`: the same answer, nothing run.',
        params: jobParams,
        body: backfillBody,
        response: { 200: backfillResultSchema, 202: backfillResultSchema, ...errorResponses(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const result = await scheduler.backfillJob(request.params.id, request.body, { actor: actorFor(request) });
      // Started runs are accepted, as a run now is; a dry run (or a range with nothing to re-run) is an answer.
      reply.code(result.dryRun || result.fires.length === 0 ? 200 : 202);
      return result;
    },
  );
}
