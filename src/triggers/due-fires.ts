/**
 * Enumerating the fire times that fell due while the process was blocked or down, for triggers whose
 * times cannot be counted arithmetically (cron, date). Bounded: a per-second cron down for a year would
 * be 31 million steps, so after a cap the walk jumps close to `now` and the count becomes a lower bound.
 */
import type { DueFires } from '../core/trigger.js';

/** Steps walked one by one before jumping ahead. */
export const MAX_WALK = 20_000;

/** Windows tried, smallest first, when jumping close to `now` after the cap. */
const JUMP_WINDOWS_MS = [60_000, 3_600_000, 86_400_000, 31 * 86_400_000, 366 * 86_400_000];

export function walkDueFires(next: (afterMs: number) => number | null, firstMs: number, nowMs: number, keep: number): DueFires {
  const times: number[] = [];
  let total = 0;
  let exact = true;
  let t: number | null = firstMs;
  let steps = 0;
  while (t !== null && t <= nowMs) {
    total++;
    times.push(t);
    // Trim in chunks so that keeping the last `keep` stays linear overall.
    if (times.length >= 2 * keep + 64) times.splice(0, times.length - keep);
    if (++steps === MAX_WALK) {
      const jumped = jumpNear(next, t, nowMs);
      if (jumped !== t) exact = false;
      t = jumped === t ? next(t) : jumped;
      steps = Number.NEGATIVE_INFINITY; // jump once; then walk the (short) rest
      continue;
    }
    t = next(t);
  }
  if (times.length > keep) times.splice(0, times.length - keep);
  return { times, total, exact, next: t };
}

/** The first fire in the smallest window before `now` that has one, or `from` when none is later. */
function jumpNear(next: (afterMs: number) => number | null, from: number, nowMs: number): number {
  for (const window of JUMP_WINDOWS_MS) {
    const start = nowMs - window;
    if (start <= from) return from;
    const candidate = next(start);
    if (candidate !== null && candidate <= nowMs) return candidate;
  }
  return from;
}
