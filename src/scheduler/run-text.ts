/**
 * Text a job hands back (its error, its output, the stack of what it threw) is hostile to the store and
 * the log: it may be megabytes long, hold a NUL (PostgreSQL's text and jsonb refuse it, and one refused
 * record would stop every flush), or repeat a credential from the job's args (Node's fetch error repeats
 * the whole URL). Every such text goes through here once, before it is recorded, logged or streamed:
 * clipped to its documented size, NUL removed, secrets of the job's args and URL userinfo scrubbed.
 */
import { Redactor, scrubText } from './redact.js';
import type { RunError } from '../core/run.js';

/** A run's output (a string a job returns: an HTTP status line, the tail of a command's output): its last 4096 characters. */
export const MAX_OUTPUT_CHARS = 4096;
/** A run error's message: its first 4096 characters. */
export const MAX_ERROR_CHARS = 4096;
/** A run error's code: its first 100 characters. */
export const MAX_CODE_CHARS = 100;
/** Scrubbing works on at most this much of a text, so a huge text costs no more than a large one. */
const SCRUB_WINDOW = 64 * 1024;

function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.split('\u0000').join('') : text;
}

function scrub(text: string, args: unknown): string {
  // Most jobs have no args: only URL userinfo can need scrubbing, and only where there is an '@'.
  if (typeof args !== 'object' || args === null) return text.includes('@') ? scrubText(text, []) : text;
  return Redactor.of(args).scrub(text);
}

/** The last `max` characters of a text, marked with a leading ellipsis when cut. */
function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`;
}

/** The first `max` characters of a text, marked with a trailing ellipsis when cut. */
function head(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A run's output as it is kept: the tail, without NUL, scrubbed of the job's secrets. */
export function runOutput(text: string, args: unknown): string {
  // Cut before scrubbing (bounded work), scrub before the final cut (a secret cut in half is not found).
  const window = text.length > SCRUB_WINDOW ? text.slice(text.length - SCRUB_WINDOW) : text;
  return tail(scrub(withoutNul(window), args), MAX_OUTPUT_CHARS);
}

/** A bounded, NUL-free, scrubbed text of anything, cut at its head. */
export function runText(text: string, args: unknown, max: number): string {
  const window = text.length > SCRUB_WINDOW ? text.slice(0, SCRUB_WINDOW) : text;
  return head(scrub(withoutNul(window), args), max);
}

/** `{ code?, message }` of anything thrown, as it is kept: no stack or extra fields, clipped, scrubbed. */
export function runError(error: unknown, args: unknown): RunError {
  let code: unknown;
  let message: string;
  if (error instanceof Error) {
    code = (error as { code?: unknown }).code;
    message = typeof error.message === 'string' ? error.message : String(error.message);
  } else {
    message = typeof error === 'string' ? error : `non-Error value thrown: ${safeString(error)}`;
  }
  const clean = runText(message, args, MAX_ERROR_CHARS);
  return typeof code === 'string' ? { code: runText(code, args, MAX_CODE_CHARS), message: clean } : { message: clean };
}

/** The stack of a thrown Error, for the log line of a failed run (scrubbed: it repeats the message). */
export function runStack(error: unknown, args: unknown): string | undefined {
  if (!(error instanceof Error) || typeof error.stack !== 'string') return undefined;
  return runText(error.stack, args, 16 * 1024);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '(a value that cannot be turned into text)';
  }
}
