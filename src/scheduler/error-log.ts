/** What a log line keeps of an error: a Tickwork error's code and message, another's message and stack. */
import { TickworkError } from '../core/errors.js';

export function toErrorLog(error: unknown): { code?: string; message: string; stack?: string } {
  if (error instanceof TickworkError) return { code: error.code, message: error.message };
  if (error instanceof Error) return error.stack === undefined ? { message: error.message } : { message: error.message, stack: error.stack };
  return { message: String(error) };
}
