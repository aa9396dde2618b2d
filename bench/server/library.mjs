// The library case of the server benchmark, in a process of its own (forked by bench/server.mjs with an
// IPC channel): a SchedulerService from dist/index.js set up as `tickwork serve` sets up its own (a
// SqliteJobStore on the given file, or with BENCH_STORE=memory the default in-memory store as
// TICKWORK_STORE=memory gives the server; pino at LOG_LEVEL writing synchronously to stdout, the built-in
// tasks and the config module's tasks), but no HTTP server, event stream or metrics. Jobs are added
// in-process: before start() with BENCH_ADD=config (as the server reconciles config jobs), after it
// otherwise (as POST /api/v1/jobs adds them). Sends { type: 'ready' } once every job is in; SIGTERM shuts
// it down. With the memory store, { type: 'window', t0, t1 } (sent after the measured window) is answered
// with the window's fires from every job's run history (bench/server/memory-history.mjs).
import { pino } from 'pino';
import { SchedulerService, SqliteJobStore } from '../../dist/index.js';
import { registerBuiltInTasks } from '../../dist/tasks/index.js';
import config from './tickwork.config.mjs';
import { jobSpec, planFromEnv } from './jobs.mjs';
import { KEPT_RUNS, windowTally } from './memory-history.mjs';

const plan = planFromEnv(process.env);
const memory = process.env.BENCH_STORE === 'memory';
const path = process.env.BENCH_DB;
if ((!memory && !path) || !process.send)
  throw new Error('bench/server/library.mjs is started by bench/server.mjs (BENCH_DB or BENCH_STORE=memory, and an IPC channel)');

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { name: 'tickwork' } }, pino.destination({ dest: 1, sync: true }));
const scheduler = new SchedulerService(memory ? { logger } : { store: new SqliteJobStore({ path }), logger });
registerBuiltInTasks(scheduler, []);
for (const [name, func] of Object.entries(config.tasks)) scheduler.registerTask(name, func);

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  scheduler.shutdown({ wait: true, timeoutSeconds: 5 }).then(
    () => process.exit(0),
    (error) => {
      console.error(error);
      process.exit(1);
    },
  );
});

if (memory) {
  // Read after the window only, paused first (as the server is): the whole kept history of each job, one
  // getRuns call per job.
  const countWindow = async ({ t0, t1 }) => {
    await scheduler.pause();
    const tally = windowTally(t0, t1);
    for (let i = 0; i < plan.n; i++) {
      const jobId = jobSpec(i, plan).id;
      await tally.job(jobId, async () => ({ items: await scheduler.getRuns(jobId, { limit: KEPT_RUNS }), nextCursor: null }));
    }
    return tally.result();
  };
  process.on('message', (m) => {
    if (m?.type !== 'window') return;
    countWindow(m).then(
      (history) => process.send({ type: 'window', history }),
      (error) => process.send({ type: 'window', error: error instanceof Error ? error.message : String(error) }),
    );
  });
}

const addAll = async () => {
  for (let i = 0; i < plan.n; i++) await scheduler.addJob(jobSpec(i, plan));
};
const t0 = performance.now();
if (plan.add === 'config') await addAll();
await scheduler.start();
if (plan.add !== 'config') await addAll();
process.send({ type: 'ready', addSeconds: (performance.now() - t0) / 1000 });
