/**
 * The fires of a trigger around an instant: the last at or before it and the first after it, with the
 * DST marks previewFires gives. Triggers only go forward (`next`), so the previous fire is found by
 * search: windows growing back from the instant until one holds a fire, then a bisection for the latest
 * `after` whose next fire is still at or before the instant. That costs about 40 `next` calls whatever
 * the trigger (a per-second cron included), where stepping fire by fire could be millions.
 *
 * The bound: a trigger with a start date (every interval trigger, a cron trigger that has one) is
 * searched back to it; one without is searched back at most MAX_LOOKBACK_MS (eight years, the longest
 * gap of a leap-day cron job): an older fire is not found.
 */
import type { Trigger } from '../core/trigger.js';
import { CronTrigger } from './cron.js';

export const MAX_LOOKBACK_MS = 8 * 366 * 86_400_000;
/** The first window searched back; each next one is 16 times longer. */
const FIRST_WINDOW_MS = 60_000;

export interface MarkedFire {
  at: number;
  dst?: 'shifted' | 'repeated';
}

/** The last fire at or before `atMs`, or null (none since the start date, or within MAX_LOOKBACK_MS). */
export function fireAtOrBefore(trigger: Trigger, atMs: number): number | null {
  const startMs = startOf(trigger);
  const floor = startMs === null ? atMs - MAX_LOOKBACK_MS : Math.min(startMs - 1, atMs);
  let window = FIRST_WINDOW_MS;
  for (;;) {
    const lo = Math.max(atMs - window, floor);
    const found = trigger.next(lo);
    if (found !== null && found <= atMs) return latestAtOrBefore(trigger, lo, atMs);
    if (lo === floor) return null;
    window *= 16;
  }
}

/** The fires around `atMs`: at or before it, and strictly after it, each with its DST mark. */
export function firesAround(trigger: Trigger, atMs: number): { before: MarkedFire | null; after: MarkedFire | null } {
  const before = fireAtOrBefore(trigger, atMs);
  const after = trigger.next(atMs);
  return { before: before === null ? null : marked(trigger, before), after: after === null ? null : marked(trigger, after) };
}

/** `next(lo) <= atMs` holds: bisects for the largest such `lo`, whose next fire is the latest at or before `atMs`. */
function latestAtOrBefore(trigger: Trigger, low: number, atMs: number): number {
  let lo = low;
  let hi = atMs; // next(atMs) > atMs by the contract of next
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const t = trigger.next(mid);
    if (t !== null && t <= atMs) lo = mid;
    else hi = mid;
  }
  return trigger.next(lo) as number;
}

/** A cron fire's DST mark, read again from the fire just before it (previewFires marks the same way). */
function marked(trigger: Trigger, at: number): MarkedFire {
  if (!(trigger instanceof CronTrigger)) return { at };
  const fire = trigger.nextFire(at - 1);
  return fire !== null && fire.at === at && fire.dst !== undefined ? { at, dst: fire.dst } : { at };
}

/** The trigger's first possible fire, or null when it has none to tell (a set-aside job's spec may be anything). */
function startOf(trigger: Trigger): number | null {
  const spec = trigger.toSpec() as Partial<{ type: string; runAt: unknown; startDate: unknown }>;
  const start = spec.type === 'date' ? spec.runAt : spec.startDate;
  const ms = typeof start === 'string' ? Date.parse(start) : Number.NaN;
  return Number.isFinite(ms) ? ms : null;
}
