// System: BullMQ 6 job schedulers on Redis (127.0.0.1:6379). One scheduler per job,
// `queue.upsertJobScheduler(id, { every: periodMs }, { name: 'fire', data: { j: id } })`, 3 worker
// processes (bullmq-worker.mjs) with a 20 ms handler. A unique queue name and key prefix per run; all its
// keys are deleted before and after.
//
// Ideal time: BullMQ names each scheduled job `repeat:<schedulerId>:<nextMillis>`, where nextMillis is the
// fire time its Lua script computed: an `every` scheduler fires first at the moment it is upserted and
// then at prev + every (when it falls behind it jumps to the next slot of the same grid, skipping the
// missed ones). It is not aligned to Math.floor(t / every) * every. The worker reads nextMillis from the
// job id, and cross-checks it against job.timestamp + job.delay (see the run's notes).
import { fileURLToPath } from 'node:url';
import { loadIORedis, REDIS } from './redis-client.mjs';

export const PREFIX = 'tickbench';

export function variant({ name = 'bullmq', lockMs = 30_000 } = {}) {
  return {
    name,
    description: `BullMQ job schedulers (every: 1000 ms) on Redis, 3 workers × concurrency 100, 20 ms handler, lockDuration ${lockMs / 1000} s, stalledInterval ${lockMs / 1000} s`,
    storeProcesses: ['redis-server'],
    async setup({ jobs, periodMs, runId }) {
      const IORedis = await loadIORedis();
      const queueName = `q${runId}`;
      const redis = new IORedis({ ...REDIS, maxRetriesPerRequest: 3, lazyConnect: false, connectTimeout: 5000 });
      await deleteKeys(redis, `${PREFIX}:${queueName}:*`);
      return { jobs, periodMs, queueName, redis, IORedis, lockMs };
    },
    worker(index, ctx) {
      return {
        modulePath: fileURLToPath(new URL('./bullmq-worker.mjs', import.meta.url)),
        env: { BENCH_QUEUE: ctx.queueName, BENCH_PREFIX: PREFIX, BENCH_LOCK_MS: String(ctx.lockMs), BENCH_CONCURRENCY: '100' },
      };
    },
    async start(ctx, cluster) {
      await cluster.waitReady(30_000);
      const { Queue } = await import('bullmq');
      const conn = new ctx.IORedis({ ...REDIS, maxRetriesPerRequest: 3 });
      const queue = new Queue(ctx.queueName, { connection: conn, prefix: PREFIX });
      ctx.queue = queue;
      ctx.conn = conn;
      const ids = Array.from({ length: ctx.jobs }, (_, i) => `j${i}`);
      for (let i = 0; i < ids.length; i += 200) {
        await Promise.all(
          ids.slice(i, i + 200).map((id) =>
            queue.upsertJobScheduler(
              id,
              { every: ctx.periodMs },
              {
                name: 'fire',
                data: { j: id },
                opts: { removeOnComplete: true, removeOnFail: true },
              },
            ),
          ),
        );
      }
    },
    /** One more job scheduler (every 24 h, starting in 24 h: it does not fire during the run). */
    async createOne(ctx, i) {
      const id = `c${i}`;
      await ctx.queue.upsertJobScheduler(
        id,
        { every: 86_400_000, startDate: new Date(Date.now() + 86_400_000) },
        { name: 'fire', data: { j: id }, opts: { removeOnComplete: true, removeOnFail: true } },
      );
    },
    async teardown(ctx) {
      try {
        await ctx.queue?.close();
      } catch {
        /* ignore */
      }
      try {
        ctx.conn?.disconnect();
      } catch {
        /* ignore */
      }
      const n = await deleteKeys(ctx.redis, `${PREFIX}:${ctx.queueName}:*`);
      ctx.redis.disconnect();
      return n;
    },
  };
}

async function deleteKeys(redis, pattern) {
  let cursor = '0';
  let n = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) n += await redis.del(...keys);
  } while (cursor !== '0');
  return n;
}

export default variant();
