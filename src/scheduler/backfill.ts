/**
 * The plan of a backfill (docs/semantics.md#backfill): which fires in [from, to] are re-run, judged
 * from their records as explain judges a fire (scheduler/explain.ts): a fire's own records decide, by
 * their last attempt; a fire with none of its own takes the outcome of the record standing for the
 * stretch that covers it (a missed stretch, a skipped or cancelled backlog, a paused stretch), expanded
 * into the trigger's fires. A fire with no record at all (folded into a coalesced run, before the job
 * existed, pruned) is not re-run: a backfill fills the gaps the history shows. Pure: the service reads
 * the records (explain-history.ts recordsIn) and runs the plan.
 */
import type { BackfillOutcome } from '../core/backfill.js';
import type { RunRecord } from '../core/run.js';
import type { Trigger } from '../core/trigger.js';
import { fireAtOrBefore } from '../triggers/fires-around.js';

/** One fire to re-run: under its original time, as the attempt after its highest recorded one. */
export interface PlannedFire {
  scheduledAt: number;
  /** The recorded outcome (the last attempt's, or the stretch's). */
  outcome: string;
  attempt: number;
}

export interface BackfillPlan {
  /** Oldest first; at most `limit` + 1 (one more than the limit tells the range is too large). */
  fires: PlannedFire[];
  /**
   * More than `limit` fires, and the oldest of them not all known (a coalesced record standing for more
   * fires than the limit is walked back from its end): `fires` then does not start at the oldest.
   */
  oldestUnknown: boolean;
  /** Recorded fires in the range not re-run, by outcome (stretches counted by the trigger, at least). */
  leftAlone: Record<string, number>;
}

export interface PlanInput {
  trigger: Trigger;
  from: number;
  to: number;
  only: readonly BackfillOutcome[];
  /** The records scheduled in [from, to], any order. */
  inRange: readonly RunRecord[];
  /** Records just before `from`: one of them may stand for a stretch reaching into the range. */
  before: readonly RunRecord[];
  /** The job's pending retry (a fire whose next attempt is already scheduled is left to it). */
  retry: { scheduledAt: number; attempt: number } | null;
  /** Fires an earlier backfill of this process has submitted and not started yet: left to it, as running. */
  pending: readonly number[];
  limit: number;
}

/** The outcome a backfill's `only` names for a recorded one (a timed-out run failed). */
function wanted(outcome: string, only: readonly BackfillOutcome[]): boolean {
  return only.includes((outcome === 'timed_out' ? 'failed' : outcome) as BackfillOutcome);
}

/** A fire's own records: a successful attempt or one running now wins over the last attempt's outcome. */
function judge(records: readonly RunRecord[]): { outcome: string; attempt: number } {
  let last = records[0] as RunRecord;
  let verdict: string | null = null;
  for (const r of records) {
    if (r.attempt > last.attempt) last = r;
    if (r.outcome === 'succeeded') verdict = 'succeeded';
    else if (r.outcome === 'running' && verdict === null) verdict = 'running';
  }
  return { outcome: verdict ?? last.outcome, attempt: last.attempt };
}

export function planBackfill(input: PlanInput): BackfillPlan {
  const { trigger, from, to, only, limit } = input;
  const cap = limit + 1;
  const own = new Map<number, RunRecord[]>();
  for (const r of input.inRange) {
    const list = own.get(r.scheduledAt);
    if (list === undefined) own.set(r.scheduledAt, [r]);
    else list.push(r);
  }
  const leftAlone: Record<string, number> = {};
  const alone = (outcome: string, count: number): void => {
    if (count > 0) leftAlone[outcome] = (leftAlone[outcome] ?? 0) + count;
  };
  const fires: PlannedFire[] = [];
  const pending = new Set(input.pending);
  for (const at of pending) if (at >= from && at <= to) alone('running', 1);
  for (const [at, records] of own) {
    if (pending.has(at)) continue;
    const { outcome, attempt } = judge(records);
    if (input.retry !== null && input.retry.scheduledAt === at) alone('retry_pending', 1);
    else if (wanted(outcome, only)) fires.push({ scheduledAt: at, outcome, attempt: attempt + 1 });
    else alone(outcome, 1);
  }
  // Stretches: a record standing for several fires, from its scheduledAt to its lastScheduledAt.
  for (const r of [...input.before, ...input.inRange]) {
    if (r.lastScheduledAt === undefined || r.lastScheduledAt <= r.scheduledAt || r.lastScheduledAt < from) continue;
    const last = Math.min(r.lastScheduledAt, to);
    if (!wanted(r.outcome, only)) {
      // A fire pending in a backfill has no record yet but is counted as running: not counted twice.
      alone(r.outcome, countInterior(trigger, r.scheduledAt, from, last, new Set([...own.keys(), ...pending])));
      continue;
    }
    // The fires it stands for, past its own time (judged with its own records above), not judged by their own.
    let taken = 0;
    for (let at = trigger.next(Math.max(r.scheduledAt, from - 1)); at !== null && at <= last && taken < cap; at = trigger.next(at)) {
      if (own.has(at) || pending.has(at)) continue;
      fires.push({ scheduledAt: at, outcome: r.outcome, attempt: r.attempt + 1 });
      taken++;
    }
  }
  // Coalesced records (coalesce: true): a run, or a skipped or missed one, at the last of the `coalesced`
  // fires it stood for (explain's `coalesced` verdict). The earlier ones are walked back from it.
  let oldestUnknown = false;
  for (const [at, records] of own) {
    const r = records.find((c) => c.coalesced !== undefined && c.coalesced > 1 && (c.lastScheduledAt === undefined || c.lastScheduledAt === c.scheduledAt));
    if (r === undefined || pending.has(at)) continue;
    const { outcome, attempt } = judge(records);
    const stood = (r.coalesced as number) - 1;
    if (!wanted(outcome, only) || (input.retry !== null && input.retry.scheduledAt === at)) {
      // Counted, not walked (a coalesced run may stand for a million fires): those in the range, at most.
      const first = trigger.next(from - 1);
      const inRange = first === null || first >= at ? 0 : trigger.dueFires(first, at - 1, 1).total;
      alone(outcome === 'succeeded' ? 'coalesced' : outcome, Math.min(stood, inRange));
      continue;
    }
    let taken = 0;
    let fire = fireAtOrBefore(trigger, at - 1);
    for (let left = stood; left > 0 && fire !== null && fire >= from; left--) {
      if (taken === cap) {
        // More than the limit: the backfill is refused; its oldest fires were not reached.
        oldestUnknown = true;
        break;
      }
      if (!own.has(fire) && !pending.has(fire)) {
        fires.push({ scheduledAt: fire, outcome, attempt: attempt + 1 });
        taken++;
      }
      fire = fireAtOrBefore(trigger, fire - 1);
    }
  }
  // Two stretches may cover one fire (a backfill cancelled before it started records each fire, but an
  // older store may hold a cancelled backlog): the higher attempt is the fire's latest.
  fires.sort((a, b) => a.scheduledAt - b.scheduledAt || b.attempt - a.attempt);
  const unique = fires.filter((f, i) => i === 0 || (fires[i - 1] as PlannedFire).scheduledAt !== f.scheduledAt);
  if (unique.length > cap) unique.length = cap;
  return { fires: unique, leftAlone, oldestUnknown };
}

/** How many of a stretch's fires after its own time fall in [from, last] without records of their own (at least). */
function countInterior(trigger: PlanInput['trigger'], start: number, from: number, last: number, own: Iterable<number>): number {
  const first = trigger.next(Math.max(start, from - 1));
  if (first === null || first > last) return 0;
  let count = trigger.dueFires(first, last, 1).total;
  for (const at of own) if (at >= first && at <= last) count--;
  return Math.max(0, count);
}
