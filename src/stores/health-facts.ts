/**
 * The fold of a job's run history into HealthFacts (core/health.ts). It does not depend on the order the
 * records come in (a store lists by insertion, another by fire time): two passes, the first finds the
 * newest success and the newest started fire by `scheduledAt`, the second counts what came after them.
 * The SQL stores compute the same with two aggregates (see sqlite/health.ts, postgres/health.ts); a
 * store test checks that every store agrees on the same history.
 */
import type { RunOutcome } from '../core/events.js';
import type { HealthFacts } from '../core/health.js';
import type { RunError, RunRecord } from '../core/run.js';

/** One record as the fold reads it; `count` is how many fires it stands for (a coalesced or missed stretch). */
export type HealthVisitor = (outcome: RunOutcome, scheduledAt: number, finishedAt: number | null, count: number, error: RunError | null) => void;

/** Calls `visit` on every kept record of one job, in any order; called twice per fold. */
export type HealthSource = (visit: HealthVisitor) => void;

/** A fire that ran or runs: it has a record that started. Missed, skipped and lost fires did not start. */
export function isStarted(outcome: RunOutcome): boolean {
  return outcome === 'succeeded' || outcome === 'failed' || outcome === 'timed_out' || outcome === 'cancelled' || outcome === 'running';
}

export function isFailure(outcome: RunOutcome): boolean {
  return outcome === 'failed' || outcome === 'timed_out';
}

export function foldHealthFacts(source: HealthSource): HealthFacts {
  let successKey = Number.NEGATIVE_INFINITY;
  let startedKey = Number.NEGATIVE_INFINITY;
  let lastSuccessAt: number | null = null;
  let lastFailureAt: number | null = null;
  let lastError: RunError | null = null;
  let oldest: number | null = null;
  let newest: number | null = null;
  source((outcome, scheduledAt, finishedAt, _count, error) => {
    if (oldest === null || scheduledAt < oldest) oldest = scheduledAt;
    if (newest === null || scheduledAt > newest) newest = scheduledAt;
    if (isStarted(outcome) && scheduledAt > startedKey) startedKey = scheduledAt;
    if (outcome === 'succeeded') {
      if (scheduledAt > successKey) successKey = scheduledAt;
      if (finishedAt !== null && (lastSuccessAt === null || finishedAt > lastSuccessAt)) lastSuccessAt = finishedAt;
    } else if (isFailure(outcome) && finishedAt !== null && (lastFailureAt === null || finishedAt > lastFailureAt)) {
      lastFailureAt = finishedAt;
      lastError = error;
    }
  });
  const failedFires = new Set<number>();
  let failingSince: number | null = null;
  let notStarted = 0;
  let notStartedSince: number | null = null;
  source((outcome, scheduledAt, _finishedAt, count) => {
    if (isFailure(outcome) && scheduledAt > successKey) {
      failedFires.add(scheduledAt);
      if (failingSince === null || scheduledAt < failingSince) failingSince = scheduledAt;
    } else if ((outcome === 'missed' || outcome === 'skipped' || outcome === 'lost') && scheduledAt > startedKey) {
      notStarted += count;
      if (notStartedSince === null || scheduledAt < notStartedSince) notStartedSince = scheduledAt;
    }
  });
  return {
    lastSuccessAt,
    lastFailureAt,
    consecutiveFailures: failedFires.size,
    failingSince,
    lastError: lastError === null ? null : { ...(lastError as RunError) },
    notStarted,
    notStartedSince,
    oldestScheduledAt: oldest,
    newestScheduledAt: newest,
  };
}

/** The fold over plain records (a store without a fold of its own reads its history and folds it here). */
export function healthFactsOf(runs: readonly RunRecord[]): HealthFacts {
  return foldHealthFacts((visit) => {
    for (const run of runs) visit(run.outcome, run.scheduledAt, run.finishedAt, run.coalesced ?? 1, run.error);
  });
}
