/**
 * The bounded reads of a job's run history that explain (explain.ts) needs around one fire, through the
 * store contract's only history query, `getRuns(jobId, { limit, before })` (newest first, strictly
 * before): the records at or just before the fire, the oldest record after it, and the run that held
 * the instance slot when a fire was skipped. Each read asks for at most PAGE records.
 */
import type { RunRecord } from '../core/run.js';
import type { JobStore } from '../stores/store.js';

/** Records per read. A fire's attempts (retries.max is at most 100) fit in the first read or the next. */
export const PAGE = 64;
/** How far back the slot holder of a skipped fire is looked for: the most a store keeps per job. */
export const HOLDER_SCAN = 1000;

async function page(store: JobStore, jobId: string, before: number, limit = PAGE): Promise<RunRecord[]> {
  return store.getRuns(jobId, { limit, before });
}

/** Up to PAGE records scheduled at or before `atMs`, newest first. */
export function recordsAtOrBefore(store: JobStore, jobId: string, atMs: number): Promise<RunRecord[]> {
  return page(store, jobId, atMs + 1);
}

/** Every record of the fire at `scheduledAt` (its attempts), in one or more reads. */
export async function attemptsOf(store: JobStore, jobId: string, scheduledAt: number, first: readonly RunRecord[]): Promise<RunRecord[]> {
  const at = first.filter((r) => r.scheduledAt === scheduledAt);
  // A full page of this one fire: older attempts may follow (the cursor is by scheduledAt, so ask for more at once).
  if (at.length === first.length && first.length === PAGE) {
    return (await page(store, jobId, scheduledAt + 1, 1000)).filter((r) => r.scheduledAt === scheduledAt);
  }
  return at;
}

/**
 * The oldest record scheduled strictly after `afterMs` and at or before `untilMs`, or null. Windows grow
 * from `firstSpan` until one holds a newer record; when a window's page is all newer records (the oldest
 * of them may be cut off), a bisection narrows it. About log2 of the span reads at worst, one usually.
 */
export async function oldestAfter(store: JobStore, jobId: string, afterMs: number, untilMs: number, firstSpan: number): Promise<RunRecord | null> {
  let span = Math.max(1000, firstSpan);
  let lo = afterMs + 1; // page(lo) holds nothing newer than afterMs
  for (;;) {
    const hi = Math.min(afterMs + span + 1, untilMs + 1);
    const found = await page(store, jobId, hi);
    const newer = found.filter((r) => r.scheduledAt > afterMs);
    if (newer.length > 0) {
      if (newer.length < found.length || found.length < PAGE) return newer[newer.length - 1] as RunRecord;
      return bisect(store, jobId, afterMs, lo, hi);
    }
    if (hi > untilMs) return null;
    lo = hi;
    span *= 8;
  }
}

/** page(lo) holds no record newer than afterMs; page(hi) is a full page of them: narrow to a page that shows the oldest. */
async function bisect(store: JobStore, jobId: string, afterMs: number, low: number, high: number): Promise<RunRecord | null> {
  let lo = low;
  let hi = high;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const found = await page(store, jobId, mid);
    const newer = found.filter((r) => r.scheduledAt > afterMs);
    if (newer.length === 0) lo = mid;
    else if (newer.length < found.length || found.length < PAGE) return newer[newer.length - 1] as RunRecord;
    else hi = mid;
  }
  // hi - lo = 1: the records newer than afterMs and before hi are those at lo, more than a page of one instant.
  const at = await page(store, jobId, hi, 1000);
  return at.filter((r) => r.scheduledAt > afterMs).pop() ?? null;
}

/**
 * The run of the job that was running at `atMs` (it held the instance slot a fire found taken): started
 * at or before it and not finished before it. Searched among the HOLDER_SCAN records scheduled before
 * `beforeMs`, newest first; null when none of them was (the holder was pruned, or ran on a store that
 * does not keep it).
 */
export async function runningAt(store: JobStore, jobId: string, atMs: number, beforeMs: number): Promise<RunRecord | null> {
  let before = beforeMs;
  for (let read = 0; read < HOLDER_SCAN; read += PAGE) {
    const found = await page(store, jobId, before);
    for (const r of found) {
      if (r.startedAt !== null && r.startedAt <= atMs && (r.finishedAt === null || r.finishedAt >= atMs)) return r;
    }
    const last = found[found.length - 1];
    if (found.length < PAGE || last === undefined) return null;
    before = last.scheduledAt;
  }
  return null;
}

/**
 * Every record scheduled in [fromMs, toMs], newest first, read a page at a time back from `toMs`; and
 * the page just before `fromMs` (where a stretch record covering `fromMs` is, as explain looks for one).
 * A job's history is bounded by its store's retention, so this is too.
 */
export async function recordsIn(store: JobStore, jobId: string, fromMs: number, toMs: number): Promise<{ inRange: RunRecord[]; before: RunRecord[] }> {
  const inRange: RunRecord[] = [];
  let before = toMs + 1;
  for (;;) {
    const found = await page(store, jobId, before);
    const oldest = found[found.length - 1]?.scheduledAt;
    if (oldest === undefined || oldest < fromMs) {
      for (const r of found) if (r.scheduledAt >= fromMs) inRange.push(r);
      break;
    }
    if (found.length < PAGE) {
      inRange.push(...found);
      break;
    }
    if ((found[0] as RunRecord).scheduledAt === oldest) {
      // One fire's attempts fill the page: all of them at once (the cursor is by scheduledAt).
      inRange.push(...(await page(store, jobId, oldest + 1, 1000)).filter((r) => r.scheduledAt === oldest));
      before = oldest;
      continue;
    }
    // The oldest fire of a full page may have more attempts in the next: it is read again there, whole.
    for (const r of found) if (r.scheduledAt !== oldest) inRange.push(r);
    before = oldest + 1;
  }
  return { inRange, before: await page(store, jobId, fromMs) };
}
