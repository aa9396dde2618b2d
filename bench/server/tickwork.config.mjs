// Tickwork config module of the server benchmark (TICKWORK_CONFIG): the task `bench-noop`, and with
// BENCH_ADD=config the benchmark's jobs (reconciled at start). The library child registers the very same
// task from this module, so both run one function.
import { startGuard } from './guard.mjs';
import { jobSpec, planFromEnv } from './jobs.mjs';

startGuard();

const plan = planFromEnv(process.env);

export default {
  tasks: {
    'bench-noop': () => undefined,
  },
  jobs: plan.add === 'config' ? Array.from({ length: plan.n }, (_, i) => jobSpec(i, plan)) : [],
  shutdownTimeoutSeconds: 5,
};
