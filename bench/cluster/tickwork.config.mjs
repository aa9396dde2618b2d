// Tickwork config module for the cluster benchmark (TICKWORK_CONFIG): registers the task `bench-fire`,
// which reports { jobId, scheduledAt, startedAt, worker } to the harness over IPC and sleeps 20 ms.
// The server process is forked by the harness (bench/cluster/tickwork.mjs), so process.send exists.
import { reportFire, sleep, startWorkerRuntime } from './report.mjs';

startWorkerRuntime({
  handleSignals: false, // the Tickwork CLI closes gracefully on SIGTERM itself
  onStop: () => {
    // The harness went away: close the server as SIGTERM would; report.mjs exits 4 s later at most.
    process.kill(process.pid, 'SIGTERM');
    return new Promise(() => {});
  },
});

export default {
  tasks: {
    'bench-fire': async (ctx) => {
      const startedAt = Date.now();
      reportFire(ctx.jobId, ctx.scheduledAt.getTime(), startedAt);
      await sleep(20);
    },
  },
  shutdownTimeoutSeconds: 3,
};
