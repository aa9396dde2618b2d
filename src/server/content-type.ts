/**
 * Which API requests must say `Content-Type: application/json`. The rule is there against web pages on
 * other sites: without a CORS preflight (which gets no CORS answer here) a page can send only GET, HEAD
 * and POST, and a POST only with a form's or text/plain type or none (`fetch(url, { method: 'POST',
 * mode: 'no-cors' })`), never with application/json or an Authorization header. So:
 *
 * - a request with a body (Content-Length above 0, or Transfer-Encoding) needs application/json (415);
 * - a Content-Type that is given must be application/json, body or not (415);
 * - a DELETE without a body needs none: no page can send a DELETE (`curl -X DELETE` works as it is);
 * - a POST without a body needs none when it carries a key (a page cannot add one). In keyless mode it
 *   needs none only when no browser says it comes from another page: `Origin` absent or the server's own,
 *   and `Sec-Fetch-Site` absent, `same-origin` or `none`; otherwise it is refused with 403;
 * - PATCH and PUT, whose body is the change, need application/json (415).
 */
import type { FastifyRequest } from 'fastify';
import { HttpError } from '../core/errors.js';
import { isOwnPage, type Caller } from './auth.js';

/** Methods the rule applies to (GET and HEAD carry no body). */
const CHECKED_METHODS = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);

/** Throws HttpError UNSUPPORTED_MEDIA_TYPE (415) or FORBIDDEN (403) when the request breaks the rule above. */
export function checkContentType(request: FastifyRequest, caller: Caller): void {
  const method = request.method;
  if (!CHECKED_METHODS.has(method)) return;
  const type = request.headers['content-type'];
  if (type !== undefined || hasBody(request) || (method !== 'POST' && method !== 'DELETE')) {
    if (type === undefined || !/^application\/json\b/i.test(type)) {
      throw new HttpError(
        'UNSUPPORTED_MEDIA_TYPE',
        'Send "Content-Type: application/json" with a request body, and with every PATCH (a POST or DELETE without a body needs no Content-Type).',
      );
    }
    return;
  }
  if (method === 'POST' && caller.via === 'loopback' && !isOwnPage(request)) {
    throw new HttpError(
      'FORBIDDEN',
      'No API keys are configured and this POST without a Content-Type came from a page on another origin, as a cross-site form or no-cors fetch sends it; only the dashboard and local clients are served.',
    );
  }
}

/** Whether the request has a body: Fastify's own test (no Transfer-Encoding, no or a zero Content-Length is none). */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
