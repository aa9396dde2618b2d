/**
 * Validation of pause and resume options (pauseJob, pause, resumeJob and their HTTP bodies): a pause's
 * end must be in the future, its note short, printable text; a resume's catch-up one of the policies.
 */
import { InvalidArgumentError, TickworkError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { MAX_PAUSE_NOTE_LENGTH, CATCH_UPS, type Actor, type CatchUp, type PauseState } from '../core/pause.js';
import { MAX_TIME_MS } from './policies.js';
import { parseDateInput } from '../triggers/date-input.js';

const PAUSE_KEYS: readonly string[] = ['until', 'note'];

/** A pause as asked at `now` by `by`, validated; `current`: the pause already in place (its `since` is kept). */
export function checkPause(options: unknown, now: number, by: Actor, current: PauseState | null, path = 'options'): PauseState {
  if (options === undefined) return { since: current?.since ?? now, until: null, note: null, by };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw InvalidArgumentError.field(path, `must be an object { until?, note? }, got ${describeType(options)}.`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!PAUSE_KEYS.includes(key)) throw InvalidArgumentError.field(`${path}.${key}`, 'is not a pause option; allowed: until, note.');
  }
  return { since: current?.since ?? now, until: checkUntil(o.until, now, `${path}.until`), note: checkNote(o.note, `${path}.note`), by };
}

function checkUntil(value: unknown, now: number, path: string): number | null {
  if (value === undefined || value === null) return null;
  let until: number;
  try {
    until = parseDateInput(value, path);
  } catch (error) {
    // The date parser speaks of triggers; here the field is a pause's.
    if (error instanceof TickworkError) throw InvalidArgumentError.field(path, error.message.replace(`${path} `, ''));
    throw error;
  }
  if (until <= now) {
    throw InvalidArgumentError.field(
      path,
      `must be in the future (now is ${new Date(now).toISOString()}), got ${new Date(until).toISOString()}; omit it to pause until resumed.`,
    );
  }
  if (until > MAX_TIME_MS) throw InvalidArgumentError.field(path, 'is past the last instant a date can hold.');
  return until;
}

/** A note (a pause's, a manual run's): one line of printable text, 1-MAX_PAUSE_NOTE_LENGTH characters; null when none. */
export function checkNote(value: unknown, path: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_PAUSE_NOTE_LENGTH || hasControl(value)) {
    throw InvalidArgumentError.field(
      path,
      `must be a string of 1-${MAX_PAUSE_NOTE_LENGTH} characters without control characters (one line of why), got ${typeof value === 'string' ? `a string of ${value.length} characters${hasControl(value) ? ' with a control character' : ''}` : describeType(value)}.`,
    );
  }
  if (value.includes('\u0000') || /[\uD800-\uDFFF]/.test(value.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) {
    throw InvalidArgumentError.field(path, 'holds a NUL character or an unpaired surrogate, which no store can keep.');
  }
  return value;
}

function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** resumeJob's options: the catch-up policy (default `none`). */
export function checkResume(options: unknown, path = 'options'): CatchUp {
  if (options === undefined) return 'none';
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw InvalidArgumentError.field(path, `must be an object { catchUp? }, got ${describeType(options)}.`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (key !== 'catchUp') throw InvalidArgumentError.field(`${path}.${key}`, 'is not a resume option; allowed: catchUp.');
  }
  if (o.catchUp === undefined) return 'none';
  if (typeof o.catchUp !== 'string' || !CATCH_UPS.includes(o.catchUp as CatchUp)) {
    throw InvalidArgumentError.field(`${path}.catchUp`, `must be one of ${CATCH_UPS.join(', ')}, got ${describeType(o.catchUp)}.`);
  }
  return o.catchUp as CatchUp;
}
