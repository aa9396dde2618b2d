// The library case of the server benchmark, in a process of its own (forked by bench/server.mjs with an
// IPC channel): a SchedulerService from dist/index.js set up as `tickwork serve` sets up its own (a
// SqliteJobStore on the given file, pino at LOG_LEVEL writing synchronously to stdout, the built-in tasks
// and the config module's tasks), but no HTTP server, event stream or metrics. Jobs are added in-process:
// before start() with BENCH_ADD=config (as the server reconciles config jobs), after it otherwise (as
// POST /api/v1/jobs adds them). Sends { type: 'ready' } once every job is in; SIGTERM shuts it down.
import { pino } from 'pino';
import { SchedulerService, SqliteJobStore } from '../../dist/index.js';
import { registerBuiltInTasks } from '../../dist/tasks/index.js';
import config from './tickwork.config.mjs';
import { jobSpec, planFromEnv } from './jobs.mjs';

const plan = planFromEnv(process.env);
const path = process.env.BENCH_DB;
if (!path || !process.send) throw new Error('bench/server/library.mjs is started by bench/server.mjs (BENCH_DB and an IPC channel)');

const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { name: 'tickwork' } }, pino.destination({ dest: 1, sync: true }));
const scheduler = new SchedulerService({ store: new SqliteJobStore({ path }), logger });
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

const addAll = async () => {
  for (let i = 0; i < plan.n; i++) await scheduler.addJob(jobSpec(i, plan));
};
const t0 = performance.now();
if (plan.add === 'config') await addAll();
await scheduler.start();
if (plan.add !== 'config') await addAll();
process.send({ type: 'ready', addSeconds: (performance.now() - t0) / 1000 });
