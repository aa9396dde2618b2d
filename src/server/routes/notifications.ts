/**
 * Notification routes under /api/v1: targets (GET list, GET|PUT|DELETE one) and deliveries. A target's
 * secret is never returned (`hasSecret`); monitor keys read targets with the URL's userinfo and query
 * values redacted. PUT and DELETE need an admin key (the API's write access).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { callerOf, parseLimit } from '../request.js';
import { errorResponses } from '../openapi.js';
import type { Notifier } from '../../notifications/notifier.js';
import { NOTIFICATION_EVENTS, toTargetView, type NotificationEvent, type NotificationTarget } from '../../notifications/targets.js';
import type { Delivery } from '../../notifications/outbox.js';

const id = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:-]+$' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

const targetParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id } } as const;

/** The PUT body: the target without its id (the path names it). Validated again, field by field, by the Notifier. */
const targetBody = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', maxLength: 2000, description: 'http or https URL the JSON is POSTed to.' },
    secret: { type: 'string', maxLength: 500, description: '16-500 characters; signs each body (Tickwork-Signature). Never returned.' },
    on: { type: 'array', maxItems: 6, items: { type: 'string' }, description: `Events sent: ${NOTIFICATION_EVENTS.join(', ')} (default all).` },
    jobs: { type: 'array', maxItems: 100, items: { type: 'string' }, description: 'Job ids or patterns with * (default every job).' },
  },
} as const;

const targetSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'url', 'hasSecret', 'on', 'jobs', 'source', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string', description: 'For monitor keys, userinfo and query values are redacted.' },
    hasSecret: { type: 'boolean' },
    on: { type: 'array', items: { type: 'string', enum: [...NOTIFICATION_EVENTS] } },
    jobs: { type: ['array', 'null'], items: { type: 'string' } },
    source: { type: 'string', enum: ['config', 'api'] },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const deliverySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'targetId', 'jobId', 'event', 'status', 'attempts', 'createdAt', 'nextAttemptAt', 'lastAttemptAt', 'lastStatus', 'lastError', 'deliveredAt'],
  properties: {
    id: { type: 'integer' },
    targetId: { type: 'string' },
    jobId: { type: 'string' },
    event: { type: 'string', enum: [...NOTIFICATION_EVENTS] },
    status: { type: 'string', enum: ['pending', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    nextAttemptAt: nullableDateTime,
    lastAttemptAt: nullableDateTime,
    lastStatus: { type: ['integer', 'null'] },
    lastError: { type: ['string', 'null'] },
    deliveredAt: nullableDateTime,
  },
} as const;

const deliveriesQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    targetId: id,
    jobId: id,
    limit: { type: 'string', pattern: '^[0-9]{1,7}$', description: '1-1000, default 50' },
    cursor: { type: 'string', maxLength: 20, description: 'nextCursor of the previous page' },
  },
} as const;

// 400, 401, 403, 429, 5xx are added to every route by openapi.ts; 404 is a target these routes name.
const errors = errorResponses(404);

export async function notificationRoutes(app: FastifyInstance, options: { notifier: Notifier }): Promise<void> {
  const { notifier } = options;
  const view = (request: FastifyRequest, target: NotificationTarget) => toTargetView(target, callerOf(request).role !== 'admin');

  app.get(
    '/notifications/targets',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Notification targets (secrets never shown)',
        response: {
          200: { type: 'object', additionalProperties: false, required: ['items'], properties: { items: { type: 'array', items: targetSchema } } },
          ...errors,
        },
      },
    },
    async (request) => ({ items: (await notifier.listTargets()).map((target) => view(request, target)) }),
  );

  app.get<{ Params: { id: string } }>(
    '/notifications/targets/:id',
    { schema: { tags: ['notifications'], summary: 'One notification target', params: targetParams, response: { 200: targetSchema, ...errors } } },
    async (request) => view(request, await notifier.getTarget(request.params.id)),
  );

  app.put<{ Params: { id: string }; Body: { url: string; secret?: string; on?: NotificationEvent[]; jobs?: string[] } }>(
    '/notifications/targets/:id',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Create or replace a notification target (admin)',
        params: targetParams,
        body: targetBody,
        response: { 200: targetSchema, 201: targetSchema, ...errors },
      },
    },
    async (request, reply) => {
      const { target, created } = await notifier.putTarget({ ...request.body, id: request.params.id }, 'body');
      reply.code(created ? 201 : 200);
      return view(request, target);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/notifications/targets/:id',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Remove a notification target and its deliveries (admin)',
        params: targetParams,
        response: { 204: { description: 'Removed; no body.', type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await notifier.deleteTarget(request.params.id);
      reply.code(204);
    },
  );

  app.get<{ Querystring: { targetId?: string; jobId?: string; limit?: string; cursor?: string } }>(
    '/notifications/deliveries',
    {
      schema: {
        tags: ['notifications'],
        summary: 'Recent deliveries, newest first',
        querystring: deliveriesQuery,
        response: {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['items', 'nextCursor'],
            properties: { items: { type: 'array', items: deliverySchema }, nextCursor: { type: ['string', 'null'] } },
          },
          ...errors,
        },
      },
    },
    async (request) => {
      const { targetId, jobId, cursor } = request.query;
      const page = await notifier.deliveries({
        limit: parseLimit(request.query.limit),
        ...(targetId === undefined ? {} : { targetId }),
        ...(jobId === undefined ? {} : { jobId }),
        ...(cursor === undefined ? {} : { cursor }),
      });
      return { items: page.items.map(deliveryJson), nextCursor: page.nextCursor };
    },
  );
}

function deliveryJson(delivery: Delivery): Record<string, unknown> {
  return {
    ...delivery,
    createdAt: iso(delivery.createdAt),
    nextAttemptAt: delivery.nextAttemptAt === null ? null : iso(delivery.nextAttemptAt),
    lastAttemptAt: delivery.lastAttemptAt === null ? null : iso(delivery.lastAttemptAt),
    deliveredAt: delivery.deliveredAt === null ? null : iso(delivery.deliveredAt),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
