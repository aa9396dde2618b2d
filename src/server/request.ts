/** Small helpers shared by routes: the authenticated caller and list limits. */
import type {} from '@fastify/swagger';
import type { FastifyRequest } from 'fastify';
import { HttpError, InvalidArgumentError } from '../core/errors.js';
import type { Caller } from './auth.js';
import type { ApiActor } from '../core/actor.js';

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller | null;
  }
}

export function callerOf(request: FastifyRequest): Caller {
  if (request.caller === null) throw new HttpError('UNAUTHORIZED', 'This route needs an API key.');
  return request.caller;
}

/**
 * The caller as the scheduler's mutating methods record it (role, how admitted, key index; never the key):
 * the audit entry's actor and a pause's `by`.
 */
export function actorFor(request: FastifyRequest): ApiActor {
  const caller = callerOf(request);
  return caller.keyIndex === undefined ? { role: caller.role, via: caller.via } : { role: caller.role, via: caller.via, keyIndex: caller.keyIndex };
}

/** `limit` query: default 50, 1-1000; larger is a 400. */
export function parseLimit(text: string | undefined): number {
  if (text === undefined) return 50;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw InvalidArgumentError.field('querystring.limit', `must be an integer from 1 to 1000, got "${text}".`);
  return n;
}
