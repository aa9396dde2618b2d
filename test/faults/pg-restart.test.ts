/**
 * Fault: PostgreSQL crashes and restarts (`pg_ctlcluster … restart -m immediate`: no checkpoint, so run
 * outcomes written with asynchronous commit in the last moments are lost) while three nodes run 1 s jobs
 * whose runs are in flight.
 *
 * Before: a run whose settling write was lost kept counting as its job's running instance for as long as
 * its node lived, so every later fire of that job was recorded skipped: the job stopped firing for good.
 * (In this test's traffic the synchronous commits of claims flush those writes almost always in time, so the
 * test makes the loss certain: right after the restart it sets the newest outcome of 20 jobs back to
 * `running`, as a lost write leaves it.)
 * Now: each node records lost its own unsettled rows it no longer runs, every job fires again within 10 s of
 * the database being back, and no Idempotency-Key arrives twice. Prints the time to resume.
 *
 * Restarts the local PostgreSQL 15 cluster `main`: run it on its own (the fault suite runs files one at a
 * time). It leaves PostgreSQL running, also when it fails. Where pg_ctlcluster is missing it cuts the
 * nodes' connections instead (pg_terminate_backend), which loses no write.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pgAvailable, sql } from '../stores/pg-helpers.js';
import { Cluster, sleep } from './pg-cluster.js';

const RESUME_BOUND_MS = 10_000;
const CTL = '/usr/bin/pg_ctlcluster';
const canRestart = existsSync(CTL) && process.getuid?.() === 0;

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.stop();
  cluster = null;
});

function ctl(action: 'restart' | 'start'): void {
  execFileSync(CTL, ['--skip-systemctl-redirect', '15', 'main', action, ...(action === 'restart' ? ['-m', 'immediate'] : [])], {
    stdio: 'ignore',
    timeout: 60_000,
  });
}

async function ready(): Promise<boolean> {
  try {
    await sql('SELECT 1');
    return true;
  } catch {
    return false;
  }
}

async function waitReady(timeoutMs: number): Promise<number> {
  const end = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`PostgreSQL not back after ${timeoutMs} ms`);
    await sleep(50);
  }
  return Date.now();
}

describe.skipIf(!pgAvailable)('PostgreSQL cluster: the database restarted mid-run', () => {
  it('every 1 s job fires again within 10 s of PostgreSQL being back, and no Idempotency-Key arrives twice', async () => {
    const c = new Cluster();
    cluster = c;
    await c.listen(300);
    await c.start(3);
    const ids = await c.addJobs(200);
    await sleep(5_000);
    let backAt: number;
    const downAt = Date.now();
    try {
      if (canRestart) {
        ctl('restart');
      } else {
        await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tickwork %'`);
      }
      backAt = await waitReady(60_000);
    } finally {
      // Whatever happened, PostgreSQL is left running.
      if (canRestart && !(await ready())) {
        try {
          ctl('start');
        } catch {
          // started already, or starting: waited for below
        }
        await waitReady(60_000).catch(() => undefined);
      }
    }
    // What a crash loses: the last outcomes written with asynchronous commit. (A synchronous commit flushes
    // the WAL before it, so in this test's traffic the claims flush them almost always in time; the loss
    // is made certain here.) The newest outcome of 20 jobs is gone: their rows say running again.
    const reverted = await c.rows<{ job_id: string }>(
      `UPDATE {schema}.runs r SET status = 'running', finished_at = NULL, duration_ms = NULL FROM (
         SELECT DISTINCT ON (job_id) job_id, scheduled_at, attempt FROM {schema}.runs
         WHERE job_id = ANY($1) AND status = 'succeeded' ORDER BY job_id, scheduled_at DESC) newest
       WHERE r.job_id = newest.job_id AND r.scheduled_at = newest.scheduled_at AND r.attempt = newest.attempt RETURNING r.job_id`,
      [ids.slice(0, 20)],
    );
    expect(reverted.length).toBe(20);
    const revertedAt = Date.now();
    await sleep(RESUME_BOUND_MS + 5_000);

    // Per job, the first fire that reached the receiver after the database was back.
    const firstAfter = new Map<string, number>();
    for (const r of c.received) if (r.at >= backAt && !firstAfter.has(r.jobId)) firstAfter.set(r.jobId, r.at);
    const silent = ids.filter((id) => !firstAfter.has(id));
    const resume = Math.max(...ids.map((id) => (firstAfter.get(id) ?? Number.POSITIVE_INFINITY) - backAt));
    // And the job keeps firing: a fire in the last 3 s for every job (a job stuck on a lost write fires no more).
    const end = Date.now();
    const lastFire = new Map<string, number>();
    for (const r of c.received) lastFire.set(r.jobId, Math.max(lastFire.get(r.jobId) ?? 0, r.at));
    const stalled = ids.filter((id) => (lastFire.get(id) ?? 0) < end - 3_000);
    // The 20 jobs whose outcome was lost: fired again (after their row was repaired) within the bound.
    const repaired = Math.max(
      ...reverted.map(({ job_id }) => (c.received.find((r) => r.jobId === job_id && r.at > revertedAt)?.at ?? Number.POSITIVE_INFINITY) - revertedAt),
    );
    const duplicates = c.duplicates();
    const skipped = await c.rows<{ n: number }>(`SELECT count(*)::int AS n FROM {schema}.runs WHERE status = 'skipped' AND scheduled_at > $1`, [
      backAt + RESUME_BOUND_MS,
    ]);
    console.log(
      `[fault: PostgreSQL ${canRestart ? 'restarted -m immediate' : 'connections cut'}] down for ${backAt - downAt} ms; fires resumed on all nodes ` +
        `${Number.isFinite(resume) ? resume : 'never'} ms after it was back; jobs whose outcome was lost fired again within ${Number.isFinite(repaired) ? repaired : 'never'} ms; ${stalled.length} jobs stalled at the end, ${skipped[0]?.n ?? 0} fires skipped after the bound, duplicates ${duplicates.length}`,
    );

    expect(duplicates, 'no Idempotency-Key twice').toEqual([]);
    expect(silent, 'jobs that never fired after the restart').toEqual([]);
    expect(resume, 'ms from the database being back to every job firing').toBeLessThanOrEqual(RESUME_BOUND_MS);
    expect(repaired, 'ms from a lost outcome to its job firing again').toBeLessThanOrEqual(RESUME_BOUND_MS);
    expect(stalled, 'jobs that stopped firing').toEqual([]);
  }, 120_000);
});
