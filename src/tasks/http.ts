/**
 * Built-in task `http`: one request per run. Args: `{ url, method?, headers?, body?, timeoutSeconds? }`.
 * A non-2xx status fails the run. Every request carries the fire's `Idempotency-Key` (see
 * {@link idempotencyKey}: the same on every attempt and redirect) so a receiver can drop a duplicate
 * delivery of the same fire. Inside a traced run (see the README's Tracing section) it also carries the
 * active trace context, `traceparent` (W3C Trace Context, through the registered propagator), so the
 * receiver's spans join the run's trace; the run's own context replaces a `traceparent` in args.headers.
 *
 * Redirects are followed by hand, at most {@link MAX_REDIRECTS}, so that the job's headers (where its
 * credentials are) never reach an origin the job did not name: a redirect to another origin drops them
 * (see {@link nextRequest}), and a redirect from https to plain http is refused. A `user:password@` in the
 * URL is sent as `Authorization: Basic` (unless args.headers has an Authorization) and never appears in an
 * error or output: those name the origin only.
 */
import { context, propagation } from '@opentelemetry/api';
import { InvalidArgumentError } from '../core/errors.js';
import type { JobContext } from '../core/job.js';
import { Redactor } from '../scheduler/redact.js';
import { idempotencyKey } from '../core/run.js';
import type { RunErrorCode } from '../core/run-errors.js';

/** Most bytes of a response body read (the rest is discarded). */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** Most redirects followed in one run; one more fails the run with code HTTP_REDIRECTS. */
export const MAX_REDIRECTS = 5;

/** One request of a run: the first, or the one a redirect leads to. */
export interface HttpRequest {
  /** An absolute http or https URL without userinfo. */
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
}

interface HttpArgs {
  /** The first request, without the Idempotency-Key (it depends on the run). */
  request: HttpRequest;
  timeoutMs: number;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];

/**
 * The shape of the http task's args (its registered argsSchema): checked when a job is created and before
 * each run; what a schema cannot say (the URL parses, header values are clean) is {@link checkHttpArgs}'s.
 * A URL with `user:password@` fits: it is sent as Basic auth.
 */
export const httpArgsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', minLength: 1, description: 'An absolute http or https URL.' },
    method: { type: 'string', description: 'GET (default), POST, PUT, PATCH, DELETE or HEAD, in any case.' },
    headers: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] } },
    body: { description: 'A string is sent as it is; any other JSON value as JSON (content-type application/json).' },
    timeoutSeconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600, description: 'Default 30.' },
  },
};

/** A header name: an RFC 9110 token. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** A character a header value may not hold: controls (CR, LF, NUL, ...) but tab, and beyond U+00FF. */
const BAD_VALUE_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

/** Headers the HTTP client sets itself and refuses from the caller: with one of them every run would fail. */
const CLIENT_HEADERS = new Set(['transfer-encoding', 'expect', 'upgrade', 'keep-alive']);

/**
 * What a redirect to another origin keeps of the request's headers (with a body: its content-type too).
 * The trace context names a trace, not a caller: the receiver a redirect leads to joins the trace too.
 */
const KEPT_ACROSS_ORIGINS = new Set(['idempotency-key', 'content-type', 'traceparent', 'tracestate']);

/** Headers that describe a body, dropped when a redirect turns the request into a GET without one. */
const BODY_HEADERS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location']);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

function parseArgs(raw: unknown): HttpArgs {
  const a = (raw ?? {}) as Record<string, unknown>;
  if (typeof a.url !== 'string') throw InvalidArgumentError.field('args.url', 'the http task needs { url: "https://..." }.');
  let url: URL;
  try {
    url = new URL(a.url);
  } catch {
    throw InvalidArgumentError.field('args.url', 'is not a valid absolute URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw InvalidArgumentError.field('args.url', 'must use http or https.');
  const method = a.method === undefined ? 'GET' : String(a.method).toUpperCase();
  if (!METHODS.includes(method)) throw InvalidArgumentError.field('args.method', `must be one of ${METHODS.join(', ')} (any case).`);
  const headers = parseHeaders(a.headers);
  let body: string | undefined;
  if (a.body !== undefined && a.body !== null) {
    if (typeof a.body === 'string') body = a.body;
    else {
      body = JSON.stringify(a.body);
      if (findHeader(headers, 'content-type') === undefined) headers['content-type'] = 'application/json';
    }
  }
  const timeoutSeconds = a.timeoutSeconds === undefined ? 30 : a.timeoutSeconds;
  if (typeof timeoutSeconds !== 'number' || !(timeoutSeconds > 0) || timeoutSeconds > 3600)
    throw InvalidArgumentError.field('args.timeoutSeconds', 'must be a number of seconds from 0 to 3600.');
  // fetch refuses a URL with credentials (and its error repeats them): send them as Basic auth instead.
  if (url.username !== '' || url.password !== '') {
    if (findHeader(headers, 'authorization') === undefined) {
      const credentials = `${safeDecode(url.username)}:${safeDecode(url.password)}`;
      headers.authorization = `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
    }
    url.username = '';
    url.password = '';
  }
  return { request: { url: url.toString(), method, headers, body }, timeoutMs: timeoutSeconds * 1000 };
}

/** Checks args.headers; messages name the header but never repeat a value (values hold credentials). */
function parseHeaders(raw: unknown): Record<string, string> {
  const headers: Record<string, string> = {};
  if (raw === undefined) return headers;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw InvalidArgumentError.field('args.headers', 'must be an object of header names to strings.');
  let position = 0;
  for (const [name, value] of Object.entries(raw)) {
    position += 1;
    if (!TOKEN.test(name)) {
      // Not echoed either: a misplaced `Authorization: Bearer ...` would be a name here.
      throw InvalidArgumentError.field(
        'args.headers',
        `header #${position} has a name that is not a valid HTTP header name (letters, digits and !#$%&'*+-.^_\`|~ only, no spaces or colons).`,
      );
    }
    if (CLIENT_HEADERS.has(name.toLowerCase())) throw InvalidArgumentError.field(`args.headers.${name}`, 'is set by the HTTP client and cannot be given.');
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw InvalidArgumentError.field(`args.headers.${name}`, 'must be a string.');
    }
    const text = String(value);
    if (BAD_VALUE_CHAR.test(text)) {
      throw InvalidArgumentError.field(
        `args.headers.${name}`,
        'must not contain CR, LF or other control characters, nor characters beyond U+00FF (the value is not repeated here).',
      );
    }
    headers[name] = text;
  }
  return headers;
}

/**
 * Refuses bad http task args when a job is created or changed (the task's `checkArgs`): the same checks
 * a run makes, throwing the same InvalidArgumentError.
 */
export function checkHttpArgs(args: unknown): void {
  parseArgs(args);
}

function findHeader(headers: Readonly<Record<string, string>>, lowerName: string): string | undefined {
  for (const name of Object.keys(headers)) if (name.toLowerCase() === lowerName) return name;
  return undefined;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** An error that fails the run, with a stable code and optionally the run's output. */
function failure(code: RunErrorCode, message: string, output?: string): Error & { code: RunErrorCode; output?: string } {
  return Object.assign(new Error(message), output === undefined ? { code } : { code, output });
}

/** `https://host:port`, or `ftp:` for a URL without an origin: never the userinfo, path or query. */
function originOf(url: URL): string {
  return url.origin === 'null' ? url.protocol : url.origin;
}

/**
 * The request a redirect leads to, or null when the response is final (not a redirect status, or no
 * Location). Pure. As fetch does: a relative Location is resolved against the current URL; 303 turns any
 * method but GET and HEAD into GET, and 301 and 302 turn POST into GET (browsers keep PUT, PATCH and
 * DELETE on 301/302), dropping the body and its content-* headers; 307 and 308 keep the method and body.
 * Stricter than fetch: a redirect to another origin keeps only the Idempotency-Key and content-type of
 * the headers (the job's credentials stay with the origin it named, also if a later redirect leads back
 * to it), and userinfo in the Location is dropped. Throws (code HTTP_INSECURE_REDIRECT) for a redirect
 * from https to http, and (code HTTP_BAD_REDIRECT) for a Location that is not an http(s) URL.
 */
export function nextRequest(current: HttpRequest, status: number, location: string | null): HttpRequest | null {
  if (!REDIRECT_STATUSES.has(status) || location === null) return null;
  const from = new URL(current.url);
  let to: URL;
  try {
    to = new URL(location, from);
  } catch {
    throw failure('HTTP_BAD_REDIRECT', `${current.method} ${originOf(from)} answered ${status} with a Location that is not a valid URL.`);
  }
  if (to.protocol !== 'http:' && to.protocol !== 'https:') {
    throw failure(
      'HTTP_BAD_REDIRECT',
      `${current.method} ${originOf(from)} answered ${status} redirecting to a ${to.protocol} URL; the http task follows redirects to http and https only.`,
    );
  }
  if (from.protocol === 'https:' && to.protocol === 'http:') {
    throw failure(
      'HTTP_INSECURE_REDIRECT',
      `${current.method} ${originOf(from)} answered ${status} redirecting to ${originOf(to)}; the http task does not follow a redirect from https to plain http.`,
    );
  }
  to.username = '';
  to.password = '';
  const toGet = (status === 303 && current.method !== 'GET' && current.method !== 'HEAD') || ((status === 301 || status === 302) && current.method === 'POST');
  const sameOrigin = from.origin === to.origin;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(current.headers)) {
    const lower = name.toLowerCase();
    if (toGet && BODY_HEADERS.has(lower)) continue;
    if (!sameOrigin && !KEPT_ACROSS_ORIGINS.has(lower)) continue;
    headers[name] = value;
  }
  return { url: to.toString(), method: toGet ? 'GET' : current.method, headers, body: toGet ? undefined : current.body };
}

export async function httpTask(ctx: JobContext): Promise<string> {
  const { request: first, timeoutMs } = parseArgs(ctx.args);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  const headers = { ...first.headers };
  const own = findHeader(headers, 'idempotency-key');
  if (own !== undefined) delete headers[own];
  headers['idempotency-key'] = idempotencyKey(ctx.jobId, ctx.scheduledAtMs);
  injectTraceContext(headers);
  let request: HttpRequest = { ...first, headers };
  const failed = (error: unknown): unknown => networkFailure(error, request, ctx.signal, timeout, timeoutMs, ctx.args);
  for (let redirects = 0; ; redirects++) {
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal,
        redirect: 'manual',
      });
    } catch (error) {
      throw failed(error);
    }
    const status = `HTTP ${response.status}${response.statusText === '' ? '' : ` ${response.statusText}`}`;
    const origin = originOf(new URL(request.url));
    const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get('location') : null;
    if (location !== null) {
      await response.body?.cancel().catch(() => undefined);
      if (redirects >= MAX_REDIRECTS) {
        throw failure(
          'HTTP_REDIRECTS',
          `${first.method} ${originOf(new URL(first.url))} was redirected more than ${MAX_REDIRECTS} times (the last time by ${origin}); the http task follows at most ${MAX_REDIRECTS} redirects.`,
          status,
        );
      }
      let next: HttpRequest | null;
      try {
        next = nextRequest(request, response.status, location);
      } catch (error) {
        throw Object.assign(error as Error, { output: status });
      }
      if (next !== null) {
        request = next;
        continue;
      }
    }
    try {
      await readCapped(response);
    } catch (error) {
      throw failed(error);
    }
    if (!response.ok) throw failure('HTTP_STATUS', `${request.method} ${origin} answered ${status}`, status);
    return status;
  }
}

/**
 * Adds the active trace context's headers (`traceparent`, `tracestate` with the W3C propagator), each
 * replacing the same header in any spelling from args. Without an SDK the propagator is a no-op and
 * nothing is added.
 */
function injectTraceContext(headers: Record<string, string>): void {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  for (const [name, value] of Object.entries(carrier)) {
    const own = findHeader(headers, name.toLowerCase());
    if (own !== undefined) delete headers[own];
    headers[name] = value;
  }
}

/**
 * The error a failed request ends the run with: the abort reason itself when the run was cancelled or
 * timed out by the scheduler; code HTTP_TIMEOUT past args.timeoutSeconds; else code HTTP_NETWORK, naming
 * the origin and the cause (ECONNREFUSED, a TLS error, ...) scrubbed of the args' secrets.
 */
function networkFailure(error: unknown, request: HttpRequest, runSignal: AbortSignal, timeout: AbortSignal, timeoutMs: number, args: unknown): unknown {
  if (runSignal.aborted) return runSignal.reason;
  const origin = originOf(new URL(request.url));
  if (timeout.aborted) return failure('HTTP_TIMEOUT', `${request.method} ${origin} did not answer within ${timeoutMs / 1000} s (args.timeoutSeconds).`);
  return failure('HTTP_NETWORK', Redactor.of(args).scrub(`${request.method} ${origin} failed: ${causeOf(error)}`));
}

/** The most telling message of a fetch error ("fetch failed"): its cause's (`connect ECONNREFUSED 127.0.0.1:9`), with the cause's code when the message lacks it. */
function causeOf(error: unknown): string {
  let cause: unknown = (error as { cause?: unknown } | null)?.cause ?? error;
  if (cause instanceof AggregateError && cause.message === '' && cause.errors.length > 0) cause = cause.errors[0];
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    // undici's own errors (UND_ERR_CONNECT_TIMEOUT, UND_ERR_SOCKET) say their code only in `code`.
    if (cause.message !== '') return typeof code === 'string' && !cause.message.includes(code) ? `${cause.message} (${code})` : cause.message;
    if (typeof code === 'string') return code;
    return cause.name;
  }
  return String(cause);
}

/** Reads and discards the body up to MAX_RESPONSE_BYTES, so the connection can be reused. */
async function readCapped(response: Response): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  let read = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    read += value.byteLength;
    if (read > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      return;
    }
  }
}
