// HTTP API benchmark (issue: "With 10 000 jobs loaded: GET /api/v1/jobs?limit=100 >= 5 000 req/s with
// p99 < 20 ms; POST /api/v1/jobs >= 2 000 jobs/s"). Starts the real server (`node dist/cli.js serve`) as
// a child process on loopback, loads 10 000 jobs, then drives it with autocannon. Stops by itself.
//
//   node bench/http.mjs [--duration=10] [--connections=20]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';

const arg = (name, fallback) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
const DURATION = arg('duration', 10);
const CONNECTIONS = arg('connections', 20);
const JOBS = 10_000;

async function main() {
  const port = 18_000 + Math.floor(Math.random() * 2000);
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', String(port)], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      ...process.env,
      LOG_LEVEL: 'warn',
      TICKWORK_ADMIN_KEY: 'bench-admin-key-0123456789',
      TICKWORK_STORE: process.env.TICKWORK_STORE ?? `sqlite:${join(mkdtempSync(join(tmpdir(), 'tickwork-bench-http-')), 'db.sqlite')}`,
    },
  });
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: 'Bearer bench-admin-key-0123456789', 'content-type': 'application/json' };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('server did not start in 15 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    // Load 10 000 jobs: hourly cron jobs spread over the hour, as a real installation would have.
    const loadStart = performance.now();
    for (let i = 0; i < JOBS; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, k) =>
          fetch(`${base}/api/v1/jobs`, {
            method: 'POST',
            headers,
            body: JSON.stringify({
              id: `load-${i + k}`,
              task: 'log',
              args: { message: 'hello' },
              trigger: { type: 'cron', expression: `${(i + k) % 60} * * * *` },
            }),
          }).then((r) => {
            if (r.status !== 201) throw new Error(`load: ${r.status}`);
          }),
        ),
      );
    }
    const loadSeconds = (performance.now() - loadStart) / 1000;

    const list = await autocannon({
      url: `${base}/api/v1/jobs?limit=100`,
      headers,
      connections: CONNECTIONS,
      duration: DURATION,
    });
    let n = 0;
    const create = await autocannon({
      url: `${base}/api/v1/jobs`,
      connections: CONNECTIONS,
      duration: DURATION,
      requests: [
        {
          method: 'POST',
          headers,
          setupRequest: (req) => ({
            ...req,
            body: JSON.stringify({ id: `bench-${process.pid}-${n++}`, task: 'log', args: { message: 'x' }, trigger: { type: 'interval', seconds: 86_400 } }),
          }),
        },
      ],
    });
    const result = {
      jobsLoaded: JOBS,
      loadJobsPerSecond: Math.round(JOBS / loadSeconds),
      listRequestsPerSecond: Math.round(list.requests.average),
      listLatencyP50Ms: list.latency.p50,
      listLatencyP99Ms: list.latency.p99,
      listErrors: list.errors + list.non2xx,
      createJobsPerSecond: Math.round(create.requests.average),
      createLatencyP99Ms: create.latency.p99,
      createErrors: create.errors + create.non2xx,
      connections: CONNECTIONS,
      durationSeconds: DURATION,
    };
    console.log(JSON.stringify(result, null, 2));
    console.log(`\n| measure | result | target |\n| --- | --- | --- |`);
    console.log(
      `| GET /api/v1/jobs?limit=100 (10 000 jobs) | ${result.listRequestsPerSecond} req/s, p99 ${result.listLatencyP99Ms} ms | >= 5 000 req/s, p99 < 20 ms |`,
    );
    console.log(`| POST /api/v1/jobs | ${result.createJobsPerSecond} jobs/s (p99 ${result.createLatencyP99Ms} ms) | >= 2 000 jobs/s |`);
  } finally {
    child.kill('SIGTERM');
  }
}

await main();
