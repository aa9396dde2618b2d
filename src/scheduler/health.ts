/**
 * A job's health (core/health.ts), computed on read from its record, its policies and the HealthFacts
 * of its kept history: nothing is kept or written per fire for it. The rules, in the order they win:
 * 1. paused: the job, or the whole scheduler, is paused;
 * 2. overdue: (a) its due time is past its misfire grace (plus a second, so a pass a few ms late does not
 *    flap) with no run recorded: the loop, the store or every node is stuck; (b) `overdueAfterMissedFires`
 *    fires in a row did not start (missed, skipped behind a hung run, lost); (c) with
 *    `expectSuccessWithinSeconds`, no success for that long; (d) it cannot run at all: its task is not
 *    registered here, or its stored row cannot be loaded;
 * 3. failing: the newest fire that ran failed or timed out;
 * 4. pending: no run has finished yet (none was due, or the first still runs); otherwise ok.
 * docs/semantics.md#job-health says the same for users.
 */
import type { HealthFacts, HealthState, JobHealth } from '../core/health.js';
import { iso } from '../core/format.js';
import type { JobRecord } from '../core/job.js';
import { describeActor, type PauseState } from '../core/pause.js';
import { loadErrorOf } from '../stores/store.js';

/** The slack added to a job's misfire grace before its due time counts as stuck (rule 2a). */
export const STUCK_SLACK_MS = 1_000;
/** The grace rule 2a uses for a job whose misfire grace is unbounded (null). */
export const UNBOUNDED_GRACE_STUCK_MS = 60_000;

export interface HealthContext {
  now: number;
  /** The whole scheduler is paused (rule 1). */
  schedulerPaused: boolean;
  /** Who paused it, when and why, when it is. */
  schedulerPause?: PauseState | null;
}

export function computeHealth(job: JobRecord, facts: HealthFacts, context: HealthContext): JobHealth {
  const { now } = context;
  const base = {
    consecutiveFailures: facts.consecutiveFailures,
    lastSuccessAt: toDate(facts.lastSuccessAt),
    lastFailureAt: toDate(facts.lastFailureAt),
  };
  if (job.paused) return { state: 'paused', since: toDate(job.pause?.since ?? null), ...base, reason: pauseReason('the job', job.pause) };
  if (context.schedulerPaused) {
    const pause = context.schedulerPause ?? null;
    return { state: 'paused', since: toDate(pause?.since ?? null), ...base, reason: pauseReason('the scheduler', pause) };
  }
  const overdue = overdueBy(job, facts, now);
  if (overdue !== null) return { state: 'overdue', since: toDate(overdue.since), ...base, reason: overdue.reason };
  if (facts.consecutiveFailures > 0) {
    const error = facts.lastError;
    const what = error === null ? 'failed' : `failed: ${error.code === undefined ? '' : `${error.code}: `}${error.message}`;
    const streak = facts.consecutiveFailures === 1 ? 'the last run' : `the last ${facts.consecutiveFailures} fires`;
    return { state: 'failing', since: toDate(facts.failingSince), ...base, reason: `${streak} ${what}` };
  }
  if (facts.lastSuccessAt === null && facts.lastFailureAt === null) {
    const reason = facts.newestScheduledAt === null ? 'not due yet: no run recorded' : 'no run has finished yet';
    return { state: 'pending', since: null, ...base, reason };
  }
  return { state: 'ok', since: null, ...base, reason: 'the last run that ran succeeded' };
}

/** Only the state (for filters that need no words). */
export function healthState(job: JobRecord, facts: HealthFacts, context: HealthContext): HealthState {
  return computeHealth(job, facts, context).state;
}

function overdueBy(job: JobRecord, facts: HealthFacts, now: number): { since: number | null; reason: string } | null {
  const policy = job.policy;
  if (job.func === null) {
    const loadError = loadErrorOf(job);
    if (loadError !== null) return { since: null, reason: `the stored job cannot be loaded (${loadError}); it never runs` };
    if (job.task !== null) return { since: null, reason: `its task "${job.task}" is not registered in this process; it never runs here` };
  }
  if (isStuck(job, facts, now)) {
    const due = job.dueAt as number;
    return {
      since: stuckAt(job, due),
      reason: `the fire due at ${iso(due)} has no run recorded after its misfire grace: the scheduler, its store or every node is stuck`,
    };
  }
  if (facts.notStarted >= policy.overdueAfterMissedFires) {
    return {
      since: facts.notStartedSince,
      reason: `${facts.notStarted} fire${facts.notStarted === 1 ? '' : 's'} in a row did not start (missed, skipped behind a running instance, or lost)`,
    };
  }
  const expect = policy.expectSuccessWithinSeconds;
  if (expect !== null) {
    const reference = facts.lastSuccessAt ?? facts.oldestScheduledAt;
    if (reference !== null && now > reference + expect * 1000) {
      const since = facts.lastSuccessAt === null ? 'no success recorded' : `last success at ${iso(facts.lastSuccessAt)}`;
      return { since: reference + expect * 1000, reason: `expected a success within ${expect} s: ${since}` };
    }
  }
  return null;
}

/** Rule 2a: the job's due time is past its grace (and the slack) and no run was recorded for it. */
export function isStuck(job: JobRecord, facts: HealthFacts, now: number): boolean {
  const due = job.dueAt;
  return due !== null && now > stuckAt(job, due) && (facts.newestScheduledAt === null || facts.newestScheduledAt < due);
}

function stuckAt(job: JobRecord, due: number): number {
  const grace = job.policy.misfireGraceTime;
  return due + (grace === null ? UNBOUNDED_GRACE_STUCK_MS : grace * 1000) + STUCK_SLACK_MS;
}

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** `the job is paused by an admin API caller (key 0) until 2026-01-01T06:00:00.000Z: disk full` (what is known of it). */
function pauseReason(what: string, pause: PauseState | null): string {
  if (pause === null) return `${what} is paused`;
  const until = pause.until === null ? '' : ` until ${iso(pause.until)}`;
  return `${what} is paused by ${describeActor(pause.by)}${until}${pause.note === null ? '' : `: ${pause.note}`}`;
}
