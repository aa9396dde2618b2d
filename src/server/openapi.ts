/**
 * The error half of the OpenAPI contract, declared once. A route under /api/v1 declares its success
 * answers and the errors only it can give (`...errorResponses(404, 409)` in `schema.response`); the
 * `onRoute` hook below adds the errors every route of its kind can answer, from its access and method:
 *
 * - every route: 400 (a malformed request target or query), 500, 503 (store unavailable, scheduler not
 *   running, server shutting down);
 * - a route that needs a key: 401, 403, 429 (auth.ts);
 * - POST, PATCH, PUT and DELETE: 413 and 415 (content-type.ts).
 *
 * Each is `{ $ref: 'Error#' }`, the one error schema (response-schemas.ts), so /docs/json lists the
 * error body on every status each operation can answer and a generated client types it.
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { ERROR_STATUS } from '../core/errors.js';

/** The statuses an error of the API can have (ERROR_STATUS's values). */
export type ErrorStatus = (typeof ERROR_STATUS)[keyof typeof ERROR_STATUS];

const errorRef = { $ref: 'Error#' } as const;

/** What each error status means, with the codes it carries (listed from ERROR_STATUS). */
function describeStatus(status: number): string {
  const codes = Object.entries(ERROR_STATUS)
    .filter(([, s]) => s === status)
    .map(([code]) => code);
  return `Error: ${codes.join(', ')}.`;
}

/** `{ [status]: Error }` for each status: spread into a route's `schema.response`. */
export function errorResponses(...statuses: ErrorStatus[]): Record<number, { description: string; $ref: string }> {
  const responses: Record<number, { description: string; $ref: string }> = {};
  for (const status of statuses) responses[status] = { description: describeStatus(status), ...errorRef };
  return responses;
}

const BODY_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** The error statuses any route of this access and method can answer (see the list above). */
export function commonErrorStatuses(access: 'public' | 'read' | 'write', methods: readonly string[]): ErrorStatus[] {
  const statuses: ErrorStatus[] = [400];
  if (access !== 'public') statuses.push(401, 403, 429);
  if (methods.some((m) => BODY_METHODS.has(m))) statuses.push(413, 415);
  statuses.push(500, 503);
  return statuses;
}

/**
 * Adds each route's common error answers as it is declared in `app` (the Error schema is registered on
 * the root app, where @fastify/swagger finds it).
 * `accessOf` is the route's access as app.ts decides it (declared, or implied by the method). A route
 * with no response schema at all is left alone (none under /api/v1: the conformance test lists them).
 */
export function documentErrors(app: FastifyInstance, accessOf: (route: RouteOptions) => 'public' | 'read' | 'write'): void {
  app.addHook('onRoute', (route) => {
    const schema = route.schema as { response?: Record<string, unknown>; hide?: boolean } | undefined;
    if (schema?.response === undefined || schema.hide === true) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const common = errorResponses(...commonErrorStatuses(accessOf(route), methods));
    // The route's own declarations win (GET /ready's 503 is its readiness body).
    route.schema = { ...schema, response: { ...common, ...schema.response } };
  });
}
