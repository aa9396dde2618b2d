// System: Tickwork servers (`node dist/cli.js serve`) sharing one PostgreSQL store
// (TICKWORK_STORE=postgres://127.0.0.1:5432/test?schema=tickwork_bench, dropped before and after each run).
// Each node loads bench/cluster/tickwork.config.mjs (task `bench-fire`: report, sleep 20 ms); jobs are
// created over HTTP, spread over the nodes: POST /api/v1/jobs { id, task: 'bench-fire',
// trigger: { type: 'interval', seconds: 1 } }. The ideal time is the run context's scheduledAt. The
// creation run (--create-batch=N) may create N jobs per request through POST /api/v1/jobs/batch.
import { existsSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { Agent, request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dropSchema, pgUrl, pgWriteStats } from './pg.mjs';

// BENCH_TICKWORK_SCHEMA: another schema (two runs at once on one database must not drop each other's).
export const SCHEMA = process.env.BENCH_TICKWORK_SCHEMA || 'tickwork_bench';
// BENCH_TICKWORK_DIST: another build's dist/ (e.g. of a base commit, to compare it with this one).
const DIST = process.env.BENCH_TICKWORK_DIST || fileURLToPath(new URL('../../dist/', import.meta.url));
const CLI = join(DIST, 'cli.js');
const PG_STORE = join(DIST, 'stores/postgres/store.js');
const CONFIG = fileURLToPath(new URL('./tickwork.config.mjs', import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function request(url, init = {}, timeoutMs = 10_000) {
  return fetch(url, { ...init, signal: globalThis.AbortSignal.timeout(timeoutMs) });
}

/**
 * POST of a JSON body with node:http on kept-alive connections: the creation run's client must cost
 * little next to what it measures (fetch took about 3 ms of CPU per request here, node:http a fraction).
 */
const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });
function postJson(url, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(
      url,
      { method: 'POST', agent: keepAlive, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }, timeout: 10_000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out after 10 s')));
    req.on('error', reject);
    req.end(data);
  });
}

export default {
  name: 'tickwork',
  description: 'Tickwork servers on one PostgreSQL schema (interval trigger, 1 s), 3 nodes, 20 ms task, default store settings (heartbeat 1 s, lease 3 s)',
  storeProcesses: ['postgres'],
  async setup({ jobs, periodMs, workers }) {
    if (!existsSync(CLI)) throw new Error('Tickwork is not built: run `npm run build` (dist/cli.js missing)');
    if (!existsSync(PG_STORE))
      throw new Error(
        'Tickwork has no PostgreSQL store yet (dist/stores/postgres/store.js missing): TICKWORK_STORE=postgres://... is not available; build after src/stores/postgres/ lands',
      );
    if (periodMs % 1000 !== 0 && periodMs < 1) throw new Error('periodMs must be positive');
    await dropSchema(SCHEMA);
    const ports = [];
    for (let i = 0; i < workers; i++) ports.push(await freePort());
    const url = new URL(pgUrl());
    url.searchParams.set('schema', SCHEMA);
    return { jobs, periodMs, ports, store: url.toString() };
  },
  worker(index, ctx) {
    return {
      modulePath: CLI,
      args: ['serve'],
      env: {
        TICKWORK_STORE: ctx.store,
        PORT: String(ctx.ports[index]),
        HOST: '127.0.0.1',
        TICKWORK_CONFIG: CONFIG,
        LOG_LEVEL: 'warn',
        TICKWORK_SHUTDOWN_TIMEOUT: '3',
        TICKWORK_ADMIN_KEY: '',
        TICKWORK_MONITOR_KEY: '',
      },
    };
  },
  async start(ctx, cluster) {
    const bases = ctx.ports.map((p) => `http://127.0.0.1:${p}/api/v1`);
    ctx.bases = bases;
    // Ready = /health answers on every node (the scheduler starts before the server listens).
    const until = Date.now() + 60_000;
    for (const base of bases) {
      for (;;) {
        const dead = cluster.deadWorker();
        if (dead)
          throw new Error(
            `tickwork node ${dead.index} exited (${dead.exited.signal ?? `code ${dead.exited.code}`}): ${dead.tail.trim().split('\n').slice(-3).join(' | ').slice(0, 800)}`,
          );
        try {
          const r = await request(`${base}/health`, {}, 2000);
          if (r.ok) break;
        } catch {
          /* not yet */
        }
        if (Date.now() > until) throw new Error(`tickwork node ${base} not healthy after 60 s`);
        await sleep(100);
      }
    }
    const seconds = ctx.periodMs / 1000;
    let next = 0;
    const failures = [];
    const one = async () => {
      for (;;) {
        const i = next++;
        if (i >= ctx.jobs) return;
        const r = await request(`${bases[i % bases.length]}/jobs`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ id: `j${i}`, task: 'bench-fire', trigger: { type: 'interval', seconds } }),
        });
        if (r.status !== 201 && r.status !== 200) failures.push(`${r.status} ${(await r.text()).slice(0, 200)}`);
        else await r.arrayBuffer();
        if (failures.length > 5) throw new Error(`POST /api/v1/jobs failed: ${failures.join('; ')}`);
      }
    };
    await Promise.all(Array.from({ length: 24 }, one));
    if (failures.length) throw new Error(`POST /api/v1/jobs failed: ${failures.join('; ')}`);
  },
  /** One more job over HTTP (a daily interval: it does not fire during the run), round robin over the nodes. */
  async createOne(ctx, i) {
    const r = await postJson(`${ctx.bases[i % ctx.bases.length]}/jobs`, { id: `c${i}`, task: 'bench-fire', trigger: { type: 'interval', seconds: 86_400 } });
    if (r.status !== 201) throw new Error(`POST /api/v1/jobs answered ${r.status}: ${r.text.slice(0, 200)}`);
  },
  /**
   * The k-th request of `batch` more jobs (`c<k*batch>` on), in one POST /api/v1/jobs/batch (--create-batch),
   * round robin over the nodes; 200 only after the commit. Answers how many the batch created and failed.
   */
  async createBatch(ctx, k, batch) {
    const jobs = Array.from({ length: batch }, (_, j) => ({ id: `c${k * batch + j}`, task: 'bench-fire', trigger: { type: 'interval', seconds: 86_400 } }));
    const r = await postJson(`${ctx.bases[k % ctx.bases.length]}/jobs/batch`, { jobs });
    if (r.status !== 200) throw new Error(`POST /api/v1/jobs/batch answered ${r.status}: ${r.text.slice(0, 200)}`);
    const body = JSON.parse(r.text);
    const refused = body.results.find((item) => item.status !== 201);
    return {
      created: body.created,
      failed: body.failed,
      ...(refused === undefined
        ? {}
        : { error: `POST /api/v1/jobs/batch item ${refused.index}: ${refused.status} ${JSON.stringify(refused.error).slice(0, 200)}` }),
    };
  },
  /** Write counters of the benchmark's schema (see the harness's dbStats). */
  async dbStats() {
    return pgWriteStats(SCHEMA);
  },
  restartable: true,
  async teardown() {
    await dropSchema(SCHEMA);
  },
};
