// Fires and lateness of a window with --store=memory: the measured process keeps each job's newest runs
// in its MemoryJobStore (100 per job by default, the store the server gets from TICKWORK_STORE=memory and
// the library from `new SchedulerService({ logger })`), exactly what it records anyway, so nothing is
// added per fire. After the window (outside the CPU reading) the scheduler is paused (so no later fire
// pushes the window's runs out) and every job's runs are read back, newest first: by the library child
// in-process (scheduler.pause, scheduler.getRuns), for the server over POST /api/v1/scheduler/pause and
// GET /api/v1/jobs/<id>/runs (a page of PAGE runs, more pages by its cursor only when needed). The same
// tally as bench/server/history.mjs's SQL: runs started in [t0, t1) by outcome, and the succeeded runs
// whose scheduled time is in [t0, t1) with their latenessMs (p50/p99/max), the others counted apart.
//
// Exact as long as a job's history reaches back before the window: a job's runs are recorded in order
// (one run at a time per job), so once a run both scheduled and started MARGIN_MS before t0 is read, the
// older ones cannot be in the window. A job whose kept history ends (KEPT_RUNS runs) without reaching
// that far fails the case rather than undercount.

/** MemoryJobStore's default maxRunsPerJob. */
export const KEPT_RUNS = 100;
/** Page size of GET /jobs/<id>/runs: a 10 s window plus the 2 s settle is ~13 runs per job. */
export const PAGE = 20;
const MARGIN_MS = 2000;

function percentile(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/** A time as getRuns (Date) or the API (ISO string) gives it, in epoch ms; null stays null. */
function ms(value) {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/** Counts the runs of [t0, t1); `job` reads one job's history through `fetchPage(cursor)`. */
export function windowTally(t0, t1) {
  const started = {};
  const lateness = [];
  let notRun = 0;
  const add = (run) => {
    const scheduledAt = ms(run.scheduledAt);
    const startedAt = ms(run.startedAt);
    if (startedAt !== null && startedAt >= t0 && startedAt < t1) started[run.outcome] = (started[run.outcome] ?? 0) + 1;
    if (scheduledAt >= t0 && scheduledAt < t1) {
      if (run.outcome === 'succeeded') lateness.push(run.latenessMs);
      else notRun++;
    }
    // Older than the window on both times: the runs after this one (older still) cannot count.
    return scheduledAt < t0 - MARGIN_MS && (startedAt ?? scheduledAt) < t0 - MARGIN_MS;
  };
  return {
    /** `fetchPage(cursor)` resolves with { items (newest first), nextCursor } (cursor null: the newest page). */
    async job(jobId, fetchPage) {
      let cursor = null;
      let seen = 0;
      for (;;) {
        const { items, nextCursor } = await fetchPage(cursor);
        let reached = false;
        for (const run of items) {
          seen++;
          if (add(run)) reached = true;
        }
        if (reached) return;
        if (nextCursor === null || items.length === 0) {
          // The job's whole history was read: complete unless the store had already dropped older runs.
          if (seen >= KEPT_RUNS)
            throw new Error(`the kept run history of ${jobId} (${seen} runs) does not reach back before the window: cannot count it exactly`);
          return;
        }
        cursor = nextCursor;
      }
    },
    /** The shape of history.mjs's readWindow. */
    result() {
      const sorted = Float64Array.from(lateness).sort();
      return {
        started,
        onTime: {
          succeeded: sorted.length,
          otherOutcomes: notRun,
          latenessP50Ms: percentile(sorted, 0.5),
          latenessP99Ms: percentile(sorted, 0.99),
          latenessMaxMs: sorted.length === 0 ? null : sorted[sorted.length - 1],
        },
      };
    },
  };
}
