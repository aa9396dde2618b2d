/**
 * explain: why the fire of a job nearest to an instant ran or did not (core/explain.ts has the verdicts;
 * docs/semantics.md#explain says the same for users). A read: the job's current trigger gives the fire
 * times around the instant (triggers/fires-around.ts), a few bounded reads of its history the records
 * around the fire (explain-history.ts). Decided in this order, the first that applies:
 * 1. no fire within NEAR_MS of the instant (outside the start and end dates, or between fires): not_scheduled;
 * 2. the fire is in the future: pending;
 * 3. it has records of its own: their last attempt's outcome (ran, missed, skipped, lost);
 * 4. an older record standing for a stretch of fires covers it (a skipped or missed backlog): that record;
 * 5. the oldest newer record is a coalesced run that stood for it: coalesced;
 * 6. nothing is recorded at or after it: paused (the job or the scheduler is paused now), pending (due,
 *    within its misfire grace), or missed (past its grace with no run: the scheduler or store is stuck);
 * 7. it is older than the oldest kept record: pruned; otherwise not_scheduled (records before and after
 *    it, none for it: the job was paused then, or had another trigger).
 */
import { InvalidArgumentError } from '../core/errors.js';
import type { ExplainEvidence, Explanation, ExplainPause, ExplainVerdict, FireTime } from '../core/explain.js';
import { iso } from '../core/format.js';
import type { JobRecord } from '../core/job.js';
import { describeActor, type PauseState } from '../core/pause.js';
import { toRun, type RunRecord } from '../core/run.js';
import { parseDateInput } from '../triggers/date-input.js';
import { firesAround, type MarkedFire } from '../triggers/fires-around.js';
import type { JobStore } from '../stores/store.js';
import { attemptsOf, oldestAfter, recordsAtOrBefore, runningAt } from './explain-history.js';
import { STUCK_SLACK_MS, UNBOUNDED_GRACE_STUCK_MS } from './health.js';
import { withoutOutput } from './job-info.js';

/** How close to a fire time `at` must be to name it: a time typed to the minute, or a run's start a little late. */
export const NEAR_MS = 60_000;

export interface ExplainInput {
  store: JobStore;
  job: JobRecord;
  atMs: number;
  now: number;
  schedulerPaused: boolean;
  /** The scheduler's pause while it is paused (who, since when), null otherwise or when not known. */
  schedulerPause?: PauseState | null;
  /** The scheduledAt of the oldest record the job's history keeps (null: none); asked only when a verdict needs it. */
  oldestKept: () => Promise<number | null>;
}

/** `at` as epoch ms: a Date or an ISO 8601 string with a zone; INVALID_ARGUMENT naming `at` otherwise. */
export function parseExplainAt(at: unknown): number {
  try {
    return parseDateInput(at, 'at');
  } catch (error) {
    const message = (error as Error).message;
    throw new InvalidArgumentError(message, [{ path: 'at', message }]);
  }
}

export async function explainFire(input: ExplainInput): Promise<Explanation> {
  const { store, job, atMs, now } = input;
  const around = firesAround(job.trigger, atMs);
  const base: ExplainEvidence = { reason: '', at: new Date(atMs), now: new Date(now), fireBefore: fireTime(around.before), fireAfter: fireTime(around.after) };
  // Said of the fire explained when a DST rule moved it.
  let dst = '';
  const answer = (verdict: ExplainVerdict, scheduledAt: number | null, reason: string, more: Partial<ExplainEvidence> = {}): Explanation => ({
    verdict,
    scheduledAt: scheduledAt === null ? null : new Date(scheduledAt),
    evidence: { ...base, ...more, reason: scheduledAt === null ? reason : `${reason}${dst}` },
  });

  const fire = nearest(atMs, around.before, around.after);
  if (fire === null) return answer('not_scheduled', null, notNear(job, atMs, around.before, around.after));
  const at = fire.at;
  if (fire.dst !== undefined) {
    dst = `; a DST rule moved this fire (${fire.dst === 'shifted' ? 'shifted out of a gap in local time' : 'the second of a repeated local time'})`;
  }
  if (at > now) return answer('pending', at, `the fire at ${iso(at)} is in the future`);

  const older = await recordsAtOrBefore(store, job.id, at);
  const own = await attemptsOf(store, job.id, at, older);
  if (own.length > 0) return fromRecords(input, at, own, answer);

  const stretch = older.find((r) => r.scheduledAt < at && r.lastScheduledAt !== undefined && r.lastScheduledAt >= at);
  if (stretch !== undefined) return fromStretch(input, at, stretch, answer);

  const nextFire = job.trigger.next(at);
  const newer = await oldestAfter(store, job.id, at, now, nextFire === null ? NEAR_MS : nextFire - at);
  if (newer !== null && coalescedOver(job, at, newer)) {
    const fires = newer.coalesced as number;
    return answer(
      'coalesced',
      at,
      `coalesced into the run of ${iso(newer.scheduledAt)} (${describeOutcome(newer)}), which stood for ${fires} fires: the job coalesces fires that fall due together`,
      { run: shown(newer), fires },
    );
  }
  if (newer === null) {
    const nothing = `no run is recorded for the fire at ${iso(at)} or after it`;
    if (job.paused) return answer('paused', at, `the job is paused and ${nothing}`, { pause: pauseOf('job', job.pause) });
    if (input.schedulerPaused)
      return answer('paused', at, `the scheduler is paused and ${nothing}`, { pause: pauseOf('scheduler', input.schedulerPause ?? null) });
    const graceMs = job.policy.misfireGraceTime === null ? UNBOUNDED_GRACE_STUCK_MS : job.policy.misfireGraceTime * 1000;
    const due = job.nextRunTime === null || job.nextRunTime <= at;
    if (due && now <= at + graceMs + STUCK_SLACK_MS) return answer('pending', at, `the fire at ${iso(at)} is due; its run is not recorded yet`);
    if (due) {
      const why =
        job.func === null && job.task !== null ? `its task "${job.task}" is not registered in this process` : 'the scheduler, its store or every node is stuck';
      return answer('missed', at, `${nothing}, ${now - at} ms after it, past its misfire grace: ${why}`, {
        latenessMs: now - at,
        misfireGraceSeconds: job.policy.misfireGraceTime,
      });
    }
  }
  const oldest = await input.oldestKept();
  if (oldest === null || at < oldest) {
    const kept = oldest === null ? 'the job keeps no run history' : `the oldest record kept is of ${iso(oldest)}`;
    return answer('pruned', at, `the fire at ${iso(at)} is older than the job's kept history (${kept}): it no longer tells (or the job did not exist yet)`, {
      oldestKept: oldest === null ? null : new Date(oldest),
    });
  }
  return answer(
    'not_scheduled',
    at,
    `no run is recorded for the fire at ${iso(at)} while the history has runs before and after it: the job was not scheduled then (it was paused, and a resume starts from the next fire after it, or it had another trigger)`,
  );
}

type Answer = (verdict: ExplainVerdict, scheduledAt: number | null, reason: string, more?: Partial<ExplainEvidence>) => Explanation;

/** The fire's own records: the last attempt decides. */
async function fromRecords(input: ExplainInput, at: number, own: RunRecord[], answer: Answer): Promise<Explanation> {
  const sorted = [...own].sort((a, b) => a.attempt - b.attempt);
  const first = sorted[0] as RunRecord;
  const last = sorted[sorted.length - 1] as RunRecord;
  const fires = last.coalesced === undefined ? {} : { fires: last.coalesced };
  switch (last.outcome) {
    case 'missed':
    case 'skipped':
    case 'lost':
    case 'paused':
      return fromStretch(input, at, last, answer);
    case 'excluded':
      // Not run by design: a calendar, one of the job's dates, or a one-off skip (the message says which).
      return answer('excluded', at, `excluded: ${last.error?.message ?? 'an exclusion ruled it out'}`, { run: shown(last) });
    default: {
      const late = first.latenessMs === null ? '' : `, started ${first.latenessMs} ms after it was due`;
      const attempts = last.attempt > 1 ? ` after ${last.attempt} attempts` : '';
      const stood = last.coalesced === undefined ? '' : ` (standing for ${last.coalesced} fires)`;
      return answer('ran', at, `it ran${stood}: ${describeOutcome(last)}${attempts}${late}`, {
        run: shown(last),
        attempts: last.attempt,
        latenessMs: first.latenessMs,
        ...fires,
      });
    }
  }
}

/** A missed, skipped or lost record of the fire, or one standing for a stretch of fires that covers it. */
async function fromStretch(input: ExplainInput, at: number, record: RunRecord, answer: Answer): Promise<Explanation> {
  const { job, store } = input;
  const fires = record.coalesced === undefined ? {} : { fires: record.coalesced };
  const stretch = record.scheduledAt !== at ? ` (one record for ${record.coalesced ?? 1} fires from ${iso(record.scheduledAt)})` : '';
  switch (record.outcome) {
    case 'missed': {
      const grace = job.policy.misfireGraceTime;
      const why =
        record.error?.code === 'MAX_CATCH_UP'
          ? `more fires were due at once than the catch-up limit; the oldest were not run: ${record.error.message}`
          : `it would have started ${record.latenessMs ?? '?'} ms after it was due, past its misfire grace of ${grace === null ? 'unbounded' : `${grace} s`}`;
      return answer('missed', at, `missed${stretch}: ${why}`, { run: shown(record), latenessMs: record.latenessMs, misfireGraceSeconds: grace, ...fires });
    }
    case 'skipped': {
      const judged = record.scheduledAt + (record.latenessMs ?? 0);
      const holder = await runningAt(store, job.id, judged, record.scheduledAt);
      const held = holder === null ? 'the run holding the slot is not in the kept history' : `the run of ${iso(holder.scheduledAt)} held the slot`;
      return answer('skipped', at, `skipped${stretch}: maxInstances (${job.policy.maxInstances}) runs were running when it came due; ${held}`, {
        run: shown(record),
        latenessMs: record.latenessMs,
        maxInstances: job.policy.maxInstances,
        heldBy: holder === null ? null : shown(holder),
        ...fires,
      });
    }
    case 'lost': {
      const where = record.node === undefined ? 'its process died (found running at the next start)' : `its node "${record.node}" stopped heartbeating`;
      const when = record.finishedAt === null ? '' : `; declared lost at ${iso(record.finishedAt)}`;
      return answer('lost', at, `lost${stretch}: ${where}${when}`, {
        run: shown(record),
        node: record.node ?? null,
        lostAt: record.finishedAt === null ? null : new Date(record.finishedAt),
        ...fires,
      });
    }
    case 'paused':
      // The record of the fires a pause kept from running (written when the pause ended).
      return answer(
        'paused',
        at,
        `paused${stretch}: the job was paused then and the fire was not run${record.error === null ? '' : ` (${record.error.message})`}`,
        {
          run: shown(record),
          pause: pauseOf('job', null),
          ...fires,
        },
      );
    default:
      // A stretch of a cancelled backlog (shutdown, cancelRun): the fires never started.
      return answer('ran', at, `it was submitted and ${describeOutcome(record)}${stretch}`, {
        run: shown(record),
        attempts: record.attempt,
        latenessMs: record.latenessMs,
        ...fires,
      });
  }
}

/** A coalesced run (coalesce: true) stands for `coalesced` fires ending at its own: does that count reach back to `at`? */
function coalescedOver(job: JobRecord, at: number, record: RunRecord): boolean {
  const count = record.coalesced;
  if (count === undefined || count < 2) return false;
  // A coalesced run has no lastScheduledAt; a coalesced fire skipped has it equal to its scheduledAt.
  if (record.lastScheduledAt !== undefined && record.lastScheduledAt !== record.scheduledAt) return false;
  return job.trigger.dueFires(at, record.scheduledAt, 1).total <= count;
}

function describeOutcome(record: RunRecord): string {
  const error = record.error === null ? '' : `: ${record.error.code === undefined ? '' : `${record.error.code}: `}${record.error.message}`;
  if (record.outcome === 'cancelled' && record.startedAt === null) return `cancelled before it started${error}`;
  return `${record.outcome.replace('_', ' ')}${error}`;
}

/** The fire nearest to `atMs` (ties: the earlier), if within NEAR_MS. */
function nearest(atMs: number, before: MarkedFire | null, after: MarkedFire | null): MarkedFire | null {
  const b = before === null ? Infinity : atMs - before.at;
  const a = after === null ? Infinity : after.at - atMs;
  const fire = b <= a ? before : after;
  return fire !== null && Math.min(a, b) <= NEAR_MS ? fire : null;
}

function notNear(job: JobRecord, atMs: number, before: MarkedFire | null, after: MarkedFire | null): string {
  const spec = job.trigger.toSpec();
  // A date trigger has neither; an or/and has its children's.
  const start = 'startDate' in spec ? spec.startDate : undefined;
  const end = 'endDate' in spec ? spec.endDate : undefined;
  const around = `the nearest fires are ${before === null ? 'none before' : `${iso(before.at)}${mark(before)} before`} and ${after === null ? 'none after' : `${iso(after.at)}${mark(after)} after`}`;
  if (start !== undefined && atMs < Date.parse(start)) return `${iso(atMs)} is before the trigger's start date ${start}; ${around}`;
  if (end !== undefined && atMs > Date.parse(end)) return `${iso(atMs)} is after the trigger's end date ${end}; ${around}`;
  return `${iso(atMs)} is not a fire time of "${job.trigger.describe()}" (none within ${NEAR_MS / 1000} s); ${around}`;
}

function mark(fire: MarkedFire): string {
  return fire.dst === undefined ? '' : fire.dst === 'shifted' ? ' (shifted by DST out of a gap)' : ' (repeated local time, DST)';
}

function fireTime(fire: MarkedFire | null): FireTime | null {
  if (fire === null) return null;
  return fire.dst === undefined ? { at: new Date(fire.at) } : { at: new Date(fire.at), dst: fire.dst };
}

function shown(record: RunRecord): ReturnType<typeof toRun> {
  return withoutOutput(toRun(record));
}

/** The pause a verdict names; since and by are null when not known (a past pause, or one kept by an older version). */
function pauseOf(scope: 'job' | 'scheduler', pause: PauseState | null): ExplainPause {
  return pause === null ? { scope, since: null, by: null } : { scope, since: new Date(pause.since), by: describeActor(pause.by) };
}
