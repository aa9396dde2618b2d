/**
 * The fires this node has claimed and not yet settled in the database, and those it must never record:
 * the heartbeat records lost this node's unsettled rows that are not in flight (a settling write lost in
 * a database crash), and a node that was fenced (declared dead while paused) records nothing of the
 * fires it had then, nor schedules their retries.
 */
import type { RunRecord } from '../../core/run.js';
import type { InFlightKeys } from './heartbeat.js';

/** A fire this node has claimed, by its identity. */
export interface InFlightFire {
  jobId: string;
  scheduledAt: number;
  attempt: number;
}

/** A fire's identity as one string. */
export function fireKey(jobId: string, scheduledAt: number, attempt: number): string {
  return `${jobId}\u0000${scheduledAt}\u0000${attempt}`;
}

export class InFlightFires {
  /** Claimed under the current epoch, settled state not yet written: fire key to fire. */
  private readonly fires = new Map<string, InFlightFire>();
  /** Fires in flight when this node was fenced: whatever they record later is dropped, and they are not retried. */
  private readonly fenced = new Set<string>();

  get size(): number {
    return this.fires.size;
  }

  has(key: string): boolean {
    return this.fires.has(key);
  }

  add(key: string, fire: InFlightFire): void {
    this.fires.set(key, fire);
  }

  delete(key: string): void {
    this.fires.delete(key);
  }

  /** The fires in flight as columns, for the heartbeat's repair of this node's own rows. */
  keys(): InFlightKeys {
    const keys: InFlightKeys = { jobIds: [], scheduledAts: [], attempts: [] };
    for (const fire of this.fires.values()) {
      keys.jobIds.push(fire.jobId);
      keys.scheduledAts.push(fire.scheduledAt);
      keys.attempts.push(fire.attempt);
    }
    return keys;
  }

  /**
   * A run of a fenced registration: recorded nowhere (the database says `lost`, and stays so). Its key
   * stays fenced (until close) so that a retry of it is not scheduled either (see retryFenced).
   */
  isFenced(run: RunRecord): boolean {
    return this.fenced.size !== 0 && this.fenced.has(fireKey(run.jobId, run.scheduledAt, run.attempt));
  }

  /** The attempt a pending retry follows ran under a fenced registration: nothing of it counts. */
  retryFenced(jobId: string, retry: { scheduledAt: number; attempt: number }): boolean {
    return this.fenced.size !== 0 && this.fenced.has(fireKey(jobId, retry.scheduledAt, retry.attempt - 1));
  }

  /** This node was fenced: what it has in flight, and the records it has not written yet, are fenced. */
  fence(unwritten: Iterable<RunRecord>): void {
    for (const key of this.fires.keys()) this.fenced.add(key);
    this.fires.clear();
    for (const run of unwritten) this.fenced.add(fireKey(run.jobId, run.scheduledAt, run.attempt));
  }

  /** The store closed: a registration after it starts afresh. */
  clear(): void {
    this.fires.clear();
    this.fenced.clear();
  }
}
