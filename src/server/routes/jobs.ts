/** Job routes: list, create, read, change, remove, pause, resume, run now, cancel, run history, explain. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forMonitor, withoutOutput, type JobInfo } from '../../scheduler/job-info.js';
import { InvalidArgumentError, JobNotFoundError } from '../../core/errors.js';
import type { AddJobSpec } from '../../scheduler/service.js';
import type { HealthState } from '../../core/health.js';
import type { JobSort, JobState } from '../../stores/job-order.js';
import type { PauseOptions, ResumeOptions } from '../../core/pause.js';
import type { RunNowOptions } from '../../scheduler/run-options.js';
import { createJobBody, explainQuery, jobParams, listJobsQuery, listRunsQuery, patchJobBody, pauseBody, resumeBody, runNowBody, skipBody } from '../schemas.js';
import { cancelledSchema, explanationSchema, jobInfoSchema, jobPageSchema, removedSchema, runPageSchema } from '../response-schemas.js';
import { errorResponses } from '../openapi.js';
import { actorFor, callerOf, parseLimit } from '../request.js';
import { JobListCache } from '../job-list-cache.js';

type IdParams = { id: string };

/** A 204 answer: no body. */
const noContent = { description: 'Done; no body.', type: 'null' } as const;

/** Job args may hold credentials and run output may print anything: only admin keys see them. */
function forCaller(request: FastifyRequest, job: JobInfo): JobInfo {
  return callerOf(request).role === 'admin' ? job : forMonitor(job);
}

export async function jobRoutes(app: FastifyInstance): Promise<void> {
  const scheduler = app.scheduler;
  const listCache = new JobListCache(scheduler);

  app.get<{ Querystring: { limit?: string; cursor?: string; q?: string; state?: JobState; sort?: JobSort; health?: string } }>(
    '/jobs',
    {
      schema: { tags: ['jobs'], summary: 'List jobs, a page at a time', querystring: listJobsQuery, response: { 200: jobPageSchema } },
    },
    async (request, reply) => {
      const { cursor, q, state, sort, health } = request.query;
      // Serialized from the cache of each unchanged job's JSON (a dashboard polls this). Sorted by id unless asked.
      const body = await listCache.list(
        {
          sort: sort ?? 'id',
          limit: parseLimit(request.query.limit),
          ...(cursor === undefined ? {} : { cursor }),
          ...(q === undefined ? {} : { q }),
          ...(state === undefined ? {} : { state }),
          // The schema allowed only known states, comma-separated.
          ...(health === undefined ? {} : { health: health.split(',') as HealthState[] }),
        },
        callerOf(request).role === 'admin',
      );
      return reply
        .type('application/json; charset=utf-8')
        .serializer((payload) => payload as string)
        .send(body);
    },
  );

  app.post<{ Body: AddJobSpec }>(
    '/jobs',
    {
      schema: { tags: ['jobs'], summary: 'Create a job', body: createJobBody, response: { 201: jobInfoSchema, ...errorResponses(409, 422) } },
    },
    async (request, reply) => {
      const job = await scheduler.addJob(request.body, { actor: actorFor(request) });
      reply.code(201);
      return job;
    },
  );

  app.get<{ Params: IdParams }>(
    '/jobs/:id',
    { schema: { tags: ['jobs'], summary: 'Read a job', params: jobParams, response: { 200: jobInfoSchema, ...errorResponses(404) } } },
    async (request) => {
      const job = await scheduler.getJob(request.params.id);
      if (job === undefined) throw new JobNotFoundError(request.params.id);
      return forCaller(request, job);
    },
  );

  app.patch<{ Params: IdParams; Body: Record<string, unknown> }>(
    '/jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Change a job (each field optional)',
        params: jobParams,
        body: patchJobBody,
        response: { 200: jobInfoSchema, ...errorResponses(404, 422) },
      },
    },
    async (request) => scheduler.updateJob(request.params.id, request.body as never, { actor: actorFor(request) }),
  );

  app.delete<{ Params: IdParams }>(
    '/jobs/:id',
    { schema: { tags: ['jobs'], summary: 'Remove a job', params: jobParams, response: { 204: noContent, ...errorResponses(404) } } },
    async (request, reply) => {
      await scheduler.removeJob(request.params.id, { actor: actorFor(request) });
      reply.code(204);
    },
  );

  app.post<{ Params: IdParams; Body: PauseOptions | null | undefined }>(
    '/jobs/:id/pause',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Pause a job, optionally until a time and with a note',
        description: "The body is optional: a POST without one pauses until resumed. The caller is recorded as the pause's `by` and in the audit trail.",
        params: jobParams,
        body: pauseBody,
        response: { 200: jobInfoSchema, ...errorResponses(404) },
      },
    },
    async (request) => forCaller(request, await scheduler.pauseJob(request.params.id, request.body ?? undefined, { actor: actorFor(request) })),
  );

  app.post<{ Params: IdParams; Body: ResumeOptions | null | undefined }>(
    '/jobs/:id/resume',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Resume a job, optionally catching up the fires of the pause',
        description:
          'The body is optional (catchUp defaults to none). Answers the job, or { removed: true, message } when its trigger has no further fire time (the job is then removed).',
        params: jobParams,
        body: resumeBody,
        response: { 200: { anyOf: [jobInfoSchema, removedSchema] }, ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const job = await scheduler.resumeJob(request.params.id, request.body ?? undefined, { actor: actorFor(request) });
      if (job === undefined) {
        reply.code(200);
        return { removed: true, message: 'The trigger has no further fire time, so the job was removed.' };
      }
      return forCaller(request, job);
    },
  );

  app.post<{ Params: IdParams; Body: RunNowOptions | null | undefined }>(
    '/jobs/:id/run',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Run a job now, optionally with its own args and a note',
        description:
          "Accepted: the run starts at once and the answer is the job; the run itself is recorded in its history (trigger manual, actor the caller). The body is optional: args replace the job's args for this run only (checked against the task's argsSchema; admin keys only, as every write).",
        params: jobParams,
        body: runNowBody,
        response: { 202: jobInfoSchema, ...errorResponses(404, 409, 422) },
      },
    },
    async (request, reply) => {
      const job = await scheduler.runJobNow(request.params.id, request.body ?? undefined, { actor: actorFor(request) });
      reply.code(202);
      return job;
    },
  );

  app.post<{ Params: IdParams }>(
    '/jobs/:id/cancel',
    { schema: { tags: ['jobs'], summary: "Cancel a job's running runs", params: jobParams, response: { 200: cancelledSchema, ...errorResponses(404) } } },
    async (request) => ({ cancelled: await scheduler.cancelRun(request.params.id) }),
  );

  app.post<{ Params: IdParams; Body: { scheduledAt: string } }>(
    '/jobs/:id/skip',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Skip one upcoming fire',
        description:
          'A one-off exclusion: the fire at scheduledAt (a future fire time of the job, else 400) is recorded excluded instead of run. Shown in exclude.skip until it passes.',
        params: jobParams,
        body: skipBody,
        response: { 200: jobInfoSchema, ...errorResponses(404) },
      },
    },
    async (request) => scheduler.skipFire(request.params.id, request.body.scheduledAt),
  );

  app.get<{ Params: IdParams; Querystring: { limit?: string; cursor?: string } }>(
    '/jobs/:id/runs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Run history, newest first',
        params: jobParams,
        querystring: listRunsQuery,
        response: { 200: runPageSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const limit = parseLimit(request.query.limit);
      let before: Date | undefined;
      if (request.query.cursor !== undefined) {
        const ms = Number(request.query.cursor);
        if (!Number.isInteger(ms)) throw InvalidArgumentError.field('querystring.cursor', 'is not a cursor from a previous page.');
        before = new Date(ms);
      }
      // One more than asked, to know whether another page follows.
      const runs = await scheduler.getRuns(
        request.params.id,
        before === undefined ? { limit: Math.min(limit + 1, 1000) } : { limit: Math.min(limit + 1, 1000), before },
      );
      const more = runs.length > limit;
      const page = runs.slice(0, limit);
      const items = callerOf(request).role === 'admin' ? page : page.map(withoutOutput);
      const last = page[page.length - 1];
      return { items, nextCursor: more && last !== undefined ? String(last.scheduledAt.getTime()) : null };
    },
  );

  app.get<{ Params: IdParams; Querystring: { at: string } }>(
    '/jobs/:id/explain',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Why the fire nearest to `at` ran or did not',
        params: jobParams,
        querystring: explainQuery,
        response: { 200: explanationSchema, ...errorResponses(404) },
      },
    },
    // A read: monitor keys may ask. The evidence never holds args or run output.
    async (request) => scheduler.explain(request.params.id, request.query.at),
  );
}
