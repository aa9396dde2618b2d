/** Health, readiness, identity, scheduler state and control, tasks, schedule preview. */
import type { FastifyInstance } from 'fastify';
import type { JobExcludeInput } from '../../core/exclusion.js';
import type { TriggerSpec } from '../../core/trigger.js';
import type { PauseOptions } from '../../core/pause.js';
import { pauseBody, previewBody } from '../schemas.js';
import { healthSchema, notReadySchema, previewSchema, readySchema, schedulerStatusSchema, taskListSchema, whoamiSchema } from '../response-schemas.js';
import { actorFor, callerOf } from '../request.js';

export interface ReadyOptions {
  /** Answer 503 while any job is overdue (default false). It reads every job's health: one store query per 500 jobs. */
  failOnOverdue?: boolean;
}

export async function metaRoutes(app: FastifyInstance, options: ReadyOptions): Promise<void> {
  const scheduler = app.scheduler;

  // Liveness only: no key needed, nothing revealed.
  app.get(
    '/health',
    { config: { access: 'public' }, schema: { tags: ['meta'], summary: 'Liveness (no key needed)', response: { 200: healthSchema } } },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/ready',
    {
      schema: {
        tags: ['meta'],
        summary: 'Readiness: the scheduler runs and its store answers',
        response: { 200: readySchema, 503: { description: 'Not ready (the readiness body), or the error body.', ...notReadySchema } },
      },
    },
    async (_request, reply) => {
      try {
        await scheduler.checkStore();
      } catch (error) {
        reply.code(503);
        return { status: 'unavailable', scheduler: scheduler.isRunning ? 'running' : 'stopped', store: 'unavailable', error: (error as Error).message };
      }
      if (!scheduler.isRunning) {
        reply.code(503);
        return { status: 'unavailable', scheduler: 'stopped', store: 'ok' };
      }
      const state = scheduler.isPaused ? 'paused' : 'running';
      if (options.failOnOverdue === true) {
        const overdue = await scheduler.getJobs({ health: ['overdue'], limit: 10, sort: 'id' });
        if (overdue.items.length > 0) {
          reply.code(503);
          return { status: 'unavailable', scheduler: state, store: 'ok', overdueJobs: overdue.items.map((job) => job.id), error: 'jobs are overdue' };
        }
      }
      return { status: 'ready', scheduler: state, store: 'ok' };
    },
  );

  app.get('/whoami', { schema: { tags: ['meta'], summary: "The caller's role", response: { 200: whoamiSchema } } }, async (request) => {
    const caller = callerOf(request);
    return caller.keyIndex === undefined ? { role: caller.role, via: caller.via } : { role: caller.role, via: caller.via, keyIndex: caller.keyIndex };
  });

  app.get('/scheduler', { schema: { tags: ['scheduler'], summary: 'Scheduler state', response: { 200: schedulerStatusSchema } } }, async () =>
    scheduler.status(),
  );

  app.post<{ Body: PauseOptions | null | undefined }>(
    '/scheduler/pause',
    {
      schema: {
        tags: ['scheduler'],
        summary: 'Pause the whole scheduler, optionally until a time and with a note',
        description: "The body is optional: a POST without one pauses until resumed. The caller is recorded as the pause's `by` and in the audit trail.",
        body: pauseBody,
        response: { 200: schedulerStatusSchema },
      },
    },
    async (request) => {
      await scheduler.pause(request.body ?? undefined, { actor: actorFor(request) });
      return scheduler.status();
    },
  );

  app.post(
    '/scheduler/resume',
    { schema: { tags: ['scheduler'], summary: 'Resume the whole scheduler', response: { 200: schedulerStatusSchema } } },
    async (request) => {
      await scheduler.resume({ actor: actorFor(request) });
      return scheduler.status();
    },
  );

  app.get(
    '/tasks',
    { schema: { tags: ['meta'], summary: 'Registered tasks, with the schema of their args when they declare one', response: { 200: taskListSchema } } },
    async () => ({
      items: scheduler.taskNames.map((name) => {
        const argsSchema = scheduler.taskArgsSchema(name);
        return argsSchema === undefined ? { name } : { name, argsSchema };
      }),
    }),
  );

  // A read (it changes nothing), so monitor keys may call it; still a POST with a JSON body.
  app.post<{ Body: { trigger: TriggerSpec; count?: number; from?: string; jobId?: string; exclude?: JobExcludeInput | null } }>(
    '/schedules/preview',
    {
      config: { access: 'read' },
      schema: { tags: ['meta'], summary: 'Next fire times of a trigger, with DST marks', body: previewBody, response: { 200: previewSchema } },
    },
    async (request) => {
      const { trigger, count, from, jobId, exclude } = request.body;
      const fires = await scheduler.preview(trigger, {
        ...(count === undefined ? {} : { count }),
        ...(from === undefined ? {} : { from }),
        ...(jobId === undefined ? {} : { jobId }),
        ...(exclude === undefined ? {} : { exclude }),
      });
      return {
        items: fires.map((f) => ({
          at: f.at.toISOString(),
          ...(f.dst === undefined ? {} : { dst: f.dst }),
          ...(f.excluded === undefined ? {} : { excluded: f.excluded }),
        })),
      };
    },
  );
}
