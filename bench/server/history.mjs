// Fires and lateness of a window, from the scheduler's own run history: the SQLite file the measured
// process wrote, opened read-only after that process has exited (the store holds an exclusive lock while
// it runs). The store writes one `runs` row per run (a synchronous task that returns: outcome
// `succeeded`, started_at and lateness_ms = start - scheduled time, set by the scheduler) in the same
// transaction as the job's schedule advance, and keeps 1000 rows per job and 30 days: far more than a
// benchmark run makes. So the rows are exactly the fires, in every case alike, and nothing in the measured
// process counts anything for the benchmark.
import Database from 'better-sqlite3';

function percentile(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

/**
 * - `started`: runs started in [t0, t1) by outcome (the fires the CPU of the window paid for);
 * - `onTime`: succeeded runs whose ideal time is in [t0, t1) (compared with what was owed), and their
 *   lateness p50/p99/max in ms.
 */
export function readWindow(path, t0, t1) {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const started = {};
    for (const row of db.prepare('SELECT outcome, COUNT(*) AS n FROM runs WHERE started_at >= ? AND started_at < ? GROUP BY outcome').all(t0, t1)) {
      started[row.outcome] = row.n;
    }
    const lateness = Float64Array.from(
      db.prepare("SELECT lateness_ms FROM runs WHERE outcome = 'succeeded' AND scheduled_at >= ? AND scheduled_at < ?").pluck().all(t0, t1),
    ).sort();
    const notRun = db.prepare("SELECT COUNT(*) FROM runs WHERE outcome <> 'succeeded' AND scheduled_at >= ? AND scheduled_at < ?").pluck().get(t0, t1);
    return {
      started,
      onTime: {
        succeeded: lateness.length,
        otherOutcomes: notRun,
        latenessP50Ms: percentile(lateness, 0.5),
        latenessP99Ms: percentile(lateness, 0.99),
        latenessMaxMs: lateness.length === 0 ? null : lateness[lateness.length - 1],
      },
    };
  } finally {
    db.close();
  }
}
