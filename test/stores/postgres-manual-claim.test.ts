/**
 * A manual run on PostgreSQL is claimed first. When the claim is not written, the scheduler must say why:
 * the job's instance slots are taken (MAX_INSTANCES_REACHED), or this node was fenced (its registration
 * lost to a sweep) and nothing was started (STORE_UNAVAILABLE, retry). A fenced node once answered the
 * first, naming a limit no run held.
 */
import { describe, expect, it } from 'vitest';
import { SchedulerService } from '../../src/scheduler/service.js';
import { PostgresJobStore } from '../../src/stores/postgres/store.js';
import { captureLogger } from '../helpers.js';
import { dropSchema, pgAvailable, PG_URL, schemaName, sql } from './pg-helpers.js';

describe.skipIf(!pgAvailable)('a manual run on PostgreSQL that cannot be claimed', () => {
  it('is STORE_UNAVAILABLE on a fenced node, MAX_INSTANCES_REACHED when the slots are taken', async () => {
    const schema = schemaName();
    // No heartbeat during the test: the node stays fenced until it is told so.
    const store = new PostgresJobStore({ connectionString: PG_URL, schema, heartbeatSeconds: 60, leaseSeconds: 120 });
    const s = new SchedulerService({ store, logger: captureLogger('error'), timezone: 'UTC' });
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    s.registerTask('slow', () => held);
    try {
      await s.addJob({ id: 'j', func: 'slow', trigger: { type: 'interval', seconds: 3600 } });
      await s.start();
      await s.runJobNow('j'); // takes the job's one slot until released
      await expect(s.runJobNow('j')).rejects.toMatchObject({ code: 'MAX_INSTANCES_REACHED' });

      release();
      // Once the first run's outcome is written, the slot is free: the claim can then fail on the fence alone.
      await expect
        .poll(async () => (await sql<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".runs WHERE status IN ('claimed', 'running')`))[0]?.n, {
          timeout: 5000,
        })
        .toBe(0);
      await sql(`UPDATE "${schema}".nodes SET epoch = epoch + 1 WHERE id = $1`, [store.nodeId]);
      const error = await s.runJobNow('j').then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', status: 503 });
      expect((error as Error).message).toMatch(/lost its registration/);
    } finally {
      release();
      await s.shutdown({ timeoutSeconds: 5 }).catch(() => undefined);
      await dropSchema(schema);
    }
  });
});
