// SQLite store benchmark (issue: "100 000 jobs: server start (load and index) under 3 s; sustained 2 000
// fires/s of a no-op task with run history on; history pruning does not stall the loop (p99 lateness
// under 50 ms while pruning)"). Runs against dist/; stops by itself.
//
//   node bench/sqlite.mjs [--jobs=100000] [--rate=2000] [--seconds=20]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SchedulerService, SqliteJobStore } from '../dist/index.js';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const JOBS = arg('jobs', 100_000);
const RATE = arg('rate', 2_000);
const SECONDS = arg('seconds', 20);
const logger = pino({ level: 'warn' });
const dir = mkdtempSync(join(tmpdir(), 'tickwork-bench-sqlite-'));
const noop = () => undefined;

function percentile(sorted, p) {
  return sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

// 1. Start-up with 100 000 stored jobs: open, migrate, load and index.
{
  const path = join(dir, 'startup.db');
  const filler = new SchedulerService({ store: new SqliteJobStore({ path }), logger });
  filler.registerTask('noop', noop);
  await filler.start({ paused: true });
  const t0 = performance.now();
  for (let i = 0; i < JOBS; i++) {
    await filler.addJob({
      id: `job-${i}`,
      task: 'noop',
      trigger: i % 2 ? { type: 'interval', seconds: 86_400 } : { type: 'cron', expression: `${i % 60} ${i % 24} * * *`, timezone: 'Europe/Berlin' },
    });
  }
  const fillSeconds = (performance.now() - t0) / 1000;
  await filler.shutdown();
  const runs = [];
  for (let rep = 0; rep < 3; rep++) {
    const s = new SchedulerService({ store: new SqliteJobStore({ path }), logger });
    s.registerTask('noop', noop);
    const start = performance.now();
    await s.start();
    runs.push(performance.now() - start);
    if ((await s.status()).jobs !== JOBS) throw new Error('not every job loaded');
    await s.shutdown();
  }
  runs.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      measure: 'startup',
      jobs: JOBS,
      fileMB: +(statSync(path).size / 1e6).toFixed(1),
      addJobsPerSecond: Math.round(JOBS / fillSeconds),
      startMsMedian: Math.round(runs[1]),
    }),
  );
}

// 2 and 3. Sustained fires with history on, with aggressive retention so pruning runs all the time.
for (const [label, maxRunsPerJob] of [
  ['sustained', 1000],
  ['pruning', 5],
]) {
  const path = join(dir, `${label}.db`);
  const store = new SqliteJobStore({ path, maxRunsPerJob });
  const s = new SchedulerService({ store, logger });
  const lateness = [];
  let fires = 0;
  s.registerTask('noop', (ctx) => {
    fires++;
    lateness.push(Date.now() - ctx.scheduledAt.getTime());
  });
  await s.start();
  // RATE jobs every 1 s, spread over the second.
  const base = Date.now() + 1000;
  for (let i = 0; i < RATE; i++) {
    await s.addJob({ id: `r-${i}`, task: 'noop', trigger: { type: 'interval', seconds: 1, startDate: new Date(base + Math.floor((i * 1000) / RATE)) } });
  }
  await new Promise((r) => setTimeout(r, 2_000)); // warm up
  lateness.length = 0;
  const f0 = fires;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const sorted = lateness.slice().sort((a, b) => a - b);
  const stored = (await s.getRuns('r-0', { limit: 1000 })).length;
  await s.shutdown();
  console.log(
    JSON.stringify({
      measure: label,
      jobs: RATE,
      maxRunsPerJob,
      firesPerSecond: Math.round((fires - f0) / elapsed),
      latenessP50Ms: percentile(sorted, 0.5),
      latenessP99Ms: percentile(sorted, 0.99),
      latenessMaxMs: sorted[sorted.length - 1],
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 100),
      runsKeptForOneJob: stored,
    }),
  );
}
rmSync(dir, { recursive: true, force: true });
