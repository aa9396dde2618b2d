// System: pg-boss 10 on PostgreSQL (schema pgboss_bench, dropped before and after each run).
//
// pg-boss has no per-second recurring schedule: `boss.schedule(name, cron)` is cron at minute resolution
// (its cron monitor checks every 30–60 s). The closest honest equivalent of "every 1 s" is a
// self-rescheduling chain: each job carries its ideal time `at`; when a worker starts it, it first
// inserts the job's successor with startAfter = at + 1 s (a deferred send, as `sendAfter` does) under a
// deterministic id (a UUID from sha1(jobId@time)), so a fire that runs twice cannot fork the chain (pg-boss
// inserts with ON CONFLICT DO NOTHING). No fire is ever skipped: a chain that falls behind stays behind
// (no coalescing). Workers: 3 processes × 4 `work()` loops, batchSize 250, pollingIntervalSeconds 0.5
// (pg-boss's minimum: fires are picked up by polling, not at their time). Failure detection: the queue's
// expireInSeconds 5, retryLimit 1, retryDelay 0, maintenance (which expires jobs) every 2 s; pg-boss's
// defaults (15 min expiry, maintenance every 2 min) would leave a killed worker's jobs stuck for minutes.
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { dropSchema, pgUrl } from './pg.mjs';

export const SCHEMA = 'pgboss_bench';
export const QUEUE = 'fire';
export const WORK = { loops: 4, batchSize: 250, pollingIntervalSeconds: 0.5, expireInSeconds: 5, retryLimit: 1, maintenanceIntervalSeconds: 2 };

/** A UUID derived from (job, ideal time): the same fire always gets the same pg-boss id. */
export function fireId(job, at) {
  const h = createHash('sha1').update(`${job}@${at}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function loadPgBoss() {
  const m = await import('pg-boss');
  return m.default ?? m;
}

export default {
  name: 'pg-boss',
  description: `pg-boss self-rescheduling chain (successor inserted with startAfter = ideal + 1 s, deterministic id), 3 workers × ${WORK.loops} work() loops, batchSize ${WORK.batchSize}, polling ${WORK.pollingIntervalSeconds} s, 20 ms handler, expireIn ${WORK.expireInSeconds} s, maintenance every ${WORK.maintenanceIntervalSeconds} s`,
  storeProcesses: ['postgres'],
  async setup({ jobs, periodMs }) {
    await dropSchema(SCHEMA);
    const PgBoss = await loadPgBoss();
    const boss = new PgBoss({ connectionString: pgUrl(), schema: SCHEMA, max: 4, supervise: false, schedule: false, application_name: 'bench pg-boss setup' });
    boss.on('error', () => {});
    await boss.start();
    await boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard', retryLimit: WORK.retryLimit, retryDelay: 0, expireInSeconds: WORK.expireInSeconds });
    return { jobs, periodMs, boss };
  },
  worker() {
    return {
      modulePath: fileURLToPath(new URL('./pgboss-worker.mjs', import.meta.url)),
      env: { BENCH_PERIOD_MS: '1000' },
    };
  },
  async start(ctx, cluster) {
    await cluster.waitReady(60_000);
    // First fires from 1 s from now, spread evenly over one period (like jobs added one after another).
    const base = Date.now() + 1000;
    const rows = [];
    for (let i = 0; i < ctx.jobs; i++) {
      const j = `j${i}`;
      const at = base + Math.floor((i * ctx.periodMs) / ctx.jobs);
      rows.push({ name: QUEUE, id: fireId(j, at), data: { j, at }, startAfter: new Date(at) });
    }
    for (let i = 0; i < rows.length; i += 2000) await ctx.boss.insert(rows.slice(i, i + 2000));
  },
  /** One more job (its first fire in 24 h: it does not fire during the run), sent by the harness's pg-boss (pool of 4). */
  async createOne(ctx, i) {
    const j = `c${i}`;
    const at = Date.now() + 86_400_000;
    await ctx.boss.send(QUEUE, { j, at }, { id: fireId(j, at), startAfter: new Date(at) });
  },
  restartable: true,
  async teardown(ctx) {
    try {
      await ctx.boss.stop({ graceful: false, wait: true, timeout: 2000 });
    } catch {
      /* ignore */
    }
    await dropSchema(SCHEMA);
  },
};
