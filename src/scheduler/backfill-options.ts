/**
 * Validation of backfillJob's options (and POST /jobs/:id/backfill's body): the range as two instants
 * with a zone, from <= to, the range not in the future (a backfill re-runs what was recorded), `only`
 * a non-empty list of the outcomes a backfill may re-run, `dryRun` a boolean, no other key.
 */
import { BACKFILL_OUTCOMES, type BackfillOutcome } from '../core/backfill.js';
import { InvalidArgumentError, TickworkError } from '../core/errors.js';
import { describeType } from '../core/format.js';
import { parseDateInput } from '../triggers/date-input.js';

const KEYS: readonly string[] = ['from', 'to', 'only', 'dryRun'];

export interface BackfillRequest {
  from: number;
  to: number;
  only: BackfillOutcome[];
  dryRun: boolean;
}

export function checkBackfill(options: unknown, now: number, path = 'options'): BackfillRequest {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw InvalidArgumentError.field(path, `must be an object { from, to, only?, dryRun? }, got ${describeType(options)}.`);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) throw InvalidArgumentError.field(`${path}.${key}`, `is not a backfill option; allowed: ${KEYS.join(', ')}.`);
  }
  const from = instant(o.from, `${path}.from`);
  const to = instant(o.to, `${path}.to`);
  if (from > to) {
    throw InvalidArgumentError.field(`${path}.to`, `must be at or after from (${new Date(from).toISOString()}), got ${new Date(to).toISOString()}.`);
  }
  if (from > now) {
    throw InvalidArgumentError.field(
      `${path}.from`,
      `must not be in the future (now is ${new Date(now).toISOString()}): a backfill re-runs fires that were recorded, got ${new Date(from).toISOString()}.`,
    );
  }
  if (o.dryRun !== undefined && typeof o.dryRun !== 'boolean')
    throw InvalidArgumentError.field(`${path}.dryRun`, `must be a boolean, got ${describeType(o.dryRun)}.`);
  return { from, to, only: checkOnly(o.only, `${path}.only`), dryRun: o.dryRun === true };
}

function instant(value: unknown, path: string): number {
  if (value === undefined || value === null)
    throw InvalidArgumentError.field(path, 'is required: an ISO 8601 instant with a zone, e.g. "2026-11-28T02:30:00Z".');
  try {
    return parseDateInput(value, path);
  } catch (error) {
    // The date parser speaks of triggers; here the field is a backfill's.
    if (error instanceof TickworkError) throw InvalidArgumentError.field(path, error.message.replace(`${path} `, ''));
    throw error;
  }
}

function checkOnly(value: unknown, path: string): BackfillOutcome[] {
  if (value === undefined) return ['missed'];
  if (!Array.isArray(value) || value.length === 0) {
    throw InvalidArgumentError.field(path, `must be a non-empty array of ${BACKFILL_OUTCOMES.join(', ')}, got ${describeType(value)}.`);
  }
  const only: BackfillOutcome[] = [];
  value.forEach((item: unknown, i) => {
    if (typeof item !== 'string' || !BACKFILL_OUTCOMES.includes(item as BackfillOutcome)) {
      const why =
        item === 'paused' || item === 'excluded' || item === 'succeeded' ? ` ("${item}" fires are never re-run: they were not run by design, or ran)` : '';
      throw InvalidArgumentError.field(`${path}.${i}`, `must be one of ${BACKFILL_OUTCOMES.join(', ')}, got ${describeType(item)}${why}.`);
    }
    if (!only.includes(item as BackfillOutcome)) only.push(item as BackfillOutcome);
  });
  return only;
}
