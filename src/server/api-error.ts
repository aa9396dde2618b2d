/**
 * The API's error body from whatever a route threw: a TickworkError as it is (the library's messages that
 * point at library calls reworded for an API caller), Fastify's own errors (schema validation, body size,
 * media type) as ours, anything unknown as a generic 500. Also what POST /jobs/batch answers per item.
 */
import type { FastifyError } from 'fastify';
import { HttpError, InvalidArgumentError, JobNotFoundError, TaskNotRegisteredError, TickworkError, type ErrorDetail } from '../core/errors.js';

/** Request bodies above 1 MiB are refused with 413. */
export const BODY_LIMIT = 1024 * 1024;

/** One schema violation as Ajv (through Fastify) reports it. */
export interface SchemaViolation {
  instancePath: string;
  message?: string | undefined;
  params?: Record<string, unknown>;
}

/**
 * INVALID_ARGUMENT for what a schema refused, one detail per violation, each path under `context`
 * (`body`, or `body.jobs.3` for an item of a batch): `body.trigger.seconds must be >= 0.001`.
 */
export function validationError(violations: readonly SchemaViolation[], context: string): InvalidArgumentError {
  const details: ErrorDetail[] = violations.map((v) => {
    const extra = typeof v.params?.additionalProperty === 'string' ? `/${v.params.additionalProperty}` : '';
    const path = `${context}${(v.instancePath + extra).replace(/\//g, '.')}`;
    const message = extra !== '' ? 'is not an allowed field' : (v.message ?? 'is invalid');
    return { path, message };
  });
  return new InvalidArgumentError(details.map((d) => `${d.path} ${d.message}`).join('; '), details);
}

/** Maps Fastify's own errors (validation, body size, media type) to ours; anything unknown is a generic 500. */
export function toTickworkError(error: FastifyError | TickworkError): TickworkError {
  // The library's messages point at library calls (getJobs(), registerTask()): an API caller gets routes.
  if (error instanceof JobNotFoundError) {
    return new TickworkError('JOB_NOT_FOUND', `No job with id "${error.jobId}" exists; GET /api/v1/jobs lists the jobs and their ids.`);
  }
  if (error instanceof TaskNotRegisteredError) {
    return new TickworkError(
      'TASK_NOT_REGISTERED',
      `No task named "${error.task}" is registered on this server; GET /api/v1/tasks lists the tasks a job may name (the built-in ones and those of the config's tasks module).`,
    );
  }
  if (error instanceof TickworkError) return error;
  const fe = error as FastifyError & { validation?: SchemaViolation[]; validationContext?: string };
  if (fe.validation !== undefined) return validationError(fe.validation, fe.validationContext ?? 'body');
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new HttpError('PAYLOAD_TOO_LARGE', `The request body is larger than ${BODY_LIMIT} bytes.`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new HttpError('UNSUPPORTED_MEDIA_TYPE', 'Send "Content-Type: application/json".');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return InvalidArgumentError.field('body', 'is missing or malformed.');
    default:
      if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return InvalidArgumentError.field('request', fe.message);
      }
      return new HttpError('INTERNAL', 'Internal error; the server log has the details.');
  }
}
