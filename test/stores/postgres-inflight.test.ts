/**
 * A fire stays in flight until the write that settles it has landed. The history writer reads live run
 * records (the executor settles a run in the same object), so a run that settles while its `running`
 * write is on the wire must not leave the in-flight set when that write returns: else, with its
 * settling write held up for a lease (a database restart), the node's own heartbeat would record the
 * finished run lost, and `retryLost` would run it again. No database needed: the pool is a stand-in.
 */
import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/run.js';
import type { StoreContext } from '../../src/stores/store.js';
import { HistoryWriter } from '../../src/stores/postgres/history.js';
import { InFlightFires } from '../../src/stores/postgres/in-flight.js';
import { PgSession } from '../../src/stores/postgres/session.js';

describe('the in-flight set of the PostgreSQL store', () => {
  it('keeps a fire that settled while its running write was in flight, until the settling write lands', async () => {
    let calls = 0;
    let releaseFirst: () => void = () => undefined;
    const pool = {
      query: (): Promise<{ rows: never[] }> => {
        calls++;
        if (calls === 1)
          return new Promise<void>((resolve) => {
            releaseFirst = resolve;
          }).then(() => ({ rows: [] }));
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
      },
      connect: (): Promise<never> => Promise.reject(new Error('no connection')),
    };
    const session = new PgSession('tickwork', 'node-a');
    session.pool = pool as unknown as PgSession['pool'];
    session.historyPool = pool as unknown as PgSession['historyPool'];
    session.registration = { epoch: 7, current: true };
    session.context = {
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      now: () => Date.now(),
      wake() {},
      onLostRun() {},
      hydrate() {
        throw new Error('not used');
      },
    } as unknown as StoreContext;
    const inFlight = new InFlightFires();
    const history: HistoryWriter = new HistoryWriter(session, inFlight, { firstMs: 500, maxMs: 30_000 }, () => history.write(false));
    const key = 'j\u00001000\u00001';
    inFlight.add(key, { jobId: 'j', scheduledAt: 1000, attempt: 1 });
    const run = {
      jobId: 'j',
      scheduledAt: 1000,
      attempt: 1,
      startedAt: 1000,
      finishedAt: null,
      outcome: 'running',
      latenessMs: 0,
      durationMs: null,
      error: null,
    } as unknown as RunRecord & { outcome: string; finishedAt: number | null };
    history.record(run);
    // Writes `running` now (forced: a started run's running state otherwise waits RUNNING_WRITE_AFTER_MS).
    const first = history.write(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    run.outcome = 'succeeded'; // the run settles while that write is on the wire
    run.finishedAt = 1010;
    history.update(run);
    releaseFirst();
    await first;
    await history.write(false); // the settling write fails: the database went away
    expect((history as unknown as { pending: Set<RunRecord> }).pending.has(run)).toBe(true);
    expect(inFlight.has(key)).toBe(true);
    history.stop();
  });
});
