// Loaded into every measured process (the server through its config module, the library child directly):
// it stops the process when the benchmark that started it is gone (its parent pid changed: the harness
// was killed) or at BENCH_DEADLINE_MS, so no server is left running whatever happens to the harness.
// One check per second, the same in every case.

let started = false;

export function startGuard() {
  if (started) return;
  started = true;
  const parent = process.ppid;
  const deadline = Number(process.env.BENCH_DEADLINE_MS ?? 0);
  const timer = setInterval(() => {
    if (process.ppid === parent && !(deadline > 0 && Date.now() > deadline)) return;
    clearInterval(timer);
    // SIGTERM first: the server (and the library child) close gracefully on it; exit anyway 5 s later.
    setTimeout(() => process.exit(1), 5000).unref();
    process.kill(process.pid, 'SIGTERM');
  }, 1000);
  timer.unref();
}
