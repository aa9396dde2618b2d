/**
 * Formatting shared by every layer: ISO 8601 timestamps and the short descriptions of a wrong value
 * that error messages quote.
 */
import { civilDay, civilFromDays, civilMonth, civilYear } from './calendar.js';

/**
 * `new Date(ms).toISOString()` for years 0-9999, in plain arithmetic: about 3x faster than the built-in,
 * which matters when a million jobs are added and each JobInfo shows its dates.
 */
export function iso(ms: number): string {
  // Jobs added together share their dates (an interval anchored at now + period): remember the last one.
  // Module-wide on purpose: the answer depends on `ms` alone, so two schedulers sharing it can only ever
  // see the text they would have computed.
  if (ms === lastIsoMs) return lastIso;
  const text = isoUncached(ms);
  lastIsoMs = ms;
  lastIso = text;
  return text;
}

// A last-value memo of a pure function: shared by every scheduler in the process without any risk of a
// wrong answer, and it holds one string.
let lastIsoMs = Number.NaN;
let lastIso = '';

function isoUncached(ms: number): string {
  if (!(ms >= -62_167_219_200_000 && ms < 253_402_300_800_000)) return new Date(ms).toISOString();
  const t = Math.floor(ms);
  const days = Math.floor(t / 86_400_000);
  let rest = t - days * 86_400_000;
  const civil = civilFromDays(days);
  const year = civilYear(civil);
  const month = civilMonth(civil);
  const day = civilDay(civil);
  const hour = Math.floor(rest / 3_600_000);
  rest -= hour * 3_600_000;
  const minute = Math.floor(rest / 60_000);
  rest -= minute * 60_000;
  const second = Math.floor(rest / 1000);
  const milli = rest - second * 1000;
  return `${pad4(year)}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : `${n}`;
}

function pad4(n: number): string {
  return n < 10 ? `000${n}` : n < 100 ? `00${n}` : n < 1000 ? `0${n}` : `${n}`;
}

/** What a wrong value was, for an error message: `null`, `an array`, a quoted string or its type. */
export function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? `"${truncate(value)}"` : typeof value;
}

/** `text` cut to `max` characters, with an ellipsis when it was longer. */
export function truncate(text: string, max = 60): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
