/** What a call of the HTTP client can fail with, apart from a bug: the server's error answer, or no answer. */
import type { ErrorDetail } from '../core/errors.js';

/**
 * The server answered with an error: its stable `code` and `message` (`{ error: { code, message, details? } }`),
 * and the HTTP status. An answer that is not the API's error shape (a proxy's HTML page) gets the code
 * `HTTP_<status>` and says what came back.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[];

  constructor(status: number, code: string, message: string, details: ErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** No answer: the server is down, the address is wrong, or it did not answer within the timeout. */
export class UnreachableError extends Error {
  readonly url: string;

  constructor(url: string, reason: string, cause?: unknown) {
    super(`Cannot reach the Tickwork server at ${url}: ${reason}.`, cause === undefined ? undefined : { cause });
    this.name = 'UnreachableError';
    this.url = url;
  }
}
