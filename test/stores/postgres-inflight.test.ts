/**
 * A fire stays in flight until the write that settles it has landed. The history writer reads live run
 * records (the executor settles a run in the same object), so a run that settles while its `running`
 * write is on the wire must not leave the in-flight set when that write returns: else, with its
 * settling write held up for a lease (a database restart), the node's own heartbeat would record the
 * finished run lost, and `retryLost` would run it again. No database needed: the pool is a stand-in.
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';

interface Internals {
  pool: unknown;
  historyPool: unknown;
  heartbeat: unknown;
  context: unknown;
  lastPrune: number;
  flushTimer: ReturnType<typeof setTimeout> | null;
  inFlight: Map<string, { jobId: string; scheduledAt: number; attempt: number }>;
  pending: Set<RunRecord>;
  recordRun(run: RunRecord): void;
  updateRun(run: RunRecord): void;
  flush(): Promise<void>;
}

describe('the in-flight set of the PostgreSQL store', () => {
  it('keeps a fire that settled while its running write was in flight, until the settling write lands', async () => {
    const store = new PostgresJobStore({ connectionString: 'postgres://x@127.0.0.1:1/none' }) as unknown as Internals;
    let calls = 0;
    let releaseFirst: () => void = () => undefined;
    const pool = {
      query: (): Promise<{ rows: never[] }> => {
        calls++;
        if (calls === 1) return new Promise<void>((resolve) => { releaseFirst = resolve; }).then(() => ({ rows: [] }));
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      },
      connect: (): Promise<never> => Promise.reject(new Error('no connection')),
    };
    store.pool = pool;
    store.historyPool = pool;
    store.heartbeat = { epoch: 7, current: true };
    store.context = { logger: { debug() {}, info() {}, warn() {}, error() {} }, now: () => Date.now(), wake() {}, onLostRun() {}, hydrate() { throw new Error('not used'); } };
    store.lastPrune = Number.POSITIVE_INFINITY;
    const key = 'j\u00001000\u00001';
    store.inFlight.set(key, { jobId: 'j', scheduledAt: 1000, attempt: 1 });
    const run = { jobId: 'j', scheduledAt: 1000, attempt: 1, startedAt: 1000, finishedAt: null, outcome: 'running', latenessMs: 0, durationMs: null, error: null } as unknown as RunRecord & { outcome: string; finishedAt: number | null };
    store.recordRun(run);
    const first = store.flush(); // writes `running`
    await new Promise((resolve) => setTimeout(resolve, 10));
    run.outcome = 'succeeded'; // the run settles while that write is on the wire
    run.finishedAt = 1010;
    store.updateRun(run);
    releaseFirst();
    await first;
    await store.flush().catch(() => undefined); // the settling write fails: the database went away
    expect(store.pending.has(run)).toBe(true);
    expect(store.inFlight.has(key)).toBe(true);
    if (store.flushTimer !== null) clearTimeout(store.flushTimer);
  });
});
