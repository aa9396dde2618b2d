// A BullMQ worker process of the cluster benchmark (see bullmq.mjs): 20 ms handler, reports each fire.
import { setInterval } from 'node:timers';
import { Worker } from 'bullmq';
import { loadIORedis, REDIS } from './redis-client.mjs';
import { reportFire, reportNote, reportReady, sleep, startWorkerRuntime } from './report.mjs';

const IORedis = await loadIORedis();
const connection = new IORedis({ ...REDIS, maxRetriesPerRequest: null });
const lockMs = Number(process.env.BENCH_LOCK_MS ?? 30_000);
let checked = 0;
let disagree = 0;
let maxDiff = 0;

const worker = new Worker(
  process.env.BENCH_QUEUE,
  async (job) => {
    const started = Date.now();
    const id = String(job.id);
    const sched = Number(id.slice(id.lastIndexOf(':') + 1));
    reportFire(job.data.j, sched, started);
    // Cross-check: the job was created at job.timestamp with opts.delay = nextMillis − then (job.delay
    // itself reads 0 once the delayed job has been promoted).
    const alt = job.timestamp + (job.opts?.delay ?? 0);
    checked++;
    const diff = Math.abs(alt - sched);
    if (diff > 1) disagree++;
    if (diff > maxDiff) maxDiff = diff;
    await sleep(20);
  },
  {
    connection,
    prefix: process.env.BENCH_PREFIX,
    concurrency: Number(process.env.BENCH_CONCURRENCY ?? 100),
    lockDuration: lockMs,
    stalledInterval: lockMs,
  },
);
worker.on('error', () => {
  /* connection blips are visible as lateness/missing fires */
});

setInterval(
  () => reportNote(`bullmq idealTime check w${process.env.BENCH_WORKER_INDEX}`, { checked, disagreeOver1ms: disagree, maxDiffMs: maxDiff }),
  2000,
).unref();

startWorkerRuntime({
  onStop: async () => {
    await Promise.race([worker.close(), sleep(3000)]);
    connection.disconnect();
  },
});
await worker.waitUntilReady();
reportReady();
