// A pg-boss worker process of the cluster benchmark (see pgboss.mjs): inserts each fire's successor,
// reports the fire, runs a 20 ms handler.
import PgBoss from 'pg-boss';
import { fireId, QUEUE, SCHEMA, WORK } from './pgboss.mjs';
import { pgUrl } from './pg.mjs';
import { reportFire, reportReady, sleep, startWorkerRuntime } from './report.mjs';

const period = Number(process.env.BENCH_PERIOD_MS ?? 1000);
const boss = new PgBoss({
  connectionString: pgUrl(),
  schema: SCHEMA,
  max: WORK.loops + 4,
  schedule: false,
  supervise: true,
  maintenanceIntervalSeconds: WORK.maintenanceIntervalSeconds,
  application_name: `bench pg-boss w${process.env.BENCH_WORKER_INDEX}`,
});
boss.on('error', () => {
  /* visible as lateness/missing fires */
});

startWorkerRuntime({ onStop: () => boss.stop({ graceful: false, wait: true, timeout: 2000 }) });
await boss.start();

async function handler(jobs) {
  const started = Date.now();
  for (const job of jobs) reportFire(job.data.j, job.data.at, started);
  await boss.insert(
    jobs.map((job) => {
      const at = job.data.at + period;
      return { name: QUEUE, id: fireId(job.data.j, at), data: { j: job.data.j, at }, startAfter: new Date(at) };
    }),
  );
  await sleep(20);
}

for (let i = 0; i < WORK.loops; i++) {
  await boss.work(QUEUE, { batchSize: WORK.batchSize, pollingIntervalSeconds: WORK.pollingIntervalSeconds }, handler);
}
reportReady();
