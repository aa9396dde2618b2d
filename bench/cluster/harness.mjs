// The cluster harness: N worker processes of one "system" (BullMQ, pg-boss, Tickwork, ...) run the same
// schedule (`jobs` jobs, one fire each per `periodMs`), report every fire to this process over IPC
// (bench/cluster/report.mjs), and this process computes lateness, duplicates, missing fires, CPU, and,
// when a fault is injected mid-run (a worker SIGKILLed, a worker paused with SIGSTOP, the database
// restarted), the takeover of its jobs; and, in a creation run, how many new jobs per second the system
// takes while it fires.
//
// A system module exports:
//   name, description            strings (the description says how the schedule is expressed)
//   storeProcesses               process names whose CPU counts as the store's (e.g. ['redis-server'])
//   setup({ jobs, periodMs, runId, workers, log })  -> ctx        (clean state; create queues/schemas)
//   worker(index, ctx)           -> { modulePath, args?, env?, execArgv? }   (what child_process.fork runs)
//   start(ctx, cluster)          create the jobs once the workers are up (cluster.waitReady(), .workers)
//   createOne(ctx, i)            (creation runs) create one more job `c<i>` that fires far in the future
//   restartable                  true when the store is the local PostgreSQL (the restart fault applies)
//   dbStats(ctx)                 (optional) the store's write counters now: { walBytes, tables: { name: { ins, upd, hot, del } } }
//                                (PostgreSQL: pg_current_wal_lsn and pg_stat_user_tables of the system's schema)
//   teardown(ctx)                remove everything setup created (always called)
//
// Lateness = actual start − ideal scheduled time (both epoch ms, Date.now() of one machine).

import { execFile, fork } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = 100;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Every child we fork, so that nothing outlives the harness. */
const live = new Set();
function killAll() {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/** Sum of utime + stime (in ms) per pid of the processes whose command name is in `names`. */
function procCpu(names) {
  const out = new Map();
  if (!names || names.length === 0) return out;
  let pids;
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return out;
  }
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(open + 1, close);
      if (!names.some((n) => comm.startsWith(n))) continue;
      const f = stat.slice(close + 2).split(' ');
      // fields after ")": state(0) ... utime(11) stime(12)
      out.set(pid, ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK);
    } catch {
      /* exited */
    }
  }
  return out;
}

function cpuDelta(a, b) {
  let ms = 0;
  for (const [pid, v] of b) if (a.has(pid)) ms += v - a.get(pid);
  return ms;
}

/**
 * The store's writes per fire between two dbStats snapshots: WAL bytes, and per table rows inserted,
 * updated (and of those HOT: no index entry written), deleted. Fires = the fires that started between the
 * two snapshots (whatever their ideal time).
 */
function dbPerFire(a, b, fires, fromMs, toMs) {
  let n = 0;
  for (const f of fires) if (f.start >= fromMs && f.start < toMs) n++;
  const per = (x) => (n === 0 ? null : x / n);
  const tables = {};
  for (const [name, t1] of Object.entries(b.tables)) {
    const t0 = a.tables[name] ?? { ins: 0, upd: 0, hot: 0, del: 0 };
    tables[name] = { ins: per(t1.ins - t0.ins), upd: per(t1.upd - t0.upd), hot: per(t1.hot - t0.hot), del: per(t1.del - t0.del) };
  }
  return { fires: n, walBytesPerFire: per(b.walBytes - a.walBytes), tables };
}

export function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/**
 * Figures over the fires whose ideal time is in [from, to). `expected` = jobs × (to − from) / periodMs
 * (any one job's grid has exactly that many points in a window a whole number of periods long).
 */
/** The width of the slices of a window whose lateness p99 is reported one by one (p99BySliceMs). */
const SLICE_MS = 10_000;

export function analyzeWindow(fires, { from, to, periodMs, jobs }) {
  const byKey = new Map();
  let occurrences = 0;
  for (const f of fires) {
    if (f.sched < from || f.sched >= to) continue;
    occurrences++;
    const k = `${f.job}@${f.sched}`;
    const prev = byKey.get(k);
    if (prev === undefined) byKey.set(k, { first: f.start, n: 1, workers: [f.w] });
    else {
      prev.n++;
      prev.workers.push(f.w);
      if (f.start < prev.first) prev.first = f.start;
    }
  }
  const expected = Math.round((jobs * (to - from)) / periodMs);
  const lat = [];
  // Lateness by SLICE_MS of ideal time: where in a long window the tail comes from (a checkpoint, a vacuum).
  const slices = Array.from({ length: Math.ceil((to - from) / SLICE_MS) }, () => []);
  let duplicates = 0;
  const dupSamples = [];
  for (const [k, v] of byKey) {
    const sched = Number(k.slice(k.lastIndexOf('@') + 1));
    lat.push(v.first - sched);
    slices[Math.floor((sched - from) / SLICE_MS)].push(v.first - sched);
    if (v.n > 1) {
      duplicates += v.n - 1;
      if (dupSamples.length < 5) dupSamples.push(`${k} ×${v.n} on workers ${v.workers.join(',')}`);
    }
  }
  lat.sort((a, b) => a - b);
  const got = byKey.size;
  return {
    windowS: (to - from) / 1000,
    expected,
    got,
    missing: Math.max(0, expected - got),
    offGrid: Math.max(0, got - expected),
    duplicates,
    dupSamples,
    firesPerSec: occurrences / ((to - from) / 1000),
    lateOver1s: lat.filter((x) => x > 1000).length,
    latenessMs: { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99), max: lat.length ? lat[lat.length - 1] : null, min: lat.length ? lat[0] : null },
    p99BySliceMs: slices.map((slice) =>
      quantile(
        slice.sort((a, b) => a - b),
        0.99,
      ),
    ),
  };
}

/**
 * Takeover after worker `killed` was SIGKILLed at `killAt`: for each job that fired on it in the 2 s
 * before the kill, the delay from that (last) fire on the killed worker to the job's next fire on any
 * other worker, minus one period. Jobs that never fire again before `until` are counted as `never`.
 */
export function analyzeTakeover(fires, { killed, killAt, until, periodMs, jobs }) {
  const lastOnKilled = new Map();
  for (const f of fires) {
    if (f.w !== killed || f.start < killAt - 2000 || f.start >= killAt) continue;
    const prev = lastOnKilled.get(f.job);
    if (prev === undefined || f.start > prev) lastOnKilled.set(f.job, f.start);
  }
  const next = new Map();
  for (const f of fires) {
    if (f.w === killed) continue;
    const last = lastOnKilled.get(f.job);
    if (last === undefined || f.start <= last) continue;
    const prev = next.get(f.job);
    if (prev === undefined || f.start < prev) next.set(f.job, f.start);
  }
  const delays = [];
  let never = 0;
  for (const [job, last] of lastOnKilled) {
    const n = next.get(job);
    if (n === undefined) never++;
    else delays.push(Math.max(0, n - last - periodMs));
  }
  delays.sort((a, b) => a - b);
  // Every job, whichever worker it last ran on: from its last fire before the kill to its first fire
  // after it, minus one period (catches jobs whose next fire was taken by the killed worker but never
  // started, which the takeover above cannot see).
  const lastBefore = new Map();
  const firstAfter = new Map();
  for (const f of fires) {
    if (f.start < killAt) {
      const p = lastBefore.get(f.job);
      if (p === undefined || f.start > p) lastBefore.set(f.job, f.start);
    } else {
      const p = firstAfter.get(f.job);
      if (p === undefined || f.start < p) firstAfter.set(f.job, f.start);
    }
  }
  const gaps = [];
  let gapNever = 0;
  for (const [job, last] of lastBefore) {
    const n = firstAfter.get(job);
    if (n === undefined) gapNever++;
    else gaps.push(Math.max(0, n - last - periodMs));
  }
  gaps.sort((a, b) => a - b);
  // Jobs silent at the end: no fire at all with an ideal time in the last 5 s of the observation.
  const recent = new Set();
  for (const f of fires) if (f.sched >= until - 5000 && f.sched < until) recent.add(f.job);
  return {
    jobsOnKilled: lastOnKilled.size,
    takeoverMs: { p50: quantile(delays, 0.5), p99: quantile(delays, 0.99), max: delays.length ? delays[delays.length - 1] : null },
    takenOverOver1s: delays.filter((d) => d > 1000).length,
    never,
    anyJob: { maxMs: gaps.length ? gaps[gaps.length - 1] : null, over1s: gaps.filter((d) => d > 1000).length, never: gapNever },
    silentAtEnd: Math.max(0, jobs - recent.size),
  };
}

/**
 * Runs one scenario of one system. Options: jobs, periodMs (1000), workers (3), warmupS, windowS, graceS,
 * kill: null | { worker: 1, afterS: 5, observeS: 60, beforeS: 5, fault: 'kill' | 'stop' | 'restart', stopS: 10 },
 * create: null | { concurrency: 24, batch: 1 } (over the steady window, new jobs are created as fast as the
 * system takes them, `concurrency` requests at a time, `batch` jobs per request: with more than 1 the
 * system's createBatch), log (a function), timeoutS.
 *
 * Faults: `kill` SIGKILLs the worker; `stop` SIGSTOPs it for stopS seconds and then SIGCONTs it (a paused
 * node: its lease runs out while it holds claims, and it comes back); `restart` restarts the local
 * PostgreSQL with `pg_ctlcluster --skip-systemctl-redirect <version> <cluster> restart -m immediate`
 * (BENCH_PG_CLUSTER, default "15 main"), which every client of that server notices.
 */
export async function runScenario(system, opts) {
  const { jobs, periodMs = 1000, workers: nWorkers = 3, warmupS = 5, windowS = 10, graceS = 3, kill = null, create = null, log = () => {} } = opts;
  const fault = kill?.fault ?? 'kill';
  const runId = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
  const plannedS = warmupS + (kill ? kill.afterS + kill.observeS : windowS) + graceS;
  const timeoutS = opts.timeoutS ?? plannedS + 240;
  const deadlineMs = Date.now() + timeoutS * 1000;
  const fires = [];
  const cpu = new Map(); // worker -> [{ at, us }]
  const notes = new Map();
  const readyWaiters = [];
  const ready = new Set();
  const children = [];
  const result = { system: system.name, jobs, periodMs, workers: nWorkers, kind: kill ? fault : create ? 'create' : 'steady' };
  const stopped = [];
  let ctx = null;
  const hard = setTimeout(() => {
    log(`  ${system.name}: hard timeout of ${timeoutS} s: killing the workers`);
    for (const c of children) c.kill('SIGKILL');
    for (const c of stopped) c.kill('SIGCONT');
  }, timeoutS * 1000);
  hard.unref();

  try {
    ctx = await system.setup({ jobs, periodMs, runId, workers: nWorkers, log });
    for (let i = 0; i < nWorkers; i++) {
      const spec = system.worker(i, ctx);
      const child = fork(spec.modulePath, spec.args ?? [], {
        env: { ...process.env, ...spec.env, BENCH_WORKER_INDEX: String(i), BENCH_DEADLINE_MS: String(deadlineMs) },
        // BENCH_WORKER_EXEC_ARGV (space-separated Node options, e.g. --cpu-prof --cpu-prof-dir=/tmp/p): to profile the workers.
        execArgv: [...(spec.execArgv ?? []), ...(process.env.BENCH_WORKER_EXEC_ARGV?.split(' ').filter(Boolean) ?? [])],
        cwd: spec.cwd,
        stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      });
      live.add(child);
      const rec = { index: i, child, pid: child.pid, tail: '', exited: null, killedByUs: false };
      const keep = (b) => {
        rec.tail = (rec.tail + b.toString()).slice(-3000);
      };
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      child.on('message', (m) => {
        if (!m) return;
        if (m.t === 'f') {
          const d = m.d;
          for (let k = 0; k < d.length; k += 3) fires.push({ job: d[k], sched: d[k + 1], start: d[k + 2], w: m.w });
        } else if (m.t === 'cpu') {
          if (!cpu.has(m.w)) cpu.set(m.w, []);
          cpu.get(m.w).push({ at: m.at, us: m.us });
        } else if (m.t === 'ready') {
          ready.add(m.w);
          for (const r of readyWaiters.splice(0)) r();
        } else if (m.t === 'note') {
          notes.set(m.key, m.value);
        }
      });
      child.on('exit', (code, signal) => {
        rec.exited = { code, signal };
        live.delete(child);
        for (const r of readyWaiters.splice(0)) r();
      });
      children.push(child);
      result.workerRecs ??= [];
      result.workerRecs.push(rec);
    }
    const recs = result.workerRecs;
    const cluster = {
      workers: recs.map((r) => ({ index: r.index, pid: r.pid })),
      /** Resolves when every worker has sent { t: 'ready' }; rejects if one exits or after timeoutMs. */
      async waitReady(timeoutMs = 60_000) {
        const until = Date.now() + timeoutMs;
        while (ready.size < nWorkers) {
          const dead = recs.find((r) => r.exited);
          if (dead)
            throw new Error(
              `worker ${dead.index} exited (${dead.exited.signal ?? `code ${dead.exited.code}`}) before it was ready: ${dead.tail.trim().split('\n').slice(-4).join(' | ').slice(0, 600)}`,
            );
          if (Date.now() > until)
            throw new Error(
              `workers not ready after ${timeoutMs} ms (${ready.size}/${nWorkers}); last output: ${recs
                .map((r) => r.tail.trim().split('\n').slice(-2).join(' | '))
                .join(' || ')
                .slice(0, 600)}`,
            );
          await Promise.race([new Promise((r) => readyWaiters.push(r)), sleep(250)]);
        }
      },
      deadWorker() {
        return recs.find((r) => r.exited && !r.killedByUs);
      },
      log,
    };
    const t0 = Date.now();
    await system.start(ctx, cluster);
    const T0 = Date.now();
    result.startS = (T0 - t0) / 1000;
    log(`  ${system.name} N=${jobs}${kill ? ` (${fault})` : create ? ' (create)' : ''}: jobs created in ${result.startS.toFixed(1)} s; measuring`);

    const checkAlive = () => {
      const dead = cluster.deadWorker();
      if (dead)
        throw new Error(
          `worker ${dead.index} exited (${dead.exited.signal ?? `code ${dead.exited.code}`}): ${dead.tail.trim().split('\n').slice(-4).join(' | ').slice(0, 600)}`,
        );
    };
    const waitUntil = async (t) => {
      while (Date.now() < t) {
        checkAlive();
        await sleep(Math.min(250, t - Date.now()));
      }
    };

    let from;
    let to;
    let killAt = null;
    let creating = null;
    if (!kill) {
      from = T0 + warmupS * 1000;
      to = from + windowS * 1000;
      await waitUntil(from);
      if (create) creating = createUntil(system, ctx, to, create.concurrency ?? 24, create.batch ?? 1);
    } else {
      killAt = T0 + (warmupS + kill.afterS) * 1000;
      from = killAt - (kill.beforeS ?? 5) * 1000;
      to = killAt + kill.observeS * 1000;
      await waitUntil(Math.min(from, killAt));
    }
    const storeCpu0 = procCpu(system.storeProcesses);
    const db0 = system.dbStats ? await system.dbStats(ctx) : null;
    const wall0 = Date.now();
    if (kill) {
      await waitUntil(killAt);
      const victim = recs[kill.worker ?? 1];
      if (fault === 'kill') {
        victim.killedByUs = true;
        victim.child.kill('SIGKILL');
        killAt = Date.now();
        log(`  ${system.name}: SIGKILLed worker ${victim.index} (pid ${victim.pid}); observing ${kill.observeS} s`);
      } else if (fault === 'stop') {
        victim.child.kill('SIGSTOP');
        stopped.push(victim.child);
        killAt = Date.now();
        const stopS = kill.stopS ?? 10;
        log(`  ${system.name}: SIGSTOPped worker ${victim.index} (pid ${victim.pid}) for ${stopS} s; observing ${kill.observeS} s`);
        setTimeout(() => {
          victim.child.kill('SIGCONT');
          stopped.splice(stopped.indexOf(victim.child), 1);
        }, stopS * 1000).unref();
      } else if (fault === 'restart') {
        killAt = Date.now();
        const t = Date.now();
        await restartPostgres();
        log(`  ${system.name}: restarted PostgreSQL (immediate) in ${Date.now() - t} ms; observing ${kill.observeS} s`);
      } else throw new Error(`unknown fault ${fault}`);
    }
    await waitUntil(to);
    const storeCpu1 = procCpu(system.storeProcesses);
    const wall1 = Date.now();
    // PostgreSQL publishes a backend's table counters at most once a second: the 1.5 s wait lets those of
    // the window's last second in (and adds that long's writes, which the per-fire figure divides by too).
    const db1 = db0 === null ? null : await sleep(1500).then(() => system.dbStats(ctx));
    const dbWall1 = Date.now();
    await waitUntil(to + graceS * 1000);

    // CPU of the workers over [wall0, wall1] (the killed one only up to its death).
    let workerCores = 0;
    const perWorker = [];
    for (const r of recs) {
      const s = cpu.get(r.index) ?? [];
      const a = [...s].reverse().find((x) => x.at <= wall0 + 250) ?? s[0];
      const b = [...s].reverse().find((x) => x.at <= wall1 + 250);
      if (!a || !b || b.at <= a.at) {
        perWorker.push(null);
        continue;
      }
      const cores = (b.us - a.us) / 1000 / (b.at - a.at);
      perWorker.push(cores);
      workerCores += cores * ((b.at - a.at) / (wall1 - wall0));
    }
    result.cpu = { workerCores, perWorker, storeCores: cpuDelta(storeCpu0, storeCpu1) / (wall1 - wall0) };
    if (db0 !== null && db1 !== null) result.db = dbPerFire(db0, db1, fires, wall0, dbWall1);
    if (creating) result.create = await creating;
    // A creation run counts the fires of the steady jobs only (`j<i>`), not those of the jobs it created.
    result.window = analyzeWindow(creating ? fires.filter((f) => !String(f.job).startsWith('c')) : fires, { from, to, periodMs, jobs });
    if (kill) {
      result.killAt = killAt;
      result.fault = fault;
      // A database restart hits no worker in particular: only the "any job" figures apply.
      result.killedWorker = fault === 'restart' ? -1 : (kill.worker ?? 1);
      result.takeover = analyzeTakeover(fires, { killed: result.killedWorker, killAt, until: to, periodMs, jobs });
      // Figures before the kill, and after it (from the kill to the end of the observation).
      result.beforeKill = analyzeWindow(fires, { from, to: from + Math.floor((killAt - from) / periodMs) * periodMs, periodMs, jobs });
    }
    result.totalFires = fires.length;
  } catch (err) {
    result.failed = err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(hard);
    for (const c of stopped.splice(0)) c.kill('SIGCONT');
    await Promise.all(
      children.map(async (c) => {
        if (c.exitCode !== null || c.signalCode !== null) return;
        const exited = new Promise((r) => c.once('exit', r));
        try {
          c.kill('SIGTERM');
        } catch {
          /* gone */
        }
        await Promise.race([exited, sleep(8000)]);
        if (c.exitCode === null && c.signalCode === null) {
          try {
            c.kill('SIGKILL');
          } catch {
            /* gone */
          }
          await Promise.race([exited, sleep(2000)]);
        }
      }),
    );
    if (ctx) {
      try {
        await system.teardown(ctx);
      } catch (err) {
        log(`  ${system.name}: teardown failed: ${err.message}`);
      }
    }
    if (notes.size) result.notes = Object.fromEntries(notes);
    delete result.workerRecs;
  }
  return result;
}

/** Whether a steady run kept up: p99 lateness ≤ 1 s and at most 0.5 % of the fires owed missing. */
export function keptUp(r) {
  if (r.failed || !r.window) return false;
  return r.window.latenessMs.p99 !== null && r.window.latenessMs.p99 <= 1000 && r.window.missing <= 0.005 * r.window.expected;
}

/**
 * Creates jobs `c0`, `c1`, ... with system.createOne, `concurrency` at a time, until `until` (epoch ms):
 * the jobs created per second while the cluster fires. A failed create is counted, not retried. With
 * `batch` > 1 each request creates that many jobs (system.createBatch, the k-th request jobs
 * `c<k*batch>` on): jobs/s still counts jobs, and the latency is a request's.
 */
async function createUntil(system, ctx, until, concurrency, batch = 1) {
  if (batch > 1) return createBatchesUntil(system, ctx, until, concurrency, batch);
  if (typeof system.createOne !== 'function') return { failed: `${system.name} has no createOne` };
  const t0 = Date.now();
  let next = 0;
  let created = 0;
  const errors = [];
  const latencies = [];
  const one = async () => {
    while (Date.now() < until) {
      const i = next++;
      const t = Date.now();
      try {
        await system.createOne(ctx, i);
        created++;
        latencies.push(Date.now() - t);
      } catch (err) {
        if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
        errors.count = (errors.count ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  const seconds = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    seconds,
    created,
    jobsPerSec: created / seconds,
    failedCount: errors.count ?? 0,
    errors,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.length ? latencies[latencies.length - 1] : null },
  };
}

/** createUntil with `batch` jobs per request: each createBatch answers { created, failed, error? }. */
async function createBatchesUntil(system, ctx, until, concurrency, batch) {
  if (typeof system.createBatch !== 'function') return { failed: `${system.name} has no createBatch (--create-batch)` };
  const t0 = Date.now();
  let next = 0;
  let created = 0;
  let failedCount = 0;
  let requests = 0;
  const errors = [];
  const latencies = [];
  const one = async () => {
    while (Date.now() < until) {
      const k = next++;
      const t = Date.now();
      try {
        const answer = await system.createBatch(ctx, k, batch);
        created += answer.created;
        failedCount += answer.failed;
        if (answer.error !== undefined && errors.length < 5) errors.push(answer.error);
        requests++;
        latencies.push(Date.now() - t);
      } catch (err) {
        if (errors.length < 5) errors.push(err instanceof Error ? err.message : String(err));
        failedCount += batch;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, one));
  const seconds = (Date.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    batch,
    seconds,
    created,
    requests,
    jobsPerSec: created / seconds,
    failedCount,
    errors,
    latencyMs: { p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), max: latencies.length ? latencies[latencies.length - 1] : null },
  };
}

/** Restarts the local PostgreSQL at once (immediate mode) and waits until it answers again. */
function restartPostgres() {
  const [version, cluster] = (process.env.BENCH_PG_CLUSTER ?? '15 main').split(' ');
  return new Promise((resolve, reject) => {
    execFile('pg_ctlcluster', ['--skip-systemctl-redirect', version, cluster, 'restart', '-m', 'immediate'], { timeout: 60_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`restarting PostgreSQL failed: ${stderr || error.message}`)) : resolve(),
    );
  });
}
