// The jobs of the server benchmark, the same for every case: N interval jobs every 1 s, each anchored by
// an explicit startDate so that the library and the server fire on the same grid, whatever order or
// speed the jobs were added in. `spread` puts job i at base + floor(i * 1000 / N) ms (the fires spread
// evenly over each second, as jobs added over time would be); `aligned` puts them all at base (one burst
// per second).

/** The task each job runs: the config module's no-op, or the built-in `log` at a level that is not printed. */
export const TASKS = {
  noop: { task: 'bench-noop' },
  log: { task: 'log', args: { message: 'tick', level: 'debug' } },
};

export const PHASES = ['spread', 'aligned'];

/** Epoch ms of job i's first grid point. */
export function anchorMs(i, { n, phases, baseMs }) {
  return phases === 'aligned' ? baseMs : baseMs + Math.floor((i * 1000) / n);
}

/** What POST /api/v1/jobs (or a config module's `jobs`, or addJob) takes for job i. */
export function jobSpec(i, plan) {
  const { task, args } = TASKS[plan.task];
  return {
    id: `bench-${i}`,
    task,
    ...(args === undefined ? {} : { args }),
    trigger: { type: 'interval', seconds: 1, startDate: new Date(anchorMs(i, plan)).toISOString() },
  };
}

/** Fires whose ideal time is in [t0, t1), over all jobs: what a scheduler that keeps up runs. */
export function owedFires(plan, t0, t1) {
  let owed = 0;
  for (let i = 0; i < plan.n; i++) {
    const anchor = anchorMs(i, plan);
    owed += Math.ceil((t1 - anchor) / 1000) - Math.ceil((t0 - anchor) / 1000);
  }
  return owed;
}

/** The plan as environment variables for a child (the config module and the library child read it back). */
export function planEnv(plan) {
  return { BENCH_N: String(plan.n), BENCH_TASK: plan.task, BENCH_PHASES: plan.phases, BENCH_BASE_MS: String(plan.baseMs), BENCH_ADD: plan.add };
}

export function planFromEnv(env) {
  const plan = { n: Number(env.BENCH_N), task: env.BENCH_TASK, phases: env.BENCH_PHASES, baseMs: Number(env.BENCH_BASE_MS), add: env.BENCH_ADD };
  if (!(plan.n > 0) || !(plan.task in TASKS) || !PHASES.includes(plan.phases) || !(plan.baseMs > 0)) {
    throw new Error(`bench/server: bad BENCH_* environment ${JSON.stringify(plan)}`);
  }
  return plan;
}
