/** Exclusion calendar routes: list, read, create or replace, remove (changes need an admin key). */
import type { FastifyInstance } from 'fastify';
import { CalendarNotFoundError } from '../../core/errors.js';
import { errorResponses } from '../openapi.js';
import { calendarListSchema, calendarSchema } from '../response-schemas.js';
import { calendarBody, calendarParams } from '../schemas.js';

type NameParams = { name: string };

export async function calendarRoutes(app: FastifyInstance): Promise<void> {
  const scheduler = app.scheduler;

  app.get('/calendars', { schema: { tags: ['calendars'], summary: 'List exclusion calendars', response: { 200: calendarListSchema } } }, async () => ({
    items: await scheduler.getCalendars(),
  }));

  app.get<{ Params: NameParams }>(
    '/calendars/:name',
    {
      schema: { tags: ['calendars'], summary: 'Read an exclusion calendar', params: calendarParams, response: { 200: calendarSchema, ...errorResponses(404) } },
    },
    async (request) => {
      const calendar = await scheduler.getCalendar(request.params.name);
      if (calendar === undefined) throw new CalendarNotFoundError(request.params.name);
      return calendar;
    },
  );

  app.put<{ Params: NameParams; Body: Record<string, unknown> }>(
    '/calendars/:name',
    {
      schema: {
        tags: ['calendars'],
        summary: 'Create or replace an exclusion calendar',
        description: 'Answers 201 when it was created, 200 when it replaced one. Jobs naming it judge their next fires by the new dates.',
        params: calendarParams,
        body: calendarBody,
        response: { 200: calendarSchema, 201: calendarSchema },
      },
    },
    async (request, reply) => {
      const { calendar, created } = await scheduler.putCalendarReporting(request.params.name, request.body);
      reply.code(created ? 201 : 200);
      return calendar;
    },
  );

  app.delete<{ Params: NameParams }>(
    '/calendars/:name',
    {
      schema: {
        tags: ['calendars'],
        summary: 'Remove an exclusion calendar',
        description: 'Refused with 409 CALENDAR_IN_USE while a job names it in exclude.calendars.',
        params: calendarParams,
        response: { 204: { description: 'Removed; no body.', type: 'null' }, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      await scheduler.removeCalendar(request.params.name);
      reply.code(204);
    },
  );
}
