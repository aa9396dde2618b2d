/**
 * A fire whose claim the store refuses is not run here, and the job it would have finished is not
 * removed here: the claim may have been rolled back as a whole (a node fenced while claiming), so the
 * one-off date job has not run anywhere yet. Before, such a date job was deleted without ever running.
 */
import { describe, expect, it } from 'vitest';
import type { JobRecord } from '../../src/core/job.js';
import type { RunRecord } from '../../src/core/run.js';
import { MemoryJobStore } from '../../src/stores/memory.js';
import type { ClaimingStore, FireClaim } from '../../src/stores/store.js';
import { harness } from '../helpers.js';

/** A claiming store (like PostgreSQL's) that refuses every claim and keeps its rows as they were. */
class RefusingClaims extends MemoryJobStore implements ClaimingStore {
  readonly claimsFires = true;
  readonly loopTuning = { maxSleepMs: 10_000, minGapMs: 0 };
  refuse = true;

  override putBack(jobs: JobRecord[], claims: readonly FireClaim[] = []): readonly FireClaim[] {
    if (!this.refuse) {
      super.putBack(jobs);
      return [];
    }
    return claims;
  }

  claimManual(): boolean {
    return true;
  }

  clockOffsetMs(): number {
    return 0;
  }

  saveRetry(job: JobRecord): boolean {
    this.update(job);
    return true;
  }

  recordUnclaimed(run: RunRecord): void {
    const job = this.get(run.jobId);
    if (job !== undefined) this.recordRun(run, job);
  }
}

describe('a refused claim', () => {
  it('neither runs the fire nor removes the date job it would have finished', async () => {
    const store = new RefusingClaims();
    const h = harness({ store });
    let ran = 0;
    h.scheduler.registerTask('once', () => void ran++);
    await h.scheduler.start();
    await h.scheduler.addDateJob('once', new Date(h.clock.now() + 1_000), 'report');
    await h.clock.advance(2_000);
    expect(ran).toBe(0);
    expect(h.logger.lines.some((l) => l.event === 'fire_claimed_elsewhere')).toBe(true);
    expect(await h.scheduler.getJob('report')).toBeDefined();
    await h.scheduler.shutdown();
  });
});
