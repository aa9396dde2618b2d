// One case of the server benchmark, in fresh processes: start the library child or `node dist/cli.js
// serve`, add the jobs, optionally attach an event-stream client, warm up, then measure a window: the
// child's CPU from /proc before and after, its memory at the end, and the fires and lateness of the
// window from its run history: the SQLite file once the child has exited, or with the memory store the
// child's in-memory history read before it is stopped (bench/server/memory-history.mjs). A hard timeout
// and the child's unexpected exit abort the case; the child and the temporary directory are removed
// whatever happens.
import { fork, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { openEventStream } from './event-client.mjs';
import { readWindow } from './history.mjs';
import { PAGE, windowTally } from './memory-history.mjs';
import { jobSpec, owedFires, planEnv } from './jobs.mjs';
import { cpuMs, freePort, memoryMb, stop, track } from './processes.mjs';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const CONFIG = fileURLToPath(new URL('./tickwork.config.mjs', import.meta.url));
const LIBRARY = fileURLToPath(new URL('./library.mjs', import.meta.url));
/** After the window, time for its last fires to be run and written before the child is stopped. */
const SETTLE_MS = 2000;
/** GET /api/v1/jobs/<id>/runs requests in flight when reading the server's memory store after the window. */
const READ_CONCURRENCY = 8;
/** A case keeps up when at most this share of the fires owed in the window is missing... */
export const MAX_MISSING_SHARE = 0.005;
/** ...and the p99 lateness of those that ran is under this. */
export const MAX_P99_MS = 1000;

export const CASES = ['library', 'server', 'server+client'];

/** Temporary directories of cases in progress, removed on SIGINT too. */
export const liveDirs = new Set();

/** Rejects with the signal's reason as soon as it aborts. */
function abortable(signal, promise) {
  return Promise.race([
    promise,
    new Promise((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    }),
  ]);
}

function childEnv(o, extra) {
  // A clean environment: no TICKWORK_* or LOG_LEVEL from the caller's shell.
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    LOG_LEVEL: o.logLevel,
    BENCH_DEADLINE_MS: String(o.deadline),
    ...planEnv(o.plan),
    ...extra,
  };
}

async function startLibrary(o, signal) {
  const store = o.store === 'memory' ? { BENCH_STORE: 'memory' } : { BENCH_DB: o.db };
  const child = track(fork(LIBRARY, [], { cwd: o.dir, execArgv: o.nodeArgs, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: childEnv(o, store) }));
  o.onChild(child);
  const ready = new Promise((resolve) =>
    child.on('message', (m) => {
      if (m?.type === 'ready') resolve(m);
    }),
  );
  const { addSeconds } = await abortable(signal, ready);
  return { child, addSeconds };
}

async function startServer(o, signal) {
  const port = await freePort();
  const key = randomBytes(16).toString('hex');
  const child = track(
    spawn(process.execPath, [...o.nodeArgs, CLI, 'serve'], {
      cwd: o.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: childEnv(o, {
        HOST: '127.0.0.1',
        PORT: String(port),
        TICKWORK_STORE: o.store === 'memory' ? 'memory' : `sqlite:${o.db}`,
        TICKWORK_ADMIN_KEY: key,
        TICKWORK_CONFIG: CONFIG,
      }),
    }),
  );
  o.onChild(child);
  const base = `http://127.0.0.1:${port}/api/v1`;
  const t0 = performance.now();
  // The server listens once the scheduler has started (with BENCH_ADD=config: once the config jobs are in).
  for (;;) {
    try {
      if ((await fetch(`${base}/health`, { signal: globalThis.AbortSignal.timeout(2000) })).ok) break;
    } catch {
      if (signal.aborted) throw signal.reason; // else: not listening yet
    }
    await delay(100, undefined, { signal });
  }
  if (o.plan.add === 'http') await addOverHttp(base, key, o.plan, signal);
  return { child, port, key, addSeconds: (performance.now() - t0) / 1000 };
}

/**
 * POST /api/v1/jobs for every job, 16 requests in flight (there is no bulk endpoint). The requests do not
 * take the case's signal (fetch would add a listener to it per request): the workers stop at the next
 * request once it aborts, and a request in flight fails when the server is killed.
 */
async function addOverHttp(base, key, plan, signal) {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < plan.n && !signal.aborted; i = next++) {
      const res = await fetch(`${base}/jobs`, { method: 'POST', headers, body: JSON.stringify(jobSpec(i, plan)) });
      const text = await res.text();
      if (res.status !== 201) throw new Error(`POST /api/v1/jobs answered ${res.status}: ${text.slice(0, 300)}`);
    }
  };
  await abortable(signal, Promise.all(Array.from({ length: 16 }, worker)));
}

/** The library child's fires of [t0, t1), counted in-process from its memory store (after the window). */
async function libraryMemoryWindow(child, t0, t1, signal) {
  const reply = new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type !== 'window') return;
      child.off('message', onMessage);
      if (m.error === undefined) resolve(m.history);
      else reject(new Error(`library: ${m.error}`));
    };
    child.on('message', onMessage);
  });
  child.send({ type: 'window', t0, t1 });
  return abortable(signal, reply);
}

/**
 * The server's fires of [t0, t1), after the window: POST /api/v1/scheduler/pause, then
 * GET /api/v1/jobs/<id>/runs for every job (admin key), READ_CONCURRENCY requests in flight, without the
 * case's signal (as in addOverHttp).
 */
async function serverMemoryWindow({ port, key }, plan, t0, t1, signal) {
  const base = `http://127.0.0.1:${port}/api/v1`;
  const headers = { authorization: `Bearer ${key}` };
  // Paused first (as the library child pauses itself): no further fire pushes the window's runs out of
  // the 100 kept per job while they are read; the server reads them faster, too.
  const paused = await fetch(`${base}/scheduler/pause`, { method: 'POST', headers });
  const pausedText = await paused.text();
  if (paused.status !== 200) throw new Error(`POST /api/v1/scheduler/pause answered ${paused.status}: ${pausedText.slice(0, 300)}`);
  const tally = windowTally(t0, t1);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < plan.n && !signal.aborted; i = next++) {
      const jobId = jobSpec(i, plan).id;
      await tally.job(jobId, async (cursor) => {
        const query = cursor === null ? `limit=${PAGE}` : `limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`;
        const res = await fetch(`${base}/jobs/${encodeURIComponent(jobId)}/runs?${query}`, { headers });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`GET /api/v1/jobs/${jobId}/runs answered ${res.status}: ${text.slice(0, 300)}`);
        return JSON.parse(text);
      });
    }
  };
  await abortable(signal, Promise.all(Array.from({ length: READ_CONCURRENCY }, worker)));
  return tally.result();
}

/**
 * Runs one case. `o`: { kind, plan, store, warmupS, windowS, timeoutS, logLevel, nodeArgs }. Resolves with its
 * figures, or with { failed } (timeout, crash, no history).
 */
export async function runCase(kind, o) {
  const dir = mkdtempSync(join(tmpdir(), 'tickwork-bench-server-'));
  liveDirs.add(dir);
  const controller = new globalThis.AbortController();
  const { signal } = controller;
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${o.timeoutS} s`)), o.timeoutS * 1000);
  let child = null;
  let stopping = false;
  let client = null;
  const c = {
    ...o,
    dir,
    db: join(dir, 'tickwork.db'),
    deadline: Date.now() + (o.timeoutS + 30) * 1000,
    onChild: (started) => {
      child = started;
      started.exited.then((status) => {
        if (!stopping)
          controller.abort(
            new Error(`${kind} process exited (${status}) before the end: ${started.outputTail.trim().split('\n').slice(-3).join(' | ').slice(0, 600)}`),
          );
      });
    },
  };
  try {
    const started = kind === 'library' ? await startLibrary(c, signal) : await startServer(c, signal);
    if (kind === 'server+client') {
      client = openEventStream({ port: started.port, key: started.key });
      await abortable(signal, client.ready);
    }
    await delay(o.warmupS * 1000, undefined, { signal });
    const cpu0 = cpuMs(child.pid);
    const t0 = Date.now();
    const client0 = client?.snapshot();
    await delay(o.windowS * 1000, undefined, { signal });
    const cpu1 = cpuMs(child.pid);
    const t1 = Date.now();
    const memory = memoryMb(child.pid);
    const client1 = client?.snapshot();
    await delay(SETTLE_MS, undefined, { signal });
    client?.close();
    let history = null;
    let readSeconds = null;
    if (o.store === 'memory') {
      const r0 = performance.now();
      history = kind === 'library' ? await libraryMemoryWindow(child, t0, t1, signal) : await serverMemoryWindow(started, o.plan, t0, t1, signal);
      readSeconds = (performance.now() - r0) / 1000;
    }
    stopping = true;
    const exit = await abortable(signal, stop(child));
    history ??= readWindow(c.db, t0, t1);
    const r = summarize({ kind, o, started, t0, t1, cpu: cpu1 - cpu0, memory, history, exit, client: client0 && diffClient(client0, client1) });
    return readSeconds === null ? r : { ...r, historyReadSeconds: readSeconds };
  } catch (error) {
    // An aborted delay() rejects with a generic AbortError: the signal's reason says why.
    const cause = signal.aborted ? signal.reason : error;
    return { kind, n: o.plan.n, failed: cause instanceof Error ? cause.message : String(cause) };
  } finally {
    clearTimeout(timer);
    stopping = true;
    client?.close();
    if (child !== null && child.exitStatus === undefined) await stop(child, 3000);
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  }
}

function diffClient(a, b) {
  return {
    frames: b.frames - a.frames,
    bytes: b.bytes - a.bytes,
    drops: b.drops - a.drops,
    connectedAllWindow: b.connects === a.connects && b.drops === a.drops,
  };
}

function summarize({ kind, o, started, t0, t1, cpu, memory, history, exit, client }) {
  const seconds = (t1 - t0) / 1000;
  const fires = history.started.succeeded ?? 0;
  const owed = owedFires(o.plan, t0, t1);
  const missing = owed - history.onTime.succeeded;
  const keepsUp = missing <= owed * MAX_MISSING_SHARE && history.onTime.latenessP99Ms !== null && history.onTime.latenessP99Ms < MAX_P99_MS;
  return {
    kind,
    n: o.plan.n,
    setupSeconds: started.addSeconds,
    windowSeconds: seconds,
    cpuMs: cpu,
    fires,
    cpuPerFireUs: fires > 0 ? (cpu * 1000) / fires : null,
    firesPerSecond: fires / seconds,
    cpuCores: cpu / 1000 / seconds,
    startedByOutcome: history.started,
    owed,
    missing,
    otherOutcomes: history.onTime.otherOutcomes,
    keepsUp,
    latenessP50Ms: history.onTime.latenessP50Ms,
    latenessP99Ms: history.onTime.latenessP99Ms,
    latenessMaxMs: history.onTime.latenessMaxMs,
    ...memory,
    exit,
    ...(client === undefined
      ? {}
      : { client: { ...client, framesPerFire: fires > 0 ? client.frames / fires : null, mbPerSecond: client.bytes / 1e6 / seconds } }),
  };
}
