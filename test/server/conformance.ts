/**
 * OpenAPI conformance for the route tests: every answer a test server sends is checked against the
 * operation /docs/json declares for its route and status (the status is documented, the content type is,
 * and the body validates against the schema with Ajv), and an answer serialized from a schema must say
 * what the handler returned (fast-json-stringify drops undeclared fields: a field added to JobInfo and
 * not to response-schemas.ts is caught here). Violations are collected per server and reported by
 * `takeViolations`, which server-helpers.ts asserts empty after each test.
 */
import { isDeepStrictEqual } from 'node:util';
import { Ajv, type ValidateFunction } from 'ajv';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: Record<string, unknown>;
}

/** `METHOD /doc/path/{id}` of an operation, as the coverage test lists them. */
export type OperationKey = string;

const violations: string[] = [];
const exercised = new Set<OperationKey>();

/** The violations seen since the last call, and forgets them. */
export function takeViolations(): string[] {
  return violations.splice(0, violations.length);
}

/** The operations answered so far (any status) in this test file. */
export function exercisedOperations(): ReadonlySet<OperationKey> {
  return exercised;
}

/** Fastify's `/api/v1/jobs/:id` as OpenAPI's `/api/v1/jobs/{id}`. */
export function docPath(routeUrl: string): string {
  return routeUrl.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/** The operations of a document, as `METHOD /path` keys. */
export function operationsOf(doc: OpenApiDocument): OperationKey[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
}

/** RFC 3339, or the expanded year (`+010315-11-21T...`) Date.toISOString writes past 9999, as the document says. */
const DATE_TIME = /^(?:\d{4}|[+-]\d{6})-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)$/;

function newAjv(): Ajv {
  // Not strict: OpenAPI schemas carry `example`, `nullable` and friends; formats checked: date-time only.
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('date-time', DATE_TIME);
  return ajv;
}

const rawPayloads = new WeakMap<FastifyRequest, unknown>();

/**
 * Checks every answer of `app` (call before `app.ready()`). The document is read from `app.swagger()` at
 * the first answer, when every route is known.
 */
export function checkConformance(app: FastifyInstance): void {
  let doc: OpenApiDocument | null = null;
  const ajv = newAjv();
  const validators = new Map<string, ValidateFunction>();

  app.addHook('preSerialization', async (request, _reply, payload) => {
    rawPayloads.set(request, payload);
    return payload;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const route = request.routeOptions.url;
    // Answers outside any route (404 of an unknown path, a malformed target) and hidden routes have no operation.
    if (route === undefined || !route.startsWith('/api/')) return payload;
    doc ??= (app as unknown as { swagger(): OpenApiDocument }).swagger();
    const path = docPath(route);
    const method = request.method.toLowerCase() === 'head' ? 'get' : request.method.toLowerCase();
    const where = `${request.method} ${path} answered ${reply.statusCode}`;
    const operation = doc.paths[path]?.[method];
    if (operation === undefined) {
      violations.push(`${where}: the document has no such operation`);
      return payload;
    }
    exercised.add(`${method.toUpperCase()} ${path}`);
    const response = operation.responses?.[String(reply.statusCode)];
    if (response === undefined) {
      violations.push(`${where}: status not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`);
      return payload;
    }
    const type = String(reply.getHeader('content-type') ?? '');
    const content = response.content;
    if (content === undefined) {
      if (typeof payload === 'string' && payload !== '') violations.push(`${where}: documented without a body, sent ${payload.length} characters`);
      return payload;
    }
    const mediaType = Object.keys(content).find((m) => m.split(';')[0]?.trim() === type.split(';')[0]?.trim());
    if (mediaType === undefined) {
      violations.push(`${where}: content type "${type}" not documented (documented: ${Object.keys(content).join(', ')})`);
      return payload;
    }
    if (!mediaType.startsWith('application/json') || request.method === 'HEAD') return payload;
    if (typeof payload !== 'string') {
      violations.push(`${where}: a JSON answer that is not a string (${typeof payload})`);
      return payload;
    }
    const body: unknown = JSON.parse(payload);
    const key = `${method} ${path} ${reply.statusCode} ${mediaType}`;
    let validate = validators.get(key);
    if (validate === undefined) {
      validate = ajv.compile({ ...(content[mediaType]?.schema as object), components: doc.components });
      validators.set(key, validate);
    }
    if (!validate(body)) violations.push(`${where}: ${ajv.errorsText(validate.errors?.slice(0, 3))} in ${payload.slice(0, 300)}`);
    const raw = rawPayloads.get(request);
    if (raw !== undefined && !isDeepStrictEqual(JSON.parse(JSON.stringify(raw)), body)) {
      violations.push(
        `${where}: the serialized answer differs from what the handler returned (a field missing from the response schema?): ${JSON.stringify(raw).slice(0, 300)}`,
      );
    }
    return payload;
  });
}
