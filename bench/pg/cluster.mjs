#!/usr/bin/env node
/**
 * Tickwork cluster benchmark: 3 server processes (`node dist/cli.js serve`) on one PostgreSQL schema, N
 * interval jobs at 1 s created over the HTTP API, a 20 ms handler reporting each fire over UDP.
 *
 *   node bench/pg/cluster.mjs [--jobs=1000,2000,5000] [--seconds=10] [--kill]
 *
 * Per N: fires/s, lateness p50/p99/max (real start minus scheduled time), duplicates (a job and scheduled
 * time reported twice), missing fires in the measured window, CPU of the nodes. With --kill (at the first
 * N): one node is SIGKILLed halfway; takeover = for jobs with missing fires, the time from the kill to their
 * next fire on another node; the most and the median are reported.
 */
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import pg from 'pg';

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((a) => a.replace(/^--/, '').split('='))
    .map(([k, v]) => [k, v ?? 'true']),
);
const JOBS = (args.jobs ?? '1000,2000,5000').split(',').map(Number);
const SECONDS = Number(args.seconds ?? 10);
const KILL = args.kill === 'true';
const PG_URL = process.env.BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in seconds (USER_HZ 100)
  } catch {
    return 0;
  }
}

async function sql(text) {
  const client = new pg.Client(PG_URL);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

/** A free loopback port (the nodes log at warn, so they cannot tell us the port they picked). */
async function freePort() {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function startNode(index, schema, reportPort) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--port', String(port), '--config', 'bench/pg/node.config.mjs'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, TICKWORK_STORE: `${PG_URL}?schema=${schema}`, LOG_LEVEL: 'warn', BENCH_REPORT_PORT: String(reportPort), BENCH_NODE: String(index) },
  });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const ok = await fetch(`${url}/api/v1/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return { child, url, index };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`node ${index} did not start:\n${out}`);
    await sleep(100);
  }
}

function quantile(sorted, q) {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}

async function runOnce(jobs, kill) {
  const schema = `tw_bench_${process.pid}_${jobs}`;
  await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const reports = [];
  const socket = createSocket('udp4');
  socket.on('message', (message) => {
    const [id, scheduled, started, node] = message.toString().split('|');
    reports.push({ id, scheduled: Number(scheduled), started: Number(started), node });
  });
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const nodes = [];
  try {
    // The first node migrates the schema; the others join once it exists.
    nodes.push(await startNode(0, schema, socket.address().port));
    nodes.push(...(await Promise.all([1, 2].map((i) => startNode(i, schema, socket.address().port)))));
    const created = Date.now();
    const batch = 50;
    for (let i = 0; i < jobs; i += batch) {
      await Promise.all(
        Array.from({ length: Math.min(batch, jobs - i) }, (_, k) => {
          const n = i + k;
          return fetch(`${nodes[n % 3].url}/api/v1/jobs`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ id: `job-${n}`, task: 'bench', trigger: { type: 'interval', seconds: 1 } }),
          }).then((r) => {
            if (r.status !== 201) throw new Error(`POST /jobs answered ${r.status}`);
          });
        }),
      );
    }
    const createSeconds = (Date.now() - created) / 1000;
    await sleep(3000); // warm-up: every job has fired at least once
    const from = Date.now();
    const cpuFrom = nodes.map((n) => cpuOf(n.child.pid));
    let killedAt = null;
    if (kill) {
      await sleep((SECONDS * 1000) / 2);
      nodes[1].child.kill('SIGKILL');
      killedAt = Date.now();
      await sleep((SECONDS * 1000) / 2);
    } else {
      await sleep(SECONDS * 1000);
    }
    const to = Date.now();
    const cpu = nodes
      .map((n, i) => (n.child.exitCode === null && n.child.signalCode === null ? cpuOf(n.child.pid) - cpuFrom[i] : 0))
      .reduce((a, b) => a + b, 0);
    await sleep(1500); // fires scheduled in the window and still running report late, not missing
    // Duplicates over the whole run; lateness, count and misses over the measured window.
    const seen = new Map();
    let duplicates = 0;
    for (const r of reports) {
      const key = `${r.id}@${r.scheduled}`;
      if (seen.has(key)) duplicates++;
      else seen.set(key, r);
    }
    const inWindow = [...seen.values()].filter((r) => r.scheduled >= from && r.scheduled < to - 1000);
    const lateness = inWindow.map((r) => r.started - r.scheduled).sort((a, b) => a - b);
    const byJob = new Map();
    for (const r of seen.values()) (byJob.get(r.id) ?? byJob.set(r.id, []).get(r.id)).push(r.scheduled);
    let missing = 0;
    const takeovers = [];
    for (let n = 0; n < jobs; n++) {
      const times = (byJob.get(`job-${n}`) ?? []).sort((a, b) => a - b);
      if (times.length === 0) {
        missing += Math.floor((to - 1000 - from) / 1000);
        continue;
      }
      const grid = times[0];
      const have = new Set(times);
      let gapStart = null;
      for (let t = grid + Math.ceil((from - grid) / 1000) * 1000; t < to - 1000; t += 1000) {
        if (!have.has(t)) {
          missing++;
          gapStart ??= t;
        }
      }
      if (killedAt !== null && gapStart !== null) {
        const next = times.find((t) => t > gapStart);
        if (next !== undefined) takeovers.push(seen.get(`job-${n}@${next}`).started - killedAt);
      }
    }
    takeovers.sort((a, b) => a - b);
    return {
      jobs,
      createSeconds,
      fires: inWindow.length,
      firesPerSecond: Math.round(inWindow.length / ((to - 1000 - from) / 1000)),
      p50: quantile(lateness, 0.5),
      p99: quantile(lateness, 0.99),
      max: lateness[lateness.length - 1],
      duplicates,
      missing,
      cores: +(cpu / ((to - from) / 1000)).toFixed(2),
      takeoverJobs: takeovers.length,
      takeoverMaxMs: takeovers.length ? takeovers[takeovers.length - 1] : null,
      takeoverP50Ms: takeovers.length ? quantile(takeovers, 0.5) : null,
    };
  } finally {
    for (const n of nodes) if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGTERM');
    await Promise.all(nodes.map((n) => (n.child.exitCode === null && n.child.signalCode === null ? new Promise((r) => n.child.once('exit', r)) : null)));
    socket.close();
    await sql(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  }
}

const results = [];
for (const [i, jobs] of JOBS.entries()) {
  const result = await runOnce(jobs, KILL && i === 0);
  console.log(JSON.stringify(result));
  results.push(result);
}
console.log(
  '\n| jobs at 1 s | fires/s | lateness p50 / p99 / max (ms) | duplicates | missing | CPU (cores, 3 nodes) | takeover after SIGKILL (max / p50, jobs) |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  console.log(
    `| ${r.jobs} | ${r.firesPerSecond} | ${r.p50} / ${r.p99} / ${r.max} | ${r.duplicates} | ${r.missing} | ${r.cores} | ${r.takeoverMaxMs === null ? '—' : `${r.takeoverMaxMs} ms / ${r.takeoverP50Ms} ms (${r.takeoverJobs} jobs)`} |`,
  );
}
